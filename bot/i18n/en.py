"""English catalog."""

MESSAGES: dict[str, str] = {
    # common
    "common.cancel": "Cancel",
    "common.send": "Send",
    "common.unknown": "unknown",
    "common.and_more": "…and {count} more",
    "common.try_again": "Slack took too long to open the form. Please try again.",
    "common.unexpected": "Something went wrong on our side. If it keeps happening, quote reference {ref}.",
    "common.stale_form": "Baton can no longer read this form (it may be from before an update). Copy what you "
    "typed, close the form and open it again.",
    "common.bad_button": "This button no longer works. Look the item up again and use the new message.",
    "common.modal_title": "Baton",
    "common.close": "Close",
    # help
    "help.fallback": "Here is what Baton can do.",
    "help.text": (
        "*Baton carries each customer from Sales to Customer Success.*\n"
        "• `/handoff [customer]`: fill the sales → CS handoff (also the *Start a handoff* shortcut)\n"
        "• When a deal closes in the CRM, its owner gets a DM with a *Fill handoff* button\n"
        "• On the handoff card, CSMs can *Accept*, *Ask AE* in the thread, or *Flag bad fit*\n"
        "• `/customer [name]`: one customer's status, only for you (also `@Baton customer acme`, or a name in a "
        "DM to Baton)\n"
        "• `/voc acme: what they said`, the *Log as VoC* message shortcut or a :bulb: reaction: "
        "log the customer's voice\n"
        "• `/roadmap`: roadmap items by the ARR asking for them; `/roadmap new TITLE` adds one (also the "
        "*Make roadmap item* message shortcut)\n"
        "• `/kpi [period] [segment | owner]`: retention, GRR, NRR, LTV and NPS with the change against the "
        "period before, only for you\n"
        "• Help any time: `/baton`, or `help`, `?` or `도움말` in any command"
    ),
    # the form
    "handoff.modal.title": "Sales → CS handoff",
    "handoff.modal.title_edit": "Edit handoff",
    "handoff.modal.submit": "Submit",
    "handoff.modal.intro": "Tell Customer Success what they need to know from day one. "
    "Fields marked optional can wait; everything else is needed for a good start.",
    "handoff.field.customer_name": "Customer (account)",
    "handoff.field.customer_name.placeholder": "e.g. ACME Corp.",
    "handoff.field.crm_ref": "CRM id or link",
    "handoff.field.crm_ref.placeholder": "HubSpot / Salesforce id or URL",
    "handoff.field.products_sold": "What was sold",
    "handoff.field.products_sold.placeholder": "Plan, products, scope, seats",
    "handoff.field.arr": "ARR / deal value",
    "handoff.field.arr.placeholder": "e.g. $120,000 or ₩150,000,000",
    "handoff.field.arr.hint": (
        "Amounts like 120000, 120,000, $120k or ₩1억 5천만 are fine. For a customer that already has ARR (an "
        "upsell or renewal), the customer's total ARR after this deal, not the deal's amount."
    ),
    "handoff.field.contract_start": "Contract start",
    "handoff.field.contract_start.placeholder": "Pick a date",
    "handoff.field.term_months": "Term (months)",
    "handoff.field.term_months.placeholder": "12",
    "handoff.field.renewal_date": "Renewal date",
    "handoff.field.renewal_date.placeholder": "Pick a date",
    "handoff.field.why_bought": "Why they bought, why now",
    "handoff.field.why_bought.placeholder": "The pain, the trigger, the alternative they rejected",
    "handoff.field.business_goals": "Business goals (in the customer's words)",
    "handoff.field.business_goals.placeholder": "What does success look like for them?",
    "handoff.field.success_criteria": "Success criteria (up to 3)",
    "handoff.field.success_criteria.placeholder": "Onboarding time: 10 days -> 3 days",
    "handoff.field.success_criteria.hint": "One per line; `metric: baseline -> target` if you know it.",
    "handoff.field.stakeholders": "Stakeholders",
    "handoff.field.stakeholders.placeholder": "Champion: Jane Kim, VP Ops, jane@acme.com",
    "handoff.field.stakeholders.hint": "One per line: `Role: Name, Title, email` "
    "(economic buyer, champion, day-to-day contact, technical contact).",
    "handoff.field.promises": "Promises made",
    "handoff.field.promises.placeholder": "SSO by launch | jane@company.com | 2026-12-15",
    "handoff.field.promises.hint": (
        "One per line: `what | owner's email | due date`. Write `none` if nothing was promised."
    ),
    "handoff.field.risks": "Known risks and objections",
    "handoff.field.risks.placeholder": "Budget owner changes in Q1, competitor still in the account…",
    "handoff.field.kickoff_date": "Kickoff date",
    "handoff.field.kickoff_date.placeholder": "Pick a date",
    "handoff.field.ae_user": "Account executive",
    "handoff.field.ae_user.placeholder": "Who sold it",
    "handoff.field.se_user": "Sales engineer",
    "handoff.field.se_user.placeholder": "Optional",
    "handoff.field.csm_user": "CSM (if known)",
    "handoff.field.csm_user.placeholder": "Optional",
    "handoff.field.icp_fit": "ICP fit",
    "handoff.field.icp_fit.placeholder": "How well do they fit our ideal customer profile?",
    "handoff.field.competitors": "Competitors evaluated",
    "handoff.field.competitors.placeholder": "Optional",
    "handoff.field.tech_requirements": "Technical requirements",
    "handoff.field.tech_requirements.placeholder": "SSO, integrations, data migration…",
    "handoff.field.links": "Links",
    "handoff.field.links.placeholder": "Proposal, SOW, call notes",
    "handoff.field.feature_requests": "Feature requests raised during the sale",
    "handoff.field.feature_requests.placeholder": "Optional",
    "handoff.icp.strong": "Strong fit",
    "handoff.icp.good": "Good fit",
    "handoff.icp.partial": "Partial fit",
    "handoff.icp.bad": "Bad fit",
    # the card
    "handoff.card.header": "🤝 Handoff: {customer}",
    "handoff.card.text": "New handoff: {customer} ({amount})",
    "handoff.card.arr": "ARR",
    "handoff.card.renewal": "Renewal",
    "handoff.card.term": "({months} months)",
    "handoff.card.ae": "AE",
    "handoff.card.se": "SE",
    "handoff.card.csm": "CSM",
    "handoff.card.contract_start": "Contract start",
    "handoff.card.kickoff": "Kickoff",
    "handoff.card.icp": "ICP fit",
    "handoff.card.products_sold": "Sold",
    "handoff.card.why_bought": "Why they bought",
    "handoff.card.business_goals": "Goals",
    "handoff.card.success_criteria": "Success criteria",
    "handoff.card.stakeholders": "Stakeholders",
    "handoff.card.risks": "Risks",
    "handoff.card.competitors": "Competitors",
    "handoff.card.tech_requirements": "Tech requirements",
    "handoff.card.links": "Links",
    "handoff.card.feature_requests": "Feature requests",
    "handoff.card.completeness": "Completeness",
    "handoff.card.filled": "{n}/{total} fields",
    "handoff.card.promises": "Promises",
    "handoff.card.due": "due {date}",
    "handoff.card.submitted": "Submitted by {user} {at}",
    "handoff.card.accepted": "✅ Accepted by {user} {at}",
    "handoff.card.bad_fit": "⚠️ Flagged as a bad fit by {user} {at}: {reason}",
    "handoff.card.accept": "Accept",
    "handoff.card.ask_ae": "Ask AE",
    "handoff.card.flag_bad_fit": "Flag bad fit",
    "handoff.card.edit": "Edit",
    "handoff.already_accepted": "This handoff was already accepted by {user} on {at}.",
    "handoff.already_submitted": "This handoff was already submitted by {user}.",
    "handoff.edit.not_allowed": "Only the AE or the person who submitted it can edit this handoff ({users}).",
    # ask AE / bad fit
    "handoff.ask.title": "Ask the AE",
    "handoff.ask.intro": "Your question about *{customer}* will be posted in the card's thread for {ae}.",
    "handoff.ask.label": "Question",
    "handoff.ask.thread": "{ae}, {asker} has a question about this handoff:",
    "handoff.bad_fit.title": "Flag bad fit",
    "handoff.bad_fit.intro": "Why is *{customer}* a bad fit? The reason is recorded and posted in the thread.",
    "handoff.bad_fit.label": "Reason",
    "handoff.bad_fit.thread": "⚠️ {user} flagged this customer as a bad fit:",
    # CRM
    "handoff.fill.dm": "🎉 *{deal}* with *{customer}* ({amount}) just closed. "
    "Please fill the handoff so Customer Success can start well.",
    "handoff.fill.unowned": "🎉 *{deal}* with *{customer}* ({amount}) just closed, but its owner ({email}) "
    "is not in this Slack workspace. Who will fill the handoff?",
    "handoff.fill.button": "Fill handoff",
    # validation
    "err.required": "Please fill this in.",
    "err.too_long": "Too long: {length} characters, the limit is {limit}.",
    "err.amount_empty": "Enter the ARR, e.g. $120,000.",
    "err.amount_invalid": "That doesn't look like an amount. Try 120000, $120k or ₩150,000,000.",
    "err.amount_not_positive": "ARR must be more than zero.",
    "err.amount_too_large": "That amount is too large.",
    "err.amount_currency_conflict": "The symbol and the currency code disagree.",
    "err.bad_date": "That is not a valid date.",
    "err.renewal_before_start": "The renewal date must be after the contract start ({start}).",
    "err.bad_term": "Enter the term in whole months, from 1 to 120.",
    "err.bad_choice": "Please pick one of the options.",
    "err.bad_user": "Please pick a person.",
    "err.line_too_long": "Line {line} is too long.",
    "err.line_too_many": "Too many lines (from line {line}).",
    "err.line_bad_format": "Line {line} is not in the expected format: {value}",
    "err.line_bad_date": "Line {line}: '{value}' is not a date (use YYYY-MM-DD).",
    "err.line_past_date": "Line {line}: the due date {value} is in the past.",
    "err.line_empty_text": "Line {line} has no text.",
    "err.line_bad_email": "Line {line}: '{value}' is not an email address.",
    "err.line_empty_name": "Line {line} has no name.",
    "err.name_taken": "Another customer is already called {name}.",
    "err.not_found": "That handoff no longer exists.",
    "err.crm_bad_id": "Enter the CRM record's id (letters, digits and . _ : -, at most {limit}), paste its HubSpot "
    "or Salesforce link, or leave this empty.",
    "err.crm_bad_link": "Baton can't read a company or deal id from this link. Paste the link of the HubSpot or "
    "Salesforce company or deal page, or just its id.",
    "err.crm_id_taken": "CRM id {id} already belongs to {name}. Check the id, or name the customer {name} to hand "
    "off that customer.",
    "err.crm_deal_taken": "Deal {id} already has a handoff, for {name}. Check the link, or edit that handoff.",
    "err.not_submitted": "This handoff has not been submitted yet.",
    # closing the loop: the submitter and the AE hear back
    "handoff.loop.card_link": "Open the card",
    "handoff.loop.submitted": "✅ Your handoff for *{customer}* is in {channel}. {link} · you will hear who takes it.",
    "handoff.loop.submitted.text": "Your handoff for {customer} is in",
    "handoff.loop.fill_done": "✅ Submitted: the handoff of *{deal}* with *{customer}*, by {user}. {link}",
    "handoff.loop.fill_done.text": "Handoff submitted for {customer}",
    "handoff.loop.accepted": "✅ {csm} took *{customer}* · kickoff {kickoff}. {link}",
    "handoff.loop.accepted.no_kickoff": "✅ {csm} took *{customer}* · no kickoff date yet. {link}",
    "handoff.loop.accepted.text": "A CSM took {customer}",
    "err.promise_owner_email": (
        "Promise {line}: no one in this Slack has the email {value}. "
        "Use a colleague's Slack email, or leave the owner empty."
    ),
    "err.promise_owner_name": (
        "Promise {line}: Baton does not know who “{value}” is. "
        "Write their Slack email (e.g. jane@company.com), or leave the owner empty."
    ),
    # the card: who owns it, what is missing (short names)
    "handoff.short.customer_name": "customer",
    "handoff.short.products_sold": "what was sold",
    "handoff.short.arr": "ARR",
    "handoff.short.renewal_date": "renewal",
    "handoff.short.why_bought": "why they bought",
    "handoff.short.business_goals": "goals",
    "handoff.short.success_criteria": "success criteria",
    "handoff.short.stakeholders": "stakeholders",
    "handoff.short.promises": "promises",
    "handoff.short.risks": "risks",
    "handoff.short.kickoff_date": "kickoff",
    "handoff.card.missing": "{filled} · missing: {fields}",
    "handoff.card.waiting": "⏳ *Waiting for a CSM* · submitted {ago}",
    "handoff.card.owned": "✅ {user} *owns it* · accepted {ago}",
}
