"""Block Kit for nudges: a handoff draft left open, a handoff nobody accepted, a promise past its due date (the
meeting agenda is bot/blocks/meeting.py, which shares the small helpers here).

Pure builders: data in, dict blocks out (the schedule engine stores them as JSON), within Slack's limits
(50 blocks, section text 3,000, button 75). No new action ids: the buttons are the handoff's own (Fill
handoff, Accept) and the reminders' shared ones (Open card, Mark done, the mute menu), each handled where it
is defined.
"""

from collections.abc import Sequence
from datetime import date

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    SectionBlock,
)

from bot.blocks import handoff as hb
from bot.blocks import reminders as rb
from bot.blocks.kit import SECTION_LIMIT, mrkdwn, plain, section
from bot.i18n import format_date, t
from bot.text import escape_mrkdwn, truncate

MAX_BLOCKS = 50
NAME_LIMIT = 80  # a customer name in a line
ACCEPT_BLOCK = "nudge_accept"
# Catalog keys spelled out (not built with f-strings) so the catalog test sees each one.
PLURALS = {
    "hours": ("nudges.hours.one", "nudges.hours.other"),
    "days": ("nudges.days.one", "nudges.days.other"),
    "bdays": ("nudges.bdays.one", "nudges.bdays.other"),
    "customers": ("nudges.meeting.customers.one", "nudges.meeting.customers.other"),
    "at_risk": ("nudges.meeting.count.at_risk.one", "nudges.meeting.count.at_risk.other"),
    "handoffs": ("nudges.meeting.count.handoffs.one", "nudges.meeting.count.handoffs.other"),
    "flagged": ("nudges.meeting.count.flagged.one", "nudges.meeting.count.flagged.other"),
    "renewals": ("nudges.meeting.count.renewals.one", "nudges.meeting.count.renewals.other"),
    "promises": ("nudges.meeting.count.promises.one", "nudges.meeting.count.promises.other"),
    "tasks": ("nudges.meeting.count.tasks.one", "nudges.meeting.count.tasks.other"),
}


# --- small helpers ---------------------------------------------------------------------------------------


def _name(text: str | None, limit: int = NAME_LIMIT) -> str:
    return truncate(escape_mrkdwn(text or "—"), limit)


def _link(url: str | None, label: str) -> str:
    """`<url|label>` (label already escaped); the label alone when there is nothing to link to."""
    return f"<{url}|{label}>" if url else label


def plural(locale: str, unit: str, n: int) -> str:
    """`1 day` / `3 days`: `unit` is hours, days, bdays (business days) or customers."""
    one, other = PLURALS[unit]
    return t(locale, one) if n == 1 else t(locale, other, n=n)


def age_text(hours: float, locale: str) -> str:
    """How long ago, in whole hours under two days and whole days after."""
    whole = max(0, int(hours))
    return plural(locale, "hours", whole) if whole < 48 else plural(locale, "days", whole // 24)


def _dicts(blocks: Sequence[Block | dict]) -> list[dict]:
    out = [b if isinstance(b, dict) else b.to_dict() for b in blocks]
    if len(out) > MAX_BLOCKS:
        raise ValueError(f"{len(out)} blocks: over Slack's {MAX_BLOCKS}")
    return out


def _fill_button(locale: str, handoff_id: int) -> ButtonElement:
    return ButtonElement(
        text=plain(t(locale, "handoff.fill.button")), action_id=hb.FILL, value=str(handoff_id), style="primary"
    )


# --- nudges ------------------------------------------------------------------------------------------------


def draft_nudge(
    locale: str,
    *,
    key: str,
    kind: str,
    handoff_id: int,
    customer_id: int | None,
    customer: str,
    deal: str | None,
    amount: str | None,
    age: str,
    ae: str | None = None,
    to_lead: bool = False,
) -> tuple[list[dict], str]:
    """The DM about a handoff draft still not submitted: to the AE, or (`to_lead`) to the sales lead naming the
    AE; the Fill handoff button opens the same form as the fill request, and the menu mutes or pauses."""
    params = {
        "customer": _name(customer),
        "deal": _name(deal or customer),
        "amount": escape_mrkdwn(amount) if amount else "—",  # drawn by the caller; may carry a CRM currency
        "age": escape_mrkdwn(age),
    }
    if to_lead:
        text = t(locale, "nudges.draft.lead", ae=f"<@{ae}>" if ae else t(locale, "nudges.draft.no_ae"), **params)
    else:
        text = t(locale, "nudges.draft.ae", **params)
    blocks = [
        SectionBlock(text=mrkdwn(text), accessory=_fill_button(locale, handoff_id)),
        rb.controls(key, locale, customer_id=customer_id, kind=kind),
    ]
    return _dicts(blocks), truncate(text, SECTION_LIMIT)


def accept_nudge(
    locale: str,
    *,
    handoff_id: int,
    customer: str,
    amount: str | None,
    ae: str | None,
    submitted: date,
    age: str,
    url: str | None,
) -> tuple[list[dict], str]:
    """The CS channel post about a handoff nobody accepted: a link to its card and the card's own Accept button
    (the first click wins, as on the card; later clicks are told who accepted it)."""
    text = t(
        locale,
        "nudges.accept.text",
        customer=_name(customer),
        amount=escape_mrkdwn(amount) if amount else "—",
        ae=f"<@{ae}>" if ae else t(locale, "common.unknown"),
        date=format_date(submitted, locale),
        age=escape_mrkdwn(age),
    )
    body = text + (f"\n{_link(url, t(locale, 'nudges.accept.card'))}" if url else "")
    blocks = [
        section(body),
        ActionsBlock(
            block_id=f"{ACCEPT_BLOCK}:{handoff_id}",
            elements=[
                ButtonElement(
                    text=plain(t(locale, "handoff.card.accept")),
                    action_id=hb.ACCEPT,
                    value=str(handoff_id),
                    style="primary",
                )
            ],
        ),
    ]
    return _dicts(blocks), truncate(text, SECTION_LIMIT)


def promise_nudge(
    locale: str,
    *,
    key: str,
    kind: str,
    customer_id: int | None,
    customer: str,
    promise: str,
    due: date,
    days_overdue: int,
    url: str | None,
    as_owner: bool,
) -> tuple[list[dict], str]:
    """The DM to a promise's owner once it is past its due date: the promise, a link to the handoff card it
    came from, Open card (the customer's card lists its promises) and the mute menu. No Mark done: nothing in
    Baton marks a promise done yet (the reminders' Done button completes onboarding tasks only)."""
    text = t(
        locale,
        "nudges.promise.text",
        customer=_name(customer),
        promise=truncate(escape_mrkdwn(promise), 1500),
        due=format_date(due, locale),
        age=plural(locale, "days", days_overdue),
    )
    body = text + (f"\n{_link(url, t(locale, 'nudges.promise.card'))}" if url else "")
    head = SectionBlock(text=mrkdwn(body))
    if customer_id is not None:
        head = SectionBlock(text=mrkdwn(body), accessory=rb.open_card_button(customer_id, locale))
    blocks: list[Block | dict] = [head]
    if as_owner:
        blocks.append(ContextBlock(elements=[mrkdwn(t(locale, "nudges.promise.as_owner"))]))
    blocks.append(rb.controls(key, locale, customer_id=customer_id, kind=kind))
    return _dicts(blocks), truncate(text, SECTION_LIMIT)
