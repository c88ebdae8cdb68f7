"""English catalog: roadmap items, their VoC threads, status changes and the ship DM."""

MESSAGES: dict[str, str] = {
    # /roadmap
    "roadmap.usage": (
        "*Roadmap: the voice of the customer behind each product bet* (only you see this)\n"
        "• `/roadmap`: the open items, weightiest first (by the ARR of the customers asking for them)\n"
        "• `/roadmap new TITLE`: a new item, posted in {channel} with a live tally of who asks for it\n"
        "• *Make roadmap item* (a message's ⋮ menu): a new item from that message\n"
        "• Tag VoC to an item: *Tag to roadmap* on a VoC note, or a reply in the item's thread with a link to "
        "a message logged as VoC\n"
        "• Status (Planned → In progress → Shipped): the buttons on the item, for product managers. When it "
        "ships, the owner of each customer who asked gets a DM"
    ),
    "roadmap.usage_text": "How to use /roadmap",
    "roadmap.channel_unset": "the roadmap channel (not set up yet)",
    "roadmap.no_channel": (
        "Roadmap items live in a product channel, and none is set up yet. Ask an admin to set "
        "`BATON_ROADMAP_CHANNEL` to that channel's id and to invite Baton there."
    ),
    "roadmap.created": "Created *{title}*. It is being posted in {channel}, where VoC can be tagged to it.",
    "roadmap.exists": "This message already has a roadmap item: *{title}* in {channel}.",
    # errors (services.roadmap.RoadmapError codes)
    "roadmap.err.title_required": "Give the item a title (one line), e.g. “SSO with Okta”.",
    "roadmap.err.title_too_long": "Keep the title within {max} characters (this one has {length}).",
    "roadmap.err.unknown_item": "That roadmap item no longer exists.",
    "roadmap.err.unknown_voc": "That VoC note no longer exists.",
    "roadmap.err.bad_status": "Baton does not know that status.",
    # statuses, the moves between them, importance
    "roadmap.status.planned": "Planned",
    "roadmap.status.in_progress": "In progress",
    "roadmap.status.shipped": "Shipped",
    "roadmap.move.planned.in_progress": "Start work",
    "roadmap.move.in_progress.shipped": "Mark shipped",
    "roadmap.move.in_progress.planned": "Back to planned",
    "roadmap.move.shipped.in_progress": "Reopen",
    "roadmap.importance.nice_to_have": "Nice to have",
    "roadmap.importance.important": "Important",
    "roadmap.importance.critical": "Critical",
    "roadmap.importance.blocker": "Blocker",
    # the parent message in the roadmap channel
    "roadmap.parent.status": "Status",
    "roadmap.parent.customers": "Customers asking",
    "roadmap.parent.arr": "Their total ARR",
    "roadmap.parent.renewing": "Renewing within 90 days",
    "roadmap.parent.health": "Health",
    "roadmap.parent.health_value": "🟠 At risk: {at_risk} · 🔴 Unhealthy: {unhealthy}",
    "roadmap.parent.notes": "VoC notes",
    "roadmap.parent.quotes": "What they say",
    "roadmap.parent.empty": (
        "No VoC tagged yet. Reply in this thread with a link to a message logged as VoC, or use "
        "*Tag to roadmap* on a VoC note."
    ),
    "roadmap.parent.footer": "Created by {user} · the VoC behind this item is in the thread",
    "roadmap.parent.text": "Roadmap item: {title} ({status})",
    # a tagged note's post in the thread
    "roadmap.post.arr": "ARR {amount}",
    "roadmap.post.logged_by": "Logged by {users}",
    "roadmap.post.tagged_by": "tagged by {user}",
    "roadmap.post.source": "source message",
    "roadmap.post.untag": "Untag",
    "roadmap.post.text": "VoC from {customer}: {quote}",
    # the DM to each customer owner when the item ships
    "roadmap.shipped.head": (
        "🚀 *{title}* has shipped. These customers of yours asked for it: a good moment to tell them and close "
        "the loop."
    ),
    "roadmap.shipped.thread": "Every request behind it: {link}",
    "roadmap.shipped.thread_link": "the item's thread",
    "roadmap.shipped.text": "Shipped: {title}. {count} of your customers asked for it.",
    # /roadmap (the list)
    "roadmap.list.head": "Open roadmap items, by the ARR of the customers asking",
    "roadmap.list.line": "{status} · customers: {customers} · ARR: {arr}",
    "roadmap.list.empty": (
        "No open roadmap items yet. Create one with `/roadmap new TITLE`, or with *Make roadmap item* on a message."
    ),
    "roadmap.list.text": "Open roadmap items",
    # modals
    "roadmap.modal.title": "Roadmap",
    "roadmap.modal.close": "Close",
    "roadmap.item.title": "New roadmap item",
    "roadmap.item.submit": "Create",
    "roadmap.item.intro": "From a message by {author} in {channel}.",
    "roadmap.item.name": "Title",
    "roadmap.item.name_hint": "One line, up to {max} characters.",
    "roadmap.item.description": "Description",
    "roadmap.tag.title": "Tag to roadmap",
    "roadmap.tag.submit": "Tag",
    "roadmap.tag.intro": "Which roadmap item does this VoC from *{customer}* support?",
    "roadmap.tag.label": "Roadmap item",
    "roadmap.tag.placeholder": "Pick an open item",
    "roadmap.tag.newest": "Only the newest {count} open items are listed.",
    "roadmap.tag.pick": "Pick a roadmap item.",
    "roadmap.tag.none": (
        "There is no open roadmap item to tag this to yet. Create one with `/roadmap new TITLE` (or *Make roadmap "
        "item* on a message), then tag again."
    ),
    "roadmap.tag.done": (
        "Tagged to *{title}*. The note is posted in the item's thread in {channel}, and its tally is updated."
    ),
    "roadmap.tag.already": "This note was already tagged to *{title}*; nothing changed.",
    # a reply with a message link in an item's thread
    "roadmap.thread.tagged": "Tagged to *{title}*: {customers}.",
    "roadmap.thread.already": "Already tagged: {customers}.",
    "roadmap.thread.not_logged": (
        "That message is not logged as VoC yet, so there is nothing to tag. React to it with :{emoji}: to log it, "
        "then post the link here again."
    ),
    # Untag
    "roadmap.untag.not_allowed": "Only {user}, who tagged this note, or a product manager can untag it.",
    "roadmap.untag.gone": "This note is no longer tagged to that item.",
    # status changes: product managers only
    "roadmap.status_unchanged": "The status of *{title}* is already “{status}”.",
    "roadmap.pm.unconfigured": (
        "Only product managers can change an item's status, and Baton does not know who they are yet. Ask an admin "
        "to set `BATON_PM_USERGROUP` (a user group id, S…) or `BATON_PM_CHANNEL` (a channel id, C…)."
    ),
    "roadmap.pm.not_pm": (
        "Only product managers ({who}) can change an item's status. Ask one of them, or an admin if you should be one."
    ),
    "roadmap.pm.group": "members of {group}",
    "roadmap.pm.channel": "members of {channel}",
    "roadmap.pm.both": "members of {group} or {channel}",
    "roadmap.pm.check_failed": (
        "Baton could not check who the product managers are (Slack said `{error}`), so the status stays as it is. "
        "Ask an admin to check the app's scopes and the `BATON_PM_USERGROUP` / `BATON_PM_CHANNEL` settings."
    ),
}
