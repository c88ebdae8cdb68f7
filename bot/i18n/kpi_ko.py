"""Korean catalog: KPIs (/kpi, the monthly KPI post)."""

MESSAGES: dict[str, str] = {
    "kpi.header": "핵심 지표(KPI) · {period}",
    "kpi.text": "{period} 핵심 지표(KPI)",
    "kpi.text.filtered": "{period} 핵심 지표(KPI) ({filter})",
    "kpi.period.month": "{year}년 {month}",
    "kpi.period.quarter": "{year}년 {quarter}분기",
    "kpi.period.year": "{year}년",
    "kpi.to_date": "{date}까지 집계",
    "kpi.compared": "{period} 대비. 금액은 통화별로 보여 주며 서로 더하지 않습니다.",
    "kpi.filter.segment": "세그먼트 {segment}",
    "kpi.filter.owner": "{owner} 담당 고객",
    "kpi.filter.icp": "ICP 적합도: {fit}",
    "kpi.currency": "*{currency}* · 기간 시작 시 ARR이 있던 고객 {cohort}곳 ({start_arr}), 기간 말 {active}곳 "
    "({active_arr})",
    "kpi.line": "*{name}*: {value} {change}\n_{definition}_",
    "kpi.change": "({period} 대비 {delta})",
    "kpi.change.new": "({period} 수치 없음)",
    "kpi.points": "{value}%p",
    "kpi.nps_points": "{value}점",
    "kpi.none": "—",
    "kpi.name.logo_retention": "고객 유지율",
    "kpi.name.logo_churn": "고객 이탈률",
    "kpi.name.grr": "총매출유지율(GRR)",
    "kpi.name.nrr": "순매출유지율(NRR)",
    "kpi.name.expansion_rate": "확장률",
    "kpi.name.ltv": "고객 생애 가치(LTV)",
    "kpi.name.nps": "순추천지수(NPS)",
    "kpi.def.logo_retention": "기간 시작 시 ARR이 있던 고객 중 기간 말에도 ARR이 있는 고객의 비율",
    "kpi.def.logo_churn": "기간 시작 시 ARR이 있던 고객 중 기간 말에 ARR이 없는 고객의 비율",
    "kpi.def.grr": "해당 고객의 (시작 ARR − 축소 − 이탈) ÷ 시작 ARR, 최대 100%",
    "kpi.def.nrr": "해당 고객의 (시작 ARR + 확장 + 재활성화 − 축소 − 이탈) ÷ 시작 ARR",
    "kpi.def.expansion_rate": "해당 고객의 확장 ARR ÷ 시작 ARR",
    "kpi.def.ltv": "기간 말 고객당 ARR × 매출총이익률 ÷ 최근 6개월 고객 이탈률(연 환산)",
    "kpi.def.nps": "추천 고객(9–10점) 비율 − 비추천 고객(0–6점) 비율, 응답자별로 기간 안의 마지막 응답만 집계",
    "kpi.ltv.inputs": "ARPA {arpa} × 매출총이익률 {margin} ÷ 연 이탈률 {churn}",
    "kpi.ltv.no_churn": "없음: {date}까지 6개월 동안 이탈한 고객이 없습니다",
    "kpi.nps.counts": "응답자 {responses}명: 추천 {promoters}명, 중립 {passives}명, 비추천 {detractors}명",
    "kpi.nps.none": "이 기간의 설문 응답이 없습니다",
    "kpi.empty": "{date}까지 이 고객들의 ARR 변동 내역이 없습니다. 인계, 고객 파일, 갱신 결과와 변동 내역 "
    "가져오기로 원장이 채워집니다.",
    "kpi.footer": "정의와 사용법: `/kpi 도움말`",
    "kpi.usage.fallback": "/kpi 사용법",
    "kpi.usage": (
        "*`/kpi [기간] [세그먼트 | 담당자 | icp:적합도]`*: 고객 유지율, GRR, NRR, 확장률, LTV, NPS를 직전 기간 "
        "대비 변화와 함께 나에게만 보여 줍니다.\n"
        "• 기간: `2026-11`(월), `2026-Q4`(분기), `2026`(연도). 생략하면 지난달\n"
        "• 필터: 세그먼트(`/kpi 2026-Q4 enterprise`), 담당자(`/kpi <@U0123ABCD>` 또는 `/kpi me`), 인계 때 표시한 "
        "ICP 적합도(`/kpi icp:bad`)\n"
        "• 기준 고객은 기간 시작 전날 ARR이 있던 고객입니다. 기간 중 새로 들어온 고객은 유지율, GRR, NRR에서 "
        "빠집니다\n"
        "• 통화별로 따로 보여 주며, 다른 통화의 금액은 더하지 않습니다"
    ),
    "kpi.err.future": "{period}은(는) 아직 시작되지 않았습니다. 지난달을 조회해 보세요. 예: `/kpi {example}`",
    "kpi.err.unknown_segment": "“{segment}” 세그먼트의 고객이 없습니다. 세그먼트: {known}. "
    "기간은 `2026-11`, `2026-Q4`, `2026`처럼 입력합니다.",
    "kpi.err.two_periods": "기간은 하나만 입력해 주세요. 예: `/kpi 2026-11` 또는 `/kpi 2026-Q4`",
    "kpi.err.two_filters": "필터는 세그먼트, 담당자, ICP 적합도 중 하나만 입력해 주세요. 예: `/kpi 2026-Q4 me`",
    "kpi.err.bad_fit": "ICP 적합도는 {fits} 중 하나입니다. 예: `/kpi icp:good`",
    "kpi.summary.title": "*📊 KPI · {period}* ({previous} 대비)",
    "kpi.summary.nps": "NPS {score} (응답 {responses}건)",
    "kpi.summary.more": "정의, 다른 기간, 세그먼트나 담당자별 수치는 `/kpi`",
    "kpi.short": "{name} {value}",
    "kpi.short.change": "({delta}%p)",
    "kpi.short.logo_retention": "고객 유지율",
    "kpi.short.grr": "GRR",
    "kpi.short.nrr": "NRR",
    "kpi.short.expansion_rate": "확장률",
    "kpi.short.ltv": "LTV",
}
