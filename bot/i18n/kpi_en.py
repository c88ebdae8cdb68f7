"""English catalog: KPIs (/kpi, the monthly KPI post)."""

MESSAGES: dict[str, str] = {
    "kpi.header": "KPIs · {period}",
    "kpi.text": "KPIs for {period}",
    "kpi.text.filtered": "KPIs for {period} ({filter})",
    "kpi.period.month": "{month} {year}",
    "kpi.period.quarter": "Q{quarter} {year}",
    "kpi.period.year": "{year}",
    "kpi.to_date": "to date ({date})",
    "kpi.compared": "Compared with {period}. Amounts per currency, never added up.",
    "kpi.filter.segment": "segment {segment}",
    "kpi.filter.owner": "customers of {owner}",
    "kpi.filter.icp": "ICP fit: {fit}",
    "kpi.currency": "*{currency}* · {cohort} customers with ARR at the start ({start_arr}), {active} at the end "
    "({active_arr})",
    "kpi.line": "*{name}*: {value} {change}\n_{definition}_",
    "kpi.change": "({delta} vs {period})",
    "kpi.change.new": "(none in {period})",
    "kpi.points": "{value} pts",
    "kpi.nps_points": "{value}",
    "kpi.none": "—",
    "kpi.name.logo_retention": "Logo retention",
    "kpi.name.logo_churn": "Logo churn",
    "kpi.name.grr": "GRR",
    "kpi.name.nrr": "NRR",
    "kpi.name.expansion_rate": "Expansion rate",
    "kpi.name.ltv": "LTV",
    "kpi.name.nps": "NPS",
    "kpi.def.logo_retention": "customers with ARR at the start that still have ARR at the end",
    "kpi.def.logo_churn": "customers with ARR at the start that have none at the end",
    "kpi.def.grr": "(start ARR − contraction − churn) ÷ start ARR of those customers, at most 100%",
    "kpi.def.nrr": "(start ARR + expansion + reactivation − contraction − churn) ÷ start ARR of those customers",
    "kpi.def.expansion_rate": "expansion of those customers ÷ their start ARR",
    "kpi.def.ltv": "ARR per customer at the end × gross margin ÷ logo churn of the last 6 months, annualised",
    "kpi.def.nps": "% promoters (9–10) − % detractors (0–6), each respondent's latest answer in the period",
    "kpi.ltv.inputs": "ARPA {arpa} × margin {margin} ÷ annual churn {churn}",
    "kpi.ltv.no_churn": "none: no customer churned in the 6 months to {date}",
    "kpi.nps.counts": "{responses} respondents: {promoters} promoters, {passives} passives, {detractors} detractors",
    "kpi.nps.none": "no survey answers in this period",
    "kpi.empty": "No ARR movements for these customers up to {date}. The ledger fills from handoffs, the "
    "customers file, renewal outcomes and movement imports.",
    "kpi.footer": "Definitions and examples: `/kpi help`",
    "kpi.usage.fallback": "How to use /kpi",
    "kpi.usage": (
        "*`/kpi [period] [segment | owner | icp:fit]`*: retention, GRR, NRR, expansion, LTV and NPS, only for "
        "you, with the change against the period before.\n"
        "• Period: `2026-11` (a month), `2026-Q4` (a quarter) or `2026` (a year); without one, last month\n"
        "• Filter: a segment (`/kpi 2026-Q4 enterprise`), an owner (`/kpi <@U0123ABCD>` or `/kpi me`), or an "
        "ICP fit from the handoff (`/kpi icp:bad`)\n"
        "• The start cohort is the customers with ARR on the day before the period starts; customers that join "
        "during the period are left out of retention, GRR and NRR\n"
        "• Each currency is shown on its own; amounts in different currencies are never added up"
    ),
    "kpi.err.future": "{period} has not started yet. Try last month, e.g. `/kpi {example}`.",
    "kpi.err.unknown_segment": "No customers are in a segment named “{segment}”. Segments: {known}. "
    "For a period, write `2026-11`, `2026-Q4` or `2026`.",
    "kpi.err.two_periods": "One period at a time, e.g. `/kpi 2026-11` or `/kpi 2026-Q4`.",
    "kpi.err.two_filters": "One filter at a time: a segment, an owner or an ICP fit, e.g. `/kpi 2026-Q4 me`.",
    "kpi.err.bad_fit": "An ICP fit is one of {fits}, e.g. `/kpi icp:good`.",
    "kpi.summary.title": "*📊 KPIs · {period}* (change against {previous})",
    "kpi.summary.nps": "NPS {score} ({responses} answers)",
    "kpi.summary.more": "`/kpi` for each definition, another period, a segment or an owner",
    "kpi.short": "{name} {value}",
    "kpi.short.change": "({delta} pts)",
    "kpi.short.logo_retention": "Logo retention",
    "kpi.short.grr": "GRR",
    "kpi.short.nrr": "NRR",
    "kpi.short.expansion_rate": "Expansion",
    "kpi.short.ltv": "LTV",
}
