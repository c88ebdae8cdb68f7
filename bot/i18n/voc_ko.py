"""Voice of the customer capture: the Log as VoC modal, /voc, the reaction prompt, confirmations (ko)."""

MESSAGES: dict[str, str] = {
    # labels composed from stored values (bot/blocks/customer.py: voc_label)
    "voc.category.feature_request": "기능 요청",
    "voc.category.bug": "버그",
    "voc.category.complaint": "불만",
    "voc.category.praise": "칭찬",
    "voc.category.question": "문의",
    "voc.category.other": "기타",
    "voc.importance.nice_to_have": "있으면 좋음",
    "voc.importance.important": "중요",
    "voc.importance.critical": "매우 중요",
    "voc.importance.blocker": "진행 불가(블로커)",
    "voc.status.planned": "계획됨",
    "voc.status.in_progress": "진행 중",
    "voc.status.shipped": "출시됨",
    # buttons
    "voc.button.log": "VoC로 기록",
    "voc.button.tag": "로드맵에 태그",
    "voc.button.open_customer": "고객 카드 열기",
    "voc.button.view": "전체 내용 보기",
    # the Log as VoC modal
    "voc.modal.title": "VoC 기록",
    "voc.modal.submit": "기록",
    "voc.modal.cancel": "취소",
    "voc.modal.from": "{channel}에 올라온 {author}님의 메시지",
    "voc.modal.from_author": "{author}님의 메시지",
    "voc.modal.customer": "고객",
    "voc.modal.customer_placeholder": "이름, 도메인 또는 CRM ID로 검색",
    "voc.modal.quote": "고객이 한 말",
    "voc.modal.quote_placeholder": "고객의 표현을 최대한 그대로 적어 주세요",
    "voc.modal.cut": (
        "메시지가 {length}자라서 앞부분 3,000자만 여기에 표시됩니다. 내용을 그대로 두면 메시지 전체가 기록되고, "
        "수정하면 수정한 내용이 기록됩니다."
    ),
    "voc.modal.category": "분류",
    "voc.modal.importance": "중요도",
    "voc.modal.area": "제품 영역",
    "voc.modal.area_placeholder": "선택 사항 (예: 리포트, SSO)",
    "voc.modal.roadmap": "로드맵 항목",
    "voc.modal.roadmap_placeholder": "선택 사항: 로드맵 항목에 태그",
    # inline errors (voc.err.<code>, from bot/services/voc.py and the modal)
    "voc.err.customer_required": "이 말을 한 고객을 선택하세요.",
    "voc.err.unknown_customer": "이 고객은 더 이상 Baton에 없습니다. 다른 고객을 선택하세요.",
    "voc.err.quote_required": "고객이 한 말을 입력하세요.",
    "voc.err.quote_too_long": "인용은 {max}자 이내로 입력하세요(현재 {length}자).",
    "voc.err.bad_category": "목록에서 분류를 선택하세요.",
    "voc.err.bad_importance": "목록에서 중요도를 선택하세요.",
    "voc.err.area_too_long": "제품 영역은 {max}자 이내로 입력하세요(현재 {length}자).",
    "voc.err.unknown_item": "이 로드맵 항목은 이미 출시되었거나 삭제되었습니다. 다른 항목을 선택하거나 비워 두세요.",
    "voc.err.draft_expired": "이 메시지의 전체 내용이 만료되었습니다. 보이는 내용을 고쳐서 기록하세요.",
    # the confirmation
    "voc.logged": "✅ *{customer}*의 고객의 목소리(VoC)로 기록했습니다.",
    "voc.logged.existing": "{user}님이 이미 기록한 내용이라 보고자로 추가했습니다.",
    "voc.logged.again": "이미 기록한 내용입니다. 바뀐 것은 없습니다.",
    "voc.logged.tagged": "로드맵 항목에 태그됨: *{item}*",
    "voc.logged.text": "{customer}의 VoC로 기록함",
    "voc.source_link": "원본 메시지",
    # /voc
    "voc.usage": (
        "*고객이 한 말을 고객의 목소리(VoC)로 기록하기*\n"
        "• `/voc 삼성: 도입 전에 SSO가 꼭 필요함` 삼성의 VoC로 기록합니다 (전각 콜론 `：`도 됩니다)\n"
        "• `/voc` 입력 양식을 엽니다: 고객, 분류, 중요도, 제품 영역, 로드맵 항목 "
        "(`/voc 고객이 한 말`처럼 콜론 없이 쓰면 그 내용이 채워진 양식이 열립니다)\n"
        "• `/voc list`는 팀의 최근 VoC를, `/voc list 삼성`은 삼성의 최근 VoC를 보여 줍니다\n"
        "• 메시지의 ⋯ 메뉴에서 *Log as VoC*를 고르거나, 메시지에 :{emoji}: 반응을 달아도 됩니다"
    ),
    "voc.usage.text": "/voc 사용 방법",
    "voc.candidates": "“{query}”에 해당하는 고객이 여러 곳입니다. 어느 고객의 말인가요?",
    "voc.suggestions": "“{query}”에 해당하는 고객이 없습니다. 혹시 이 중에 있나요?",
    "voc.none": "“{query}”에 해당하는 고객이 없습니다. 이름을 확인하거나 먼저 Baton에 고객을 추가하세요.",
    "voc.candidates.more": "해당하는 고객이 더 있습니다. 이름을 더 입력해 범위를 좁혀 주세요.",
    "voc.pick.expired": "선택 가능한 시간이 지났습니다. `/voc`를 다시 실행하세요.",
    # /voc list
    "voc.list.header": "최근 고객의 목소리(VoC)",
    "voc.list.header_customer": "최근 VoC: {customer}",
    "voc.list.empty": "아직 기록된 VoC가 없습니다.",
    "voc.list.empty_customer": "*{customer}*에 기록된 VoC가 아직 없습니다.",
    "voc.list.reporters": "기록한 사람: {users}",
    # the reaction
    "voc.reaction.prompt": "{author}님의 이 메시지를 VoC로 기록할까요? 나에게만 보이는 메시지입니다.",
    "voc.reaction.prompt_no_author": "이 메시지를 VoC로 기록할까요? 나에게만 보이는 메시지입니다.",
    "voc.reaction.text": "이 메시지를 VoC로 기록할까요?",
    "voc.reaction.unreadable": (
        "<#{channel}>에서 반응을 단 메시지를 읽을 수 없습니다. 채널에 Baton을 초대(`/invite @Baton`)한 뒤 "
        "다시 반응을 달아 주세요."
    ),
    "voc.draft.expired": "이 버튼은 만료되었거나 다른 사람의 버튼입니다. 메시지에 :{emoji}: 반응을 다시 달아 주세요.",
    # the full-note modal
    "voc.view.title": "VoC 상세",
    "voc.view.close": "닫기",
    "voc.view.customer": "*{customer}*",
    "voc.view.area": "제품 영역: {area}",
    "voc.view.gone": "이 VoC는 더 이상 Baton에 없습니다.",
    # Edit on a confirmation
    "voc.button.edit": "수정",
    "voc.edit.title": "VoC 수정",
    "voc.edit.submit": "저장",
    "voc.edit.for": "고객: *{customer}*",
    "voc.edit.long_quote": "원문({length}자, 메시지 전체를 기록)은 그대로 둡니다.",
    "voc.edited": "✏️ *{customer}*의 VoC를 수정했습니다.",
    "voc.err.note_gone": "이 VoC는 더 이상 Baton에 없습니다.",
    "voc.err.not_yours": "이 VoC를 기록한 {user}님만 수정할 수 있습니다.",
}
