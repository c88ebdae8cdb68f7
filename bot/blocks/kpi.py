"""Block Kit for the KPIs: `/kpi`'s private answer and the monthly post (the same message), and `/kpi help`.

Pure: a KpiReport (bot/viewdata/kpi.py) in, blocks and notification text out. Each KPI shows its value, its
change against the previous period and its one-line definition; each currency has its own section (amounts are
never added across currencies)."""

import calendar
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from slack_sdk.models.blocks import Block, ContextBlock, HeaderBlock, SectionBlock

from bot.blocks.kit import mrkdwn, plain
from bot.i18n import format_date, t
from bot.money import format_amount_short
from bot.text import escape_mrkdwn, truncate
from bot.viewdata.kpi import MONTH, QUARTER, CurrencyKpis, Filter, KpiReport, Nps, Period

MAX_CURRENCIES = 20  # 2 blocks each, within Slack's 50 blocks a message
HEADER_LIMIT = 150
RATES = ("logo_retention", "logo_churn", "grr", "nrr", "expansion_rate")
# Each KPI's name and one-line definition in the catalog.
LABELS = {
    "logo_retention": ("kpi.name.logo_retention", "kpi.def.logo_retention"),
    "logo_churn": ("kpi.name.logo_churn", "kpi.def.logo_churn"),
    "grr": ("kpi.name.grr", "kpi.def.grr"),
    "nrr": ("kpi.name.nrr", "kpi.def.nrr"),
    "expansion_rate": ("kpi.name.expansion_rate", "kpi.def.expansion_rate"),
    "ltv": ("kpi.name.ltv", "kpi.def.ltv"),
    "nps": ("kpi.name.nps", "kpi.def.nps"),
}


def period_label(period: Period, locale: str) -> str:
    """November 2026 / 2026년 11월, Q4 2026 / 2026년 4분기, 2026 / 2026년."""
    if period.kind == MONTH:
        month = calendar.month_name[period.number] if locale != "ko" else f"{period.number}월"
        return t(locale, "kpi.period.month", month=month, year=period.year)
    if period.kind == QUARTER:
        return t(locale, "kpi.period.quarter", quarter=period.number, year=period.year)
    return t(locale, "kpi.period.year", year=period.year)


def filter_label(flt: Filter, locale: str) -> str | None:
    """The filter in words, mrkdwn-escaped (a segment is CRM data), or None for every customer."""
    if flt.segment:
        return t(locale, "kpi.filter.segment", segment=escape_mrkdwn(flt.segment))
    if flt.owner:
        return t(locale, "kpi.filter.owner", owner=f"<@{flt.owner}>")
    if flt.icp_fit:
        return t(locale, "kpi.filter.icp", fit=t(locale, f"handoff.icp.{flt.icp_fit}"))
    return None


def percent(value: Decimal | None, locale: str) -> str:
    if value is None:
        return t(locale, "kpi.none")
    return f"{(value * 100).quantize(Decimal('0.1'), ROUND_HALF_UP)}%"


def _signed(value: Decimal) -> str:
    text = f"{value.quantize(Decimal('0.1'), ROUND_HALF_UP)}"
    return text if text.startswith("-") else f"+{text}"


def _change(now: Decimal | None, before: Decimal | None, prev: str, locale: str, *, key: str) -> str:
    if now is None:
        return ""
    if before is None:
        return t(locale, "kpi.change.new", period=prev)
    return t(locale, "kpi.change", delta=t(locale, key, value=_signed(now - before)), period=prev)


def _line(locale: str, name: str, value: str, change: str) -> str:
    label, definition = LABELS[name]
    text = t(locale, "kpi.line", name=t(locale, label), value=value, change=change, definition=t(locale, definition))
    return text.replace(" \n", "\n")  # no change to show: no trailing space


def _ltv_value(k: CurrencyKpis, locale: str, end: date) -> str:
    if k.arpa is None:
        return t(locale, "kpi.none")
    if k.ltv is None:
        return t(locale, "kpi.ltv.no_churn", date=format_date(end, locale))
    inputs = t(
        locale, "kpi.ltv.inputs", arpa=format_amount_short(k.arpa or 0, k.currency, locale),
        margin=percent(k.gross_margin, locale), churn=percent(k.annual_churn, locale),
    )  # fmt: skip
    return f"{format_amount_short(k.ltv, k.currency, locale)} ({inputs})"


def _ltv_change(k: CurrencyKpis, before: CurrencyKpis | None, prev: str, locale: str) -> str:
    if k.ltv is None:
        return ""
    if before is None or before.ltv is None:
        return t(locale, "kpi.change.new", period=prev)
    delta = format_amount_short(k.ltv - before.ltv, k.currency, locale)
    return t(locale, "kpi.change", delta=delta if delta.startswith("-") else f"+{delta}", period=prev)


def _currency_section(k: CurrencyKpis, before: CurrencyKpis | None, prev: str, locale: str, end: date) -> str:
    head = t(
        locale, "kpi.currency", currency=k.currency, cohort=k.cohort, active=k.active,
        start_arr=format_amount_short(k.start_arr, k.currency, locale),
        active_arr=format_amount_short(k.active_arr, k.currency, locale),
    )  # fmt: skip
    lines = [head]
    for name in RATES:
        now = getattr(k, name)
        then = getattr(before, name) if before else None
        change = _change(now * 100 if now is not None else None, then * 100 if then is not None else None, prev,
                         locale, key="kpi.points")  # fmt: skip
        lines.append(_line(locale, name, percent(now, locale), change))
    lines.append(_line(locale, "ltv", _ltv_value(k, locale, end), _ltv_change(k, before, prev, locale)))
    return "\n".join(lines)


def _nps_section(now: Nps, before: Nps, prev: str, locale: str) -> str:
    if now.score is None:
        value = t(locale, "kpi.none")
        counts = t(locale, "kpi.nps.none")
    else:
        value = f"{now.score.quantize(Decimal('0.1'), ROUND_HALF_UP)}"
        counts = t(
            locale, "kpi.nps.counts", responses=now.responses, promoters=now.promoters, passives=now.passives,
            detractors=now.detractors,
        )  # fmt: skip
    change = _change(now.score, before.score, prev, locale, key="kpi.nps_points")
    return _line(locale, "nps", f"{value} · {counts}", change)


def kpi_message(report: KpiReport, locale: str) -> tuple[list[Block], str]:
    """The KPIs of a period against the previous one, per currency, then NPS."""
    period = period_label(report.current.period, locale)
    prev = period_label(report.previous.period, locale)
    who = filter_label(report.filter, locale)
    header = t(locale, "kpi.header", period=period)
    text = t(locale, "kpi.text.filtered", period=period, filter=who) if who else t(locale, "kpi.text", period=period)
    notes = [who] if who else []
    if report.current.partial:
        notes.append(t(locale, "kpi.to_date", date=format_date(report.current.end, locale)))
    notes.append(t(locale, "kpi.compared", period=prev))
    blocks: list[Block] = [
        HeaderBlock(text=plain(truncate(header, HEADER_LIMIT))),
        ContextBlock(elements=[mrkdwn(" · ".join(notes))]),
    ]
    shown = [c for c in report.currencies if c in report.current.currencies][:MAX_CURRENCIES]
    if not shown:
        blocks.append(SectionBlock(text=mrkdwn(t(locale, "kpi.empty", date=format_date(report.current.end, locale)))))
    for code in shown:
        k = report.current.currencies[code]
        before = report.previous.currencies.get(code)
        blocks.append(SectionBlock(text=mrkdwn(_currency_section(k, before, prev, locale, report.current.end))))
    blocks.append(SectionBlock(text=mrkdwn(_nps_section(report.current.nps, report.previous.nps, prev, locale))))
    blocks.append(ContextBlock(elements=[mrkdwn(t(locale, "kpi.footer"))]))
    return blocks, text


def kpi_usage(locale: str) -> tuple[list[Block], str]:
    """`/kpi help`: the arguments and what the cohort is."""
    return [SectionBlock(text=mrkdwn(t(locale, "kpi.usage")))], t(locale, "kpi.usage.fallback")


def refusal(text: str) -> tuple[list[Block], str]:
    """A bad /kpi argument, said in one section (`text` already in the user's words)."""
    return [SectionBlock(text=mrkdwn(text))], text


SUMMARY_CURRENCIES = 5  # App Home's short version: the first five currencies, the others counted

SUMMARY_RATES = ("logo_retention", "grr", "nrr", "expansion_rate")
SHORT_NAMES = {
    "logo_retention": "kpi.short.logo_retention",
    "grr": "kpi.short.grr",
    "nrr": "kpi.short.nrr",
    "expansion_rate": "kpi.short.expansion_rate",
}


def _short(name: str, value: Decimal | None, before: Decimal | None, locale: str) -> str:
    text = t(locale, "kpi.short", name=t(locale, SHORT_NAMES[name]), value=percent(value, locale))
    if value is not None and before is not None:
        text += " " + t(locale, "kpi.short.change", delta=_signed((value - before) * 100))
    return text


def kpi_summary(report: KpiReport, locale: str) -> str:
    """App Home's KPIs for leads: per currency one line (logo retention, GRR, NRR, expansion, LTV, each with its
    change in points), then NPS, and where the full answer is (`/kpi`); within a section's 3,000 characters."""
    period = period_label(report.current.period, locale)
    prev = period_label(report.previous.period, locale)
    lines = [t(locale, "kpi.summary.title", period=period, previous=prev)]
    shown = [c for c in report.currencies if c in report.current.currencies]
    if not shown:
        lines.append(t(locale, "kpi.empty", date=format_date(report.current.end, locale)))
    for code in shown[:SUMMARY_CURRENCIES]:
        k, before = report.current.currencies[code], report.previous.currencies.get(code)
        parts = [f"*{code}*"]
        parts += [_short(n, getattr(k, n), getattr(before, n) if before else None, locale) for n in SUMMARY_RATES]
        if k.ltv is not None:
            parts.append(t(locale, "kpi.short", name=t(locale, "kpi.short.ltv"),
                           value=format_amount_short(k.ltv, k.currency, locale)))  # fmt: skip
        lines.append(" · ".join(parts))
    if len(shown) > SUMMARY_CURRENCIES:
        lines.append(t(locale, "common.and_more", count=len(shown) - SUMMARY_CURRENCIES))
    nps = report.current.nps
    if nps.score is not None:
        score = f"{nps.score.quantize(Decimal('0.1'), ROUND_HALF_UP)}"
        lines.append(t(locale, "kpi.summary.nps", score=score, responses=nps.responses))
    lines.append(t(locale, "kpi.summary.more"))
    return truncate("\n".join(lines), 3000)
