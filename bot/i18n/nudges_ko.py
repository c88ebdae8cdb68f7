"""Korean catalog: nudges (handoff drafts, handoffs waiting for acceptance, overdue promises) and the
cross-team meeting reminder with its agenda."""

MESSAGES: dict[str, str] = {
    # durations
    "nudges.hours.one": "1시간",
    "nudges.hours.other": "{n}시간",
    "nudges.days.one": "1일",
    "nudges.days.other": "{n}일",
    "nudges.bdays.one": "영업일 1일",
    "nudges.bdays.other": "영업일 {n}일",
    # handoff drafts
    "nudges.draft.ae": "⏰ *{customer}* 인계({deal}, {amount})가 딜 성사 후 {age}이 지나도록 초안 상태입니다. "
    "CS팀이 이어받을 수 있도록 작성해 주세요.",
    "nudges.draft.lead": "⏰ *{customer}* 인계({deal}, {amount})가 딜 성사 후 {age}이 지나도록 초안 상태입니다. "
    "담당 AE: {ae}. 확인해 주시거나 직접 작성해 주세요.",
    "nudges.draft.no_ae": "없음 (딜 담당자가 Slack에 없음)",
    # handoffs not accepted
    "nudges.accept.text": "⏳ {ae}님이 {date}에 제출한 *{customer}* 인계({amount})가 {age}이 지나도록 "
    "수락되지 않았습니다. 누가 맡으시겠어요?",
    "nudges.accept.card": "인계 카드 열기",
    # overdue promises
    "nudges.promise.text": "⏰ *{customer}*에 한 약속의 기한이 지났습니다: “{promise}”. "
    "기한은 {due}였습니다({age} 전).",
    "nudges.promise.as_owner": "약속 담당자가 정해지지 않아 고객 담당자께 보냅니다.",
    "nudges.promise.card": "인계 카드",
    # the meeting reminder
    "nudges.meeting.header": "📋 {day} 부서 간 협업 회의 안건",
    "nudges.meeting.header.today": "📋 오늘 부서 간 협업 회의 안건",
    "nudges.meeting.header.tomorrow": "📋 내일 부서 간 협업 회의 안건",
    "nudges.meeting.when": "{day} {time} ({tz}) · Baton 데이터로 만든 안건 · 항목마다 카드를 열 수 있습니다",
    "nudges.meeting.day": "{date} ({weekday})",
    "nudges.meeting.text": "📋 부서 간 협업 회의 {day} {time}: 위험 고객 {at_risk}곳, 수락 대기 인계 {handoffs}건, "
    "90일 내 갱신 {renewals}곳, 기한이 지난 약속 {promises}건, 기한이 지난 온보딩 작업 {tasks}건.",
    "nudges.meeting.at_risk": "*🚨 위험 고객* · {count}곳 · {arr}",
    "nudges.meeting.handoffs": "*📨 수락 대기 중인 인계* · {count}건",
    "nudges.meeting.themes": "*💬 ARR 기준 주요 고객 요청* · {count}건",
    "nudges.meeting.renewals": "*🔁 90일 내 갱신* · {count}곳 · {arr}",
    "nudges.meeting.promises": "*🤝 기한이 지난 약속* · {count}건",
    "nudges.meeting.tasks": "*🧭 기한이 지난 온보딩 작업* · {count}건",
    "nudges.meeting.none": "_논의할 항목이 없습니다._",
    "nudges.meeting.more": "…외 {count}건",
    "nudges.meeting.more_arr": "…외 {count}곳 ({arr})",
    "nudges.meeting.renews": "{date} 갱신",
    "nudges.meeting.in_days": "{date} ({age} 후)",
    "nudges.meeting.today": "{date} (오늘)",
    "nudges.meeting.submitted": "{date} {ae} 제출",
    "nudges.meeting.waiting": "{age}째 대기",
    "nudges.meeting.due": "기한 {date} ({age} 전)",
    "nudges.meeting.overdue": "기한 {date} ({age} 지남)",
    "nudges.meeting.customers.one": "고객 1곳",
    "nudges.meeting.customers.other": "고객 {n}곳",
    "nudges.meeting.theme_at_risk": "주의·위험 {n}곳",
    "nudges.meeting.theme_renewing": "90일 내 갱신 {n}곳",
    "nudges.meeting.no_owner": "담당자 없음",
    "nudges.milestone.kickoff": "킥오프",
    "nudges.milestone.activation": "제품 활성화",
    "nudges.milestone.training": "기본 교육",
    "nudges.weekday.mon": "월",
    "nudges.weekday.tue": "화",
    "nudges.weekday.wed": "수",
    "nudges.weekday.thu": "목",
    "nudges.weekday.fri": "금",
    "nudges.weekday.sat": "토",
    "nudges.weekday.sun": "일",
}
