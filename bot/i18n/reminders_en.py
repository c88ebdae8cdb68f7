"""English catalog: reminders."""

MESSAGES: dict[str, str] = {
    # buttons and the mute menu
    "reminders.button.open_card": "Open card",
    "reminders.button.ack": "Acknowledge",
    "reminders.button.snooze": "Snooze 7 days",
    "reminders.button.hand_ae": "Hand to AE",
    "reminders.button.done": "Mark done",
    "reminders.button.undo": "Undo",
    "reminders.menu.mute_customer": "Mute this customer's reminders",
    "reminders.menu.pause_kind": "Pause {kind} for {days} days",
    "reminders.kind.renewal": "renewal reminders",
    "reminders.kind.onboarding": "onboarding reminders",
    "reminders.kind.nudge": "nudges",
    "reminders.kind.nudge.draft": "handoff draft reminders",
    "reminders.kind.nudge.lead": "handoff draft reminders",
    "reminders.kind.nudge.accept": "handoff acceptance reminders",
    "reminders.kind.nudge.promise": "promise reminders",
    "reminders.kind.meeting": "meeting reminders",
    "reminders.kind.other": "these reminders",
    # the customer's state
    "reminders.field.health": "Health",
    "reminders.field.arr": "ARR",
    "reminders.field.renewal": "Renewal",
    "reminders.field.promises": "Promises",
    "reminders.field.ae": "AE",
    "reminders.field.csm": "Owner CSM",
    "reminders.health.value": "{emoji} {band} · {score}",
    "reminders.health.none": "⚪ No score yet",
    "reminders.trend.change": "({arrow} {points} in 30 days)",
    "reminders.trend.flat": "(steady over 30 days)",
    "reminders.renewal.on": "{date} (in {days} days)",
    "reminders.renewal.on_today": "{date} (today)",
    "reminders.promises.none": "None open",
    "reminders.promises.open": "{open} open",
    "reminders.promises.late": "{open} open · ⚠️ {late} overdue",
    "reminders.nobody": "Nobody on record",
    "reminders.voc": "💬 Latest from the customer ({date}): “{quote}”",
    # the renewal ladder
    "reminders.renewal.title": "📅 *{name}* renews in {days} days",
    "reminders.renewal.title_today": "📅 *{name}* renews today",
    "reminders.renewal.text": "{name} renews in {days} days",
    "reminders.renewal.text_today": "{name} renews today",
    "reminders.renewal.lead_csm": "Renewal date {date}. Time to check the account and plan the renewal.",
    "reminders.renewal.lead_ae": (
        "Renewal date {date}. The owner CSM is reminded too; loop in where the deal needs you."
    ),
    "reminders.renewal.again": "⏰ Back from snooze.",
    "reminders.renewal.csp": (
        "📋 *{days} days out:* share the Customer Success Plan with the customer and confirm the renewal "
        "schedule (dates, decision makers, paperwork)."
    ),
    "reminders.renewal.risk": "⚠️ Health is *{band}*: plan how to turn it around before the renewal conversation.",
    "reminders.renewal.why_csm": "You get this as the owner CSM of {name} · the {step}-day renewal reminder",
    "reminders.renewal.why_ae": "You get this as the AE of {name} · the {step}-day renewal reminder",
    "reminders.handed.title": "🤝 {by} handed you the renewal of *{name}*",
    "reminders.handed.text": "A renewal was handed to you: {name}",
    "reminders.handed.why": "Handed over from the {step}-day renewal reminder · renewal date {date}",
    # onboarding
    "reminders.milestone.kickoff": "Kickoff",
    "reminders.milestone.activation": "Product activation",
    "reminders.milestone.training": "Basic training",
    "reminders.onboarding.title_due": "🚀 *{milestone}* for *{name}* is due today",
    "reminders.onboarding.title_late": "🚀 *{milestone}* for *{name}* is {days} days overdue",
    "reminders.onboarding.title_late_one": "🚀 *{milestone}* for *{name}* is 1 day overdue",
    "reminders.onboarding.text_late_one": "{milestone} for {name} is 1 day overdue",
    "reminders.onboarding.text_due": "{milestone} for {name} is due today",
    "reminders.onboarding.text_late": "{milestone} for {name} is {days} days overdue",
    "reminders.onboarding.due": "Due {date}. Mark it done here once it has happened.",
    "reminders.onboarding.playbook": "*Onboarding playbook*",
    "reminders.onboarding.item_done": "✅ {milestone}: done",
    "reminders.onboarding.item_open": "⬜ {milestone}: due {date}",
    "reminders.onboarding.item_late": "⚠️ {milestone}: overdue since {date}",
    "reminders.onboarding.criteria": "*Success criteria from the handoff*",
    "reminders.onboarding.why": (
        "Handoff accepted {date} · you get this as the owner. Reminders come on the due date, the day after, "
        "then weekly until done."
    ),
    # after a click
    "reminders.note.acknowledged": "✅ Acknowledged by {by} · {when}",
    "reminders.note.handed": "🤝 Handed to {ae} by {by} · {when}",
    "reminders.note.snoozed": "😴 Snoozed by {by} until {until}: Baton reminds you again then.",
    "reminders.note.done": "✅ Marked done by {by} · {when}",
    "reminders.muted.customer": "🔕 You won't get reminders about *{name}* any more. It still appears in digests.",
    "reminders.muted.kind": "⏸️ {kind} are paused for you until {until}.",
    "reminders.unmuted.customer": "🔔 Reminders about *{name}* are back on for you.",
    "reminders.unmuted.kind": "🔔 {kind} are back on for you.",
    "reminders.refused.not_yours": "This reminder is for {user}; only they can act on it.",
    "reminders.refused.not_owner": "Only {user} (the reminder's recipient or the customer's owner) can do that.",
    "reminders.refused.gone": "This reminder is no longer in Baton (the customer or task may have been removed).",
    "reminders.refused.no_ae": "*{name}* has no AE on record, so there is nobody to hand it to. Set one in the CRM.",
    "reminders.refused.already": "Already done: {note}",
    # the renewal ladder's question after the renewal date (bot/blocks/outcomes.py)
    "reminders.outcome.title": "🗓️ *{name}*'s renewal date ({date}) has passed. What happened?",
    "reminders.outcome.lead": "ARR on record: {arr}. Recording the outcome keeps Baton's ARR and retention right.",
    "reminders.outcome.again": "⏰ Asked again: no outcome recorded yet.",
    "reminders.outcome.why": (
        "You get this as the owner CSM of {name} · asked every 7 days until an outcome is recorded"
    ),
    "reminders.outcome.text": "What happened at {name}'s renewal?",
    "reminders.outcome.no_arr": "no ARR on record",
    "reminders.outcome.button.renewed": "✅ Renewed",
    "reminders.outcome.button.changed": "Changed ARR",
    "reminders.outcome.button.churned": "Churned",
    "reminders.outcome.confirm_title": "Renewed as it was?",
    "reminders.outcome.confirm_text": "Record {name} as renewed at {arr}? Its renewal date moves on by its term.",
    "reminders.outcome.confirm_yes": "Record renewed",
    "reminders.outcome.note.renewed": "✅ Renewed at {after} · recorded by {by} · {when}",
    "reminders.outcome.note.expanded": "📈 Expanded to {after} (from {before}) · recorded by {by} · {when}",
    "reminders.outcome.note.contracted": "📉 Contracted to {after} (from {before}) · recorded by {by} · {when}",
    "reminders.outcome.note.churned": "🚫 Churned ({before} ARR lost) · recorded by {by} · {when}",
    "reminders.outcome.next": "next renewal {date}",
    "reminders.outcome.reason": "Reason: “{reason}”",
    "reminders.outcome.changed_title": "Changed ARR",
    "reminders.outcome.churned_title": "Churned",
    "reminders.outcome.submit": "Record",
    "reminders.outcome.changed_intro": (
        "What is *{name}*'s ARR after its renewal on {date}? On record: {arr}. Higher records an expansion, lower "
        "a contraction."
    ),
    "reminders.outcome.churned_intro": (
        "Record *{name}* as churned at its renewal on {date}: its ARR ({arr}) leaves the ledger and its stage "
        "becomes churned."
    ),
    "reminders.outcome.arr_label": "ARR after the renewal",
    "reminders.outcome.arr_hint": "The customer's total ARR from the renewal on, e.g. 150,000, $150k or ₩1억 5천만.",
    "reminders.outcome.reason_label": "Reason",
    "reminders.outcome.reason_placeholder": "What the customer said, what changed",
    "reminders.outcome.err.empty": "Type the ARR after the renewal.",
    "reminders.outcome.err.invalid": "Type an amount such as 150000, 150,000, $150k or ₩1억 5천만.",
    "reminders.outcome.err.not_positive": "The ARR must be above 0 (use Churned if the customer left).",
    "reminders.outcome.err.too_large": "That amount is too large.",
    "reminders.outcome.err.currency_conflict": "Use one currency in the amount.",
    "reminders.outcome.err.no_reason": "Say why the customer left.",
    "reminders.outcome.err.gone": "This renewal question no longer exists.",
    "reminders.outcome.err.not_yours": "Only the customer's owner CSM or AE can record its renewal outcome.",
    "reminders.outcome.refused.not_yours": (
        "Only the owner CSM ({user}) or the AE of *{name}* can record its renewal outcome."
    ),
    "reminders.outcome.refused.gone": "This renewal question no longer exists (the customer was removed).",
    "reminders.outcome.refused.already": "The outcome of this renewal is already recorded: {note}",
}
