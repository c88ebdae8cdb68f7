"""English catalog: nudges (handoff drafts, handoffs waiting for acceptance, overdue promises) and the
cross-team meeting reminder with its agenda."""

MESSAGES: dict[str, str] = {
    # durations
    "nudges.hours.one": "1 hour",
    "nudges.hours.other": "{n} hours",
    "nudges.days.one": "1 day",
    "nudges.days.other": "{n} days",
    "nudges.bdays.one": "1 business day",
    "nudges.bdays.other": "{n} business days",
    # handoff drafts
    "nudges.draft.ae": "⏰ The handoff for *{customer}* ({deal}, {amount}) is still a draft {age} after the deal "
    "closed. Please fill it in so Customer Success can take over.",
    "nudges.draft.lead": "⏰ The handoff for *{customer}* ({deal}, {amount}) is still a draft {age} after the deal "
    "closed. AE: {ae}. Could you follow up, or fill it in yourself?",
    "nudges.draft.no_ae": "nobody (the deal owner is not in Slack)",
    # handoffs not accepted
    "nudges.accept.text": "⏳ The handoff for *{customer}* ({amount}) was submitted by {ae} on {date} and is still "
    "not accepted after {age}. Who takes it?",
    "nudges.accept.card": "Open the handoff card",
    # overdue promises
    "nudges.promise.text": "⏰ A promise to *{customer}* is overdue: “{promise}”. It was due {due} ({age} ago).",
    "nudges.promise.as_owner": "The promise has no owner, so this goes to you as the customer's owner.",
    "nudges.promise.card": "Handoff card",
    # the meeting reminder
    "nudges.meeting.header": "📋 Cross-team meeting on {day}: agenda",
    "nudges.meeting.header.today": "📋 Cross-team meeting today: agenda",
    "nudges.meeting.header.tomorrow": "📋 Cross-team meeting tomorrow: agenda",
    "nudges.meeting.when": "{day} at {time} ({tz}) · built from Baton's data · each item opens its card",
    "nudges.meeting.day": "{weekday}, {date}",
    "nudges.meeting.text": "📋 Cross-team meeting {day} at {time}: {at_risk} accounts at risk, {handoffs} handoffs "
    "waiting, {renewals} renewals in 90 days, {promises} overdue promises, {tasks} overdue onboarding tasks.",
    "nudges.meeting.at_risk": "*🚨 Accounts at risk* · {count} · {arr}",
    "nudges.meeting.handoffs": "*📨 Handoffs waiting for acceptance* · {count}",
    "nudges.meeting.themes": "*💬 Top customer requests by ARR* · {count}",
    "nudges.meeting.renewals": "*🔁 Renewals in the next 90 days* · {count} · {arr}",
    "nudges.meeting.promises": "*🤝 Overdue promises* · {count}",
    "nudges.meeting.tasks": "*🧭 Overdue onboarding tasks* · {count}",
    "nudges.meeting.none": "_Nothing to discuss._",
    "nudges.meeting.more": "…and {count} more",
    "nudges.meeting.more_arr": "…and {count} more ({arr})",
    "nudges.meeting.renews": "renews {date}",
    "nudges.meeting.in_days": "{date} (in {age})",
    "nudges.meeting.today": "{date} (today)",
    "nudges.meeting.submitted": "submitted {date} by {ae}",
    "nudges.meeting.waiting": "waiting {age}",
    "nudges.meeting.due": "due {date} ({age} ago)",
    "nudges.meeting.overdue": "due {date} ({age} overdue)",
    "nudges.meeting.customers.one": "1 customer",
    "nudges.meeting.customers.other": "{n} customers",
    "nudges.meeting.theme_at_risk": "{n} at risk or unhealthy",
    "nudges.meeting.theme_renewing": "{n} renewing within 90 days",
    "nudges.meeting.no_owner": "no owner",
    "nudges.milestone.kickoff": "Kickoff",
    "nudges.milestone.activation": "Product activation",
    "nudges.milestone.training": "Basic training",
    "nudges.weekday.mon": "Mon",
    "nudges.weekday.tue": "Tue",
    "nudges.weekday.wed": "Wed",
    "nudges.weekday.thu": "Thu",
    "nudges.weekday.fri": "Fri",
    "nudges.weekday.sat": "Sat",
    "nudges.weekday.sun": "Sun",
}
