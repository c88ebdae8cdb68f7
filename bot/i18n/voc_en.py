"""Voice of the customer capture: the Log as VoC modal, /voc, the reaction prompt, confirmations (en)."""

MESSAGES: dict[str, str] = {
    # labels composed from stored values (bot/blocks/customer.py: voc_label)
    "voc.category.feature_request": "Feature request",
    "voc.category.bug": "Bug",
    "voc.category.complaint": "Complaint",
    "voc.category.praise": "Praise",
    "voc.category.question": "Question",
    "voc.category.other": "Other",
    "voc.importance.nice_to_have": "Nice to have",
    "voc.importance.important": "Important",
    "voc.importance.critical": "Critical",
    "voc.importance.blocker": "Blocker",
    "voc.status.planned": "planned",
    "voc.status.in_progress": "in progress",
    "voc.status.shipped": "shipped",
    # buttons
    "voc.button.log": "Log as VoC",
    "voc.button.tag": "Tag to roadmap",
    "voc.button.open_customer": "Open customer",
    "voc.button.view": "View full note",
    # the Log as VoC modal
    "voc.modal.title": "Log VoC",
    "voc.modal.submit": "Log",
    "voc.modal.cancel": "Cancel",
    "voc.modal.from": "From {author} in {channel}",
    "voc.modal.from_author": "From {author}",
    "voc.modal.customer": "Customer",
    "voc.modal.customer_placeholder": "Search by name, domain or CRM id",
    "voc.modal.quote": "What the customer said",
    "voc.modal.quote_placeholder": "Their words, as close as you can get",
    "voc.modal.cut": (
        "The message is {length} characters long and only the first 3,000 fit here. Leave the text as it is to "
        "log the whole message, or edit it to log your version."
    ),
    "voc.modal.category": "Category",
    "voc.modal.importance": "Importance",
    "voc.modal.area": "Product area",
    "voc.modal.area_placeholder": "Optional, e.g. Reporting or SSO",
    "voc.modal.roadmap": "Roadmap item",
    "voc.modal.roadmap_placeholder": "Optional: tag it to a roadmap item",
    # inline errors (voc.err.<code>, from bot/services/voc.py and the modal)
    "voc.err.customer_required": "Pick the customer who said this.",
    "voc.err.unknown_customer": "This customer is no longer in Baton. Pick another one.",
    "voc.err.quote_required": "Write down what the customer said.",
    "voc.err.quote_too_long": "Keep the quote to {max} characters (it has {length}).",
    "voc.err.bad_category": "Pick a category from the list.",
    "voc.err.bad_importance": "Pick an importance from the list.",
    "voc.err.area_too_long": "Keep the product area to {max} characters (it has {length}).",
    "voc.err.unknown_item": "This roadmap item is no longer open. Pick another one or leave it empty.",
    "voc.err.draft_expired": "The full text of this message has expired. Edit the text to log what you see.",
    # the confirmation
    "voc.logged": "✅ Logged as VoC for *{customer}*.",
    "voc.logged.existing": "{user} had already logged this, so you were added as a reporter.",
    "voc.logged.again": "You had already logged this; nothing changed.",
    "voc.logged.tagged": "Tagged to the roadmap: *{item}*",
    "voc.logged.text": "Logged as VoC for {customer}",
    "voc.source_link": "Source message",
    # /voc
    "voc.usage": (
        "*Log what a customer said (VoC)*\n"
        "• `/voc acme: Needs SSO before the rollout` logs it for ACME (a full-width colon `：` works too)\n"
        "• `/voc` opens the form: customer, category, importance, product area and roadmap item "
        "(`/voc what they said`, without a colon, opens it with the text in)\n"
        "• `/voc list` shows the team's latest notes; `/voc list acme` shows ACME's\n"
        "• On any message, choose *Log as VoC* in its ⋯ menu, or react with :{emoji}:"
    ),
    "voc.usage.text": "How to use /voc",
    "voc.candidates": "Several customers match “{query}”. Which one said this?",
    "voc.suggestions": "No customer matches “{query}”. Did you mean one of these?",
    "voc.none": "No customer matches “{query}”. Check the name, or add the customer to Baton first.",
    "voc.candidates.more": "More customers match; type more of the name to narrow it down.",
    "voc.pick.expired": "This choice has expired. Run `/voc` again.",
    # /voc list
    "voc.list.header": "Latest VoC",
    "voc.list.header_customer": "Latest VoC: {customer}",
    "voc.list.empty": "No VoC has been logged yet.",
    "voc.list.empty_customer": "No VoC has been logged for *{customer}* yet.",
    "voc.list.reporters": "Logged by {users}",
    # the reaction
    "voc.reaction.prompt": "Log this message from {author} as VoC? Only you can see this.",
    "voc.reaction.prompt_no_author": "Log this message as VoC? Only you can see this.",
    "voc.reaction.text": "Log this message as VoC?",
    "voc.reaction.unreadable": (
        "I couldn't read the message you reacted to in <#{channel}>. Invite me to the channel "
        "(`/invite @Baton`) and react again."
    ),
    "voc.draft.expired": (
        "This button has expired or belongs to someone else. React to the message with :{emoji}: again."
    ),
    # the full-note modal
    "voc.view.title": "VoC note",
    "voc.view.close": "Close",
    "voc.view.customer": "*{customer}*",
    "voc.view.area": "Product area: {area}",
    "voc.view.gone": "This note is no longer in Baton.",
    # Edit on a confirmation
    "voc.button.edit": "Edit",
    "voc.edit.title": "Edit VoC",
    "voc.edit.submit": "Save",
    "voc.edit.for": "For *{customer}*",
    "voc.edit.long_quote": "The quote ({length} characters, logged whole from its message) stays as it is.",
    "voc.edited": "✏️ Updated the VoC for *{customer}*.",
    "voc.err.note_gone": "This note is no longer in Baton.",
    "voc.err.not_yours": "Only {user}, who logged this note, can edit it.",
}
