"""Korean catalog (terms from shared/design/domain.md)."""

MESSAGES: dict[str, str] = {
    # common
    "common.cancel": "취소",
    "common.send": "보내기",
    "common.unknown": "알 수 없음",
    "common.and_more": "…외 {count}개",
    "common.try_again": "Slack에서 양식을 여는 데 시간이 너무 오래 걸렸습니다. 다시 시도해 주세요.",
    "common.unexpected": "문제가 발생했습니다. 계속되면 참조 번호 {ref}를 알려 주세요.",
    "common.stale_form": "이 양식을 더 이상 읽을 수 없습니다(업데이트 전에 열린 양식일 수 있습니다). 입력한 "
    "내용을 복사해 두고 양식을 닫은 뒤 다시 열어 주세요.",
    "common.bad_button": "이 버튼은 더 이상 사용할 수 없습니다. 항목을 다시 조회한 뒤 새 메시지에서 눌러 주세요.",
    "common.modal_title": "Baton",
    "common.close": "닫기",
    # help
    "help.fallback": "Baton이 할 수 있는 일입니다.",
    "help.text": (
        "*Baton은 고객을 영업에서 고객 성공팀으로 빠짐없이 넘겨 줍니다.*\n"
        "• `/handoff [고객명]`: 영업 → CS 인계 작성 (바로가기 메뉴의 *Start a handoff*도 가능)\n"
        "• CRM에서 딜이 성사되면 담당자에게 *인계 작성* 버튼이 있는 DM을 보냅니다\n"
        "• 인계 카드에서 CSM은 *수락*하거나, 스레드에서 *AE에게 질문*하거나, *부적합 고객 표시*를 할 수 있습니다\n"
        "• `/customer [고객명]`: 고객 현황을 나에게만 보여 줍니다 "
        "(`@Baton customer 삼성` 또는 Baton DM에 고객명도 가능)\n"
        "• `/voc 삼성: 고객이 한 말`, 메시지 메뉴의 *Log as VoC* 바로가기 또는 :bulb: 반응: 고객의 목소리(VoC) 기록\n"
        "• `/roadmap`: 요청 고객의 ARR 순 로드맵 항목, `/roadmap new 제목`으로 추가 "
        "(메시지 메뉴의 *Make roadmap item*도 가능)\n"
        "• `/kpi [기간] [세그먼트 | 담당자]`: 고객 유지율, GRR, NRR, LTV, NPS와 직전 기간 대비 변화를 나에게만 "
        "보여 줍니다\n"
        "• 도움말은 언제든 `/baton`, 또는 어느 명령에서나 `help`·`?`·`도움말`"
    ),
    # the form
    "handoff.modal.title": "영업 → CS 인계",
    "handoff.modal.title_edit": "인계 수정",
    "handoff.modal.submit": "제출",
    "handoff.modal.intro": "고객 성공팀이 첫날부터 알아야 할 내용을 알려 주세요. "
    "선택 항목은 나중에 채워도 되지만, 나머지는 좋은 출발에 꼭 필요합니다.",
    "handoff.field.customer_name": "고객(계정)",
    "handoff.field.customer_name.placeholder": "예: 삼성전자",
    "handoff.field.crm_ref": "CRM ID 또는 링크",
    "handoff.field.crm_ref.placeholder": "HubSpot / Salesforce ID 또는 URL",
    "handoff.field.products_sold": "판매 내용",
    "handoff.field.products_sold.placeholder": "플랜, 제품, 범위, 좌석 수",
    "handoff.field.arr": "ARR / 계약 금액",
    "handoff.field.arr.placeholder": "예: ₩150,000,000 또는 $120,000",
    "handoff.field.arr.hint": (
        "120000, 120,000, $120k, ₩1억 5천만 같은 형식 모두 됩니다. 이미 ARR이 있는 고객(업셀, 갱신)이면 딜 금액이 "
        "아니라 이 딜 이후 고객의 전체 ARR을 입력하세요."
    ),
    "handoff.field.contract_start": "계약 시작일",
    "handoff.field.contract_start.placeholder": "날짜 선택",
    "handoff.field.term_months": "계약 기간(개월)",
    "handoff.field.term_months.placeholder": "12",
    "handoff.field.renewal_date": "갱신일",
    "handoff.field.renewal_date.placeholder": "날짜 선택",
    "handoff.field.why_bought": "구매 이유와 시점",
    "handoff.field.why_bought.placeholder": "고객의 문제, 계기, 검토했다가 버린 대안",
    "handoff.field.business_goals": "비즈니스 목표(고객의 표현 그대로)",
    "handoff.field.business_goals.placeholder": "고객에게 성공이란 무엇인가요?",
    "handoff.field.success_criteria": "성공 기준(최대 3개)",
    "handoff.field.success_criteria.placeholder": "온보딩 기간: 10일 -> 3일",
    "handoff.field.success_criteria.hint": "한 줄에 하나씩; 알면 `지표: 기준값 -> 목표값` 형식으로.",
    "handoff.field.stakeholders": "이해관계자",
    "handoff.field.stakeholders.placeholder": "챔피언: 김민수, 운영 이사, ms@acme.co.kr",
    "handoff.field.stakeholders.hint": "한 줄에 한 명: `역할: 이름, 직함, 이메일` "
    "(경제적 구매자, 챔피언, 실무 담당자, 기술 담당자).",
    "handoff.field.promises": "약속 사항",
    "handoff.field.promises.placeholder": "런칭 전 SSO 지원 | minsu@company.co.kr | 2026-12-15",
    "handoff.field.promises.hint": (
        "한 줄에 하나씩: `내용 | 담당자 이메일 | 기한`. 약속한 것이 없으면 `없음`이라고 쓰세요."
    ),
    "handoff.field.risks": "알려진 위험과 반대 의견",
    "handoff.field.risks.placeholder": "1분기에 예산 책임자 변경, 경쟁사가 아직 계정에 있음…",
    "handoff.field.kickoff_date": "킥오프 날짜",
    "handoff.field.kickoff_date.placeholder": "날짜 선택",
    "handoff.field.ae_user": "영업 담당(AE)",
    "handoff.field.ae_user.placeholder": "판매한 사람",
    "handoff.field.se_user": "세일즈 엔지니어(SE)",
    "handoff.field.se_user.placeholder": "선택",
    "handoff.field.csm_user": "CSM(정해졌다면)",
    "handoff.field.csm_user.placeholder": "선택",
    "handoff.field.icp_fit": "ICP 적합도",
    "handoff.field.icp_fit.placeholder": "이상적인 고객 프로파일(ICP)에 얼마나 맞나요?",
    "handoff.field.competitors": "검토한 경쟁사",
    "handoff.field.competitors.placeholder": "선택",
    "handoff.field.tech_requirements": "기술 요구 사항",
    "handoff.field.tech_requirements.placeholder": "SSO, 연동, 데이터 이전…",
    "handoff.field.links": "링크",
    "handoff.field.links.placeholder": "제안서, SOW, 미팅 노트",
    "handoff.field.feature_requests": "영업 중 나온 기능 요청",
    "handoff.field.feature_requests.placeholder": "선택",
    "handoff.icp.strong": "매우 적합",
    "handoff.icp.good": "적합",
    "handoff.icp.partial": "부분 적합",
    "handoff.icp.bad": "부적합 고객",
    # the card
    "handoff.card.header": "🤝 인계: {customer}",
    "handoff.card.text": "새 인계: {customer} ({amount})",
    "handoff.card.arr": "ARR",
    "handoff.card.renewal": "갱신",
    "handoff.card.term": "({months}개월)",
    "handoff.card.ae": "AE",
    "handoff.card.se": "SE",
    "handoff.card.csm": "CSM",
    "handoff.card.contract_start": "계약 시작",
    "handoff.card.kickoff": "킥오프",
    "handoff.card.icp": "ICP 적합도",
    "handoff.card.products_sold": "판매 내용",
    "handoff.card.why_bought": "구매 이유",
    "handoff.card.business_goals": "목표",
    "handoff.card.success_criteria": "성공 기준",
    "handoff.card.stakeholders": "이해관계자",
    "handoff.card.risks": "위험",
    "handoff.card.competitors": "경쟁사",
    "handoff.card.tech_requirements": "기술 요구 사항",
    "handoff.card.links": "링크",
    "handoff.card.feature_requests": "기능 요청",
    "handoff.card.completeness": "완성도",
    "handoff.card.filled": "{n}/{total}개 항목",
    "handoff.card.promises": "약속 사항",
    "handoff.card.due": "기한 {date}",
    "handoff.card.submitted": "{user} 제출 {at}",
    "handoff.card.accepted": "✅ {user} 수락 {at}",
    "handoff.card.bad_fit": "⚠️ {user}님이 부적합 고객으로 표시 {at}: {reason}",
    "handoff.card.accept": "수락",
    "handoff.card.ask_ae": "AE에게 질문",
    "handoff.card.flag_bad_fit": "부적합 고객 표시",
    "handoff.card.edit": "수정",
    "handoff.already_accepted": "이 인계는 이미 {user}님이 {at}에 수락했습니다.",
    "handoff.already_submitted": "이 인계는 이미 {user}님이 제출했습니다.",
    "handoff.edit.not_allowed": "이 인계는 AE 또는 제출한 사람만 수정할 수 있습니다 ({users}).",
    # ask AE / bad fit
    "handoff.ask.title": "AE에게 질문",
    "handoff.ask.intro": "*{customer}*에 대한 질문이 카드 스레드에 {ae}님 앞으로 올라갑니다.",
    "handoff.ask.label": "질문",
    "handoff.ask.thread": "{ae}님, {asker}님이 이 인계에 대해 질문이 있습니다:",
    "handoff.bad_fit.title": "부적합 고객 표시",
    "handoff.bad_fit.intro": "*{customer}*이(가) 왜 부적합 고객인가요? 이유가 기록되고 스레드에 올라갑니다.",
    "handoff.bad_fit.label": "이유",
    "handoff.bad_fit.thread": "⚠️ {user}님이 이 고객을 부적합 고객으로 표시했습니다:",
    # CRM
    "handoff.fill.dm": "🎉 *{customer}*의 *{deal}* 딜({amount})이 성사되었습니다. "
    "고객 성공팀이 잘 시작할 수 있도록 인계를 작성해 주세요.",
    "handoff.fill.unowned": "🎉 *{customer}*의 *{deal}* 딜({amount})이 성사되었지만, 담당자({email})를 "
    "이 Slack 워크스페이스에서 찾을 수 없습니다. 누가 인계를 작성할까요?",
    "handoff.fill.button": "인계 작성",
    # validation
    "err.required": "이 항목을 입력해 주세요.",
    "err.too_long": "너무 깁니다: {length}자 (최대 {limit}자).",
    "err.amount_empty": "ARR을 입력해 주세요. 예: ₩150,000,000",
    "err.amount_invalid": "금액 형식이 아닙니다. 120000, $120k, ₩150,000,000처럼 입력해 주세요.",
    "err.amount_not_positive": "ARR은 0보다 커야 합니다.",
    "err.amount_too_large": "금액이 너무 큽니다.",
    "err.amount_currency_conflict": "통화 기호와 통화 코드가 서로 다릅니다.",
    "err.bad_date": "올바른 날짜가 아닙니다.",
    "err.renewal_before_start": "갱신일은 계약 시작일({start}) 이후여야 합니다.",
    "err.bad_term": "계약 기간은 1~120 사이의 개월 수로 입력해 주세요.",
    "err.bad_choice": "보기 중 하나를 골라 주세요.",
    "err.bad_user": "사람을 선택해 주세요.",
    "err.line_too_long": "{line}번째 줄이 너무 깁니다.",
    "err.line_too_many": "줄이 너무 많습니다({line}번째 줄부터).",
    "err.line_bad_format": "{line}번째 줄의 형식이 맞지 않습니다: {value}",
    "err.line_bad_date": "{line}번째 줄: '{value}'은(는) 날짜가 아닙니다 (YYYY-MM-DD).",
    "err.line_past_date": "{line}번째 줄: 기한 {value}이(가) 이미 지났습니다.",
    "err.line_empty_text": "{line}번째 줄에 내용이 없습니다.",
    "err.line_bad_email": "{line}번째 줄: '{value}'은(는) 이메일 주소가 아닙니다.",
    "err.line_empty_name": "{line}번째 줄에 이름이 없습니다.",
    "err.name_taken": "이미 {name}(이)라는 고객이 있습니다.",
    "err.crm_bad_id": "CRM 레코드 ID(영문, 숫자, . _ : -, 최대 {limit}자)를 입력하거나 HubSpot 또는 Salesforce "
    "링크를 붙여 넣어 주세요. 없으면 비워 두셔도 됩니다.",
    "err.crm_bad_link": "이 링크에서 회사나 딜 ID를 찾을 수 없습니다. HubSpot 또는 Salesforce의 회사·딜 페이지 링크나 "
    "ID만 붙여 넣어 주세요.",
    "err.crm_id_taken": "CRM ID {id}은(는) 이미 {name}에 연결되어 있습니다. ID를 확인하시거나, 해당 고객사를 "
    "인계하려면 고객사 이름을 {name}(으)로 입력해 주세요.",
    "err.crm_deal_taken": "딜 {id}에는 이미 {name}의 인계가 있습니다. 링크를 확인하시거나 기존 인계를 수정해 주세요.",
    "err.not_found": "해당 인계가 더 이상 없습니다.",
    "err.not_submitted": "이 인계는 아직 제출되지 않았습니다.",
    # closing the loop: the submitter and the AE hear back
    "handoff.loop.card_link": "카드 열기",
    "handoff.loop.submitted": "✅ *{customer}* 인계가 {channel}에 올라갔습니다. {link} · "
    "누가 맡는지 알려 드리겠습니다.",
    "handoff.loop.submitted.text": "{customer} 인계가 올라갔습니다",
    "handoff.loop.fill_done": "✅ 제출 완료: *{customer}*의 *{deal}* 인계를 {user}님이 제출했습니다. {link}",
    "handoff.loop.fill_done.text": "{customer} 인계 제출 완료",
    "handoff.loop.accepted": "✅ {csm}님이 *{customer}*을(를) 맡았습니다 · 킥오프 {kickoff}. {link}",
    "handoff.loop.accepted.no_kickoff": "✅ {csm}님이 *{customer}*을(를) 맡았습니다 · 킥오프 날짜 미정. {link}",
    "handoff.loop.accepted.text": "CSM이 {customer}을(를) 맡았습니다",
    "err.promise_owner_email": (
        "약속 {line}: 이 Slack에 {value} 이메일을 쓰는 사람이 없습니다. "
        "동료의 Slack 이메일을 쓰거나 담당자를 비워 두세요."
    ),
    "err.promise_owner_name": (
        "약속 {line}: “{value}”이(가) 누구인지 Baton이 알 수 없습니다. "
        "Slack 이메일(예: minsu@company.co.kr)을 쓰거나 담당자를 비워 두세요."
    ),
    # the card: who owns it, what is missing (short names)
    "handoff.short.customer_name": "고객",
    "handoff.short.products_sold": "판매 내용",
    "handoff.short.arr": "ARR",
    "handoff.short.renewal_date": "갱신일",
    "handoff.short.why_bought": "구매 이유",
    "handoff.short.business_goals": "목표",
    "handoff.short.success_criteria": "성공 기준",
    "handoff.short.stakeholders": "이해관계자",
    "handoff.short.promises": "약속 사항",
    "handoff.short.risks": "위험",
    "handoff.short.kickoff_date": "킥오프",
    "handoff.card.missing": "{filled} · 빠진 항목: {fields}",
    "handoff.card.waiting": "⏳ *CSM 배정 대기 중* · {ago} 제출",
    "handoff.card.owned": "✅ {user}님이 *담당* · {ago} 수락",
}
