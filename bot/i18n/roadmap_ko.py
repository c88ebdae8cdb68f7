"""Korean catalog: roadmap items, their VoC threads, status changes and the ship DM."""

MESSAGES: dict[str, str] = {
    # /roadmap
    "roadmap.usage": (
        "*로드맵: 제품 결정의 근거가 되는 고객의 목소리(VoC)* (나에게만 보임)\n"
        "• `/roadmap`: 출시 전 항목을 요청한 고객의 ARR이 큰 순서로 보기\n"
        "• `/roadmap new 제목`: 새 항목을 만들어 {channel}에 게시 (요청한 고객 집계가 실시간으로 갱신됨)\n"
        "• 메시지의 ⋮ 메뉴에서 *Make roadmap item*: 그 메시지로 새 항목 만들기\n"
        "• VoC를 항목에 태그: VoC 노트의 *로드맵에 태그* 버튼, 또는 항목 스레드에 VoC로 기록된 메시지의 링크를 "
        "답글로 달기\n"
        "• 상태 (계획됨 → 진행 중 → 출시됨): 항목의 버튼으로 제품 매니저가 변경. 출시되면 요청한 고객의 "
        "담당자에게 DM이 갑니다"
    ),
    "roadmap.usage_text": "/roadmap 사용법",
    "roadmap.channel_unset": "로드맵 채널(아직 설정되지 않음)",
    "roadmap.no_channel": (
        "로드맵 항목은 제품 채널에 게시되는데, 아직 채널이 설정되지 않았습니다. 관리자에게 "
        "`BATON_ROADMAP_CHANNEL`에 그 채널의 ID를 설정하고 Baton을 채널에 초대해 달라고 요청하세요."
    ),
    "roadmap.created": "*{title}* 항목을 만들었습니다. {channel}에 게시되며, 그곳에서 VoC를 태그할 수 있습니다.",
    "roadmap.exists": "이 메시지로 만든 로드맵 항목이 이미 있습니다: {channel}의 *{title}*",
    # errors (services.roadmap.RoadmapError codes)
    "roadmap.err.title_required": "항목 제목을 한 줄로 입력하세요. 예: “Okta SSO 지원”",
    "roadmap.err.title_too_long": "제목은 {max}자 이내로 입력하세요(지금 {length}자).",
    "roadmap.err.unknown_item": "해당 로드맵 항목이 더 이상 없습니다.",
    "roadmap.err.unknown_voc": "해당 VoC 노트가 더 이상 없습니다.",
    "roadmap.err.bad_status": "알 수 없는 상태입니다.",
    # statuses, the moves between them, importance
    "roadmap.status.planned": "계획됨",
    "roadmap.status.in_progress": "진행 중",
    "roadmap.status.shipped": "출시됨",
    "roadmap.move.planned.in_progress": "작업 시작",
    "roadmap.move.in_progress.shipped": "출시 완료",
    "roadmap.move.in_progress.planned": "계획으로 되돌리기",
    "roadmap.move.shipped.in_progress": "다시 진행",
    "roadmap.importance.nice_to_have": "있으면 좋음",
    "roadmap.importance.important": "중요",
    "roadmap.importance.critical": "매우 중요",
    "roadmap.importance.blocker": "블로커",
    # the parent message in the roadmap channel
    "roadmap.parent.status": "상태",
    "roadmap.parent.customers": "요청한 고객",
    "roadmap.parent.arr": "해당 고객 ARR 합계",
    "roadmap.parent.renewing": "90일 안에 갱신",
    "roadmap.parent.health": "헬스 스코어",
    "roadmap.parent.health_value": "🟠 주의: {at_risk} · 🔴 위험: {unhealthy}",
    "roadmap.parent.notes": "VoC 노트",
    "roadmap.parent.quotes": "고객의 목소리",
    "roadmap.parent.empty": (
        "아직 태그된 VoC가 없습니다. 이 스레드에 VoC로 기록된 메시지의 링크를 답글로 달거나, VoC 노트의 "
        "*로드맵에 태그*를 사용하세요."
    ),
    "roadmap.parent.footer": "만든 사람: {user} · 이 항목의 근거가 되는 VoC는 스레드에 모입니다",
    "roadmap.parent.text": "로드맵 항목: {title} ({status})",
    # a tagged note's post in the thread
    "roadmap.post.arr": "ARR {amount}",
    "roadmap.post.logged_by": "기록: {users}",
    "roadmap.post.tagged_by": "태그: {user}",
    "roadmap.post.source": "원본 메시지",
    "roadmap.post.untag": "태그 해제",
    "roadmap.post.text": "{customer}의 VoC: {quote}",
    # the DM to each customer owner when the item ships
    "roadmap.shipped.head": (
        "🚀 *{title}* 기능이 출시되었습니다. 아래 담당 고객들이 요청했던 기능이니, 지금 소식을 전하고 "
        "요청에 답해 주세요."
    ),
    "roadmap.shipped.thread": "이 항목에 모인 모든 요청: {link}",
    "roadmap.shipped.thread_link": "항목 스레드",
    "roadmap.shipped.text": "출시: {title}. 담당 고객 {count}곳이 요청했던 기능입니다.",
    # /roadmap (the list)
    "roadmap.list.head": "출시 전 로드맵 항목 (요청한 고객의 ARR 순)",
    "roadmap.list.line": "{status} · 고객 {customers}곳 · ARR {arr}",
    "roadmap.list.empty": (
        "아직 출시 전 로드맵 항목이 없습니다. `/roadmap new 제목` 또는 "
        "메시지 메뉴의 *Make roadmap item*으로 만들어 보세요."
    ),
    "roadmap.list.text": "출시 전 로드맵 항목",
    # modals
    "roadmap.modal.title": "로드맵",
    "roadmap.modal.close": "닫기",
    "roadmap.item.title": "새 로드맵 항목",
    "roadmap.item.submit": "만들기",
    "roadmap.item.intro": "{channel}에 {author}님이 올린 메시지로 만듭니다.",
    "roadmap.item.name": "제목",
    "roadmap.item.name_hint": "한 줄, {max}자 이내",
    "roadmap.item.description": "설명",
    "roadmap.tag.title": "로드맵에 태그",
    "roadmap.tag.submit": "태그",
    "roadmap.tag.intro": "*{customer}*의 이 VoC는 어떤 로드맵 항목의 근거인가요?",
    "roadmap.tag.label": "로드맵 항목",
    "roadmap.tag.placeholder": "출시 전 항목 선택",
    "roadmap.tag.newest": "가장 최근 항목 {count}개만 표시됩니다.",
    "roadmap.tag.pick": "로드맵 항목을 선택하세요.",
    "roadmap.tag.none": (
        "태그할 수 있는 출시 전 로드맵 항목이 아직 없습니다. `/roadmap new 제목`(또는 메시지 메뉴의 *Make roadmap "
        "item*)으로 항목을 만든 뒤 다시 태그하세요."
    ),
    "roadmap.tag.done": "*{title}*에 태그했습니다. {channel}의 항목 스레드에 노트가 게시되고 집계가 갱신됩니다.",
    "roadmap.tag.already": "이 노트는 이미 *{title}*에 태그되어 있어 바뀐 것이 없습니다.",
    # a reply with a message link in an item's thread
    "roadmap.thread.tagged": "*{title}*에 태그했습니다: {customers}",
    "roadmap.thread.already": "이미 태그됨: {customers}",
    "roadmap.thread.not_logged": (
        "이 메시지는 아직 VoC로 기록되지 않아 태그할 것이 없습니다. 메시지에 :{emoji}: 이모지를 달아 VoC로 "
        "기록한 뒤, 여기에 링크를 다시 올려 주세요."
    ),
    # Untag
    "roadmap.untag.not_allowed": "이 노트를 태그한 {user}님이나 제품 매니저만 태그를 해제할 수 있습니다.",
    "roadmap.untag.gone": "이 노트는 이미 해당 항목에서 태그 해제되었습니다.",
    # status changes: product managers only
    "roadmap.status_unchanged": "*{title}*의 상태는 이미 “{status}”입니다.",
    "roadmap.pm.unconfigured": (
        "항목 상태는 제품 매니저만 바꿀 수 있는데, Baton이 아직 누가 제품 매니저인지 모릅니다. 관리자에게 "
        "`BATON_PM_USERGROUP`(사용자 그룹 ID, S…) 또는 `BATON_PM_CHANNEL`(채널 ID, C…)을 설정해 달라고 요청하세요."
    ),
    "roadmap.pm.not_pm": (
        "항목 상태는 제품 매니저({who})만 바꿀 수 있습니다. 제품 매니저에게 요청하거나, 본인이 포함되어야 "
        "한다면 관리자에게 문의하세요."
    ),
    "roadmap.pm.group": "{group} 멤버",
    "roadmap.pm.channel": "{channel} 멤버",
    "roadmap.pm.both": "{group} 또는 {channel} 멤버",
    "roadmap.pm.check_failed": (
        "Baton이 제품 매니저 목록을 확인하지 못해(Slack 응답: `{error}`) 상태를 바꾸지 않았습니다. 관리자에게 "
        "앱 권한과 `BATON_PM_USERGROUP` / `BATON_PM_CHANNEL` 설정을 확인해 달라고 요청하세요."
    ),
}
