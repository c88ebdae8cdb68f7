"""Block Kit for `/customer`: the customer card, the pick-one list, the usage note and the card's two modals.

Pure builders: data in, blocks out. Whatever the data (255-character names, 3,000-character handoff texts,
hundreds of promises), every message stays within Slack's limits: at most 50 blocks, section text 3,000,
fields 10 x 2,000, header 150, button text 75, modal title 24, private_metadata 3,000.
"""

from collections.abc import Sequence

from pydantic import BaseModel
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    CheckboxesElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    Option,
    SectionBlock,
)

from bot.blocks import kit
from bot.blocks.kit import SECTION_LIMIT
from bot.blocks.kit import mrkdwn as _mrkdwn
from bot.blocks.kit import plain as _plain
from bot.blocks.kit import section as _section
from bot.i18n import format_date, has, t, t_count
from bot.money import format_amount
from bot.signals import SIGNALS
from bot.text import escape_mrkdwn, truncate
from bot.viewdata.customer import CsmRating, CustomerStatus, PromiseItem, TouchItem, VocNote
from bot.viewdata.lookup import Match

# --- ids (one place; a test checks each action id has a listener) -----------------------------------
PICK = "customer_pick"  # a button of the pick-one list: opens that customer's card
SHARE = "customer_share"
OPEN_HANDOFF = "customer_open_handoff"
UPDATE_HEALTH = "customer_update_health"
LOG_VOC = "customer_log_voc"  # Log VoC for this customer (value: CardRef): the form with the customer chosen
ASK_AE = "handoff_ask_ae"  # the handoff card's Ask AE (bot/blocks/handoff.py; value: the handoff id)
OPEN_CRM = "customer_open_crm"  # a link to the customer's CRM record (Slack still sends the click: acked)
HEALTH_MODAL = "customer_health_submit"
LOG_TOUCH = "customer_log_touch"  # Log a touch (value: CardRef): a call, meeting, email or note with this customer
TOUCH_MODAL = "customer_touch_submit"
TOUCH_KIND_BLOCK = "touch_kind"
TOUCH_DATE_BLOCK = "touch_date"
TOUCH_NOTE_BLOCK = "touch_note"
HANDOFF_VIEW_MODAL = "customer_handoff_view"  # read-only, never submitted
VOC_VIEW = "voc_view"  # a VoC note's View full note button (listener in handlers/voc.py)
CARD_ACTIONS_BLOCK = "customer_card_actions"
PICK_BLOCK_PREFIX = "customer_pick_"
RATING_BLOCK = "rating"
NOTE_BLOCK = "note"
VALUE = "value"  # action id of each input element; the block id names the field

FIELD_LIMIT = 2000
MAX_BLOCKS = 50
MAX_PROMISES_SHOWN = 5
PROMISE_DONE = "card_promise_done"  # a promise's checkbox on the asker's card (option value: the promise id)
PROMISES_BLOCK = "card_promises_"  # + the customer id: the card to redraw once it is ticked
MAX_DRIVERS = 3
MAX_VOC = 3
TOUCH_NOTE = 300  # characters of a touch's note on the card
TOUCH_EMOJI = {"call": "📞", "meeting": "👥", "email": "✉️", "note": "📝"}
VOC_QUOTE = 600  # characters of a VoC quote on the card (after escaping); View full note shows all of it
MAX_VOC_ITEMS = 3  # roadmap items listed under a note
HANDOFF_PART = 800  # characters of each handoff answer on the card; the modal shows all of it
BAND_EMOJI = {"healthy": "🟢", "at_risk": "🟠", "unhealthy": "🔴"}
STAGES = ("onboarding", "adoption", "value_realized", "renewal", "expansion", "churned")
BANDS = tuple(BAND_EMOJI)
RISKS = ("usage_drop", "ticket_spike", "nps_detractor", "overdue_invoice", "renewal_soon_not_healthy")
CATEGORIES = ("usage", "support", "sentiment", "engagement", "billing")
# How a signal's value reads: a plain count unless listed here.
PERCENT = frozenset({"key_feature_use", "license_utilisation"})
OUT_OF = {"nps": 10, "csat": 5, "csm_rating": 5}
DAYS_AGO = frozenset({"last_meeting_days"})
YES_NO = frozenset({"champion_present"})


class CardRef(BaseModel):
    """What the card's buttons carry in `value`: the customer, the channel to share in, and whether this is
    the shared (possibly redacted) card."""

    customer_id: int
    channel: str | None = None
    shared: bool = False

    def dump(self) -> str:
        return kit.button_value(self.model_dump_json(exclude_defaults=True))


def _key(*parts: str) -> str:
    """A catalog key built from parts (`customer.signal.nps`); every such key is checked by the tests."""
    return ".".join(("customer", *parts))


def _number(value: float) -> str:
    if value == int(value):
        return f"{int(value):,}"
    return f"{value:,.1f}"


def _user(user_id: str | None, email: str | None, locale: str) -> str:
    if user_id:
        return f"<@{user_id}>"
    if email:
        return escape_mrkdwn(truncate(email, 255))
    return t(locale, "customer.card.unassigned")


def _ago(days: int, locale: str) -> str:
    if days <= 0:
        return t(locale, "customer.ago.today")
    if days == 1:
        return t(locale, "customer.ago.yesterday")
    return t(locale, "customer.ago.days", days=days)


def stage_label(stage: str, locale: str) -> str:
    """The stage in the reader's language; an unknown stage is shown as stored."""
    if stage in STAGES:
        return t(locale, _key("stage", stage))
    return escape_mrkdwn(truncate(stage, 100))


def signal_label(signal: str, locale: str) -> str:
    if signal in SIGNALS:
        return t(locale, _key("signal", signal))
    return escape_mrkdwn(truncate(signal, 100))


def band_label(band: str | None, locale: str) -> str:
    if band in BANDS:
        return t(locale, _key("band", band))  # type: ignore[arg-type]
    return t(locale, "customer.risk.no_score")


def signal_value(signal: str, value: float, locale: str) -> str:
    """A signal's value as people read it: `45%`, `3/10`, `12 days ago`, `still there`, `1,204`."""
    if signal in PERCENT:
        return t(locale, "customer.value.percent", value=_number(value))
    if signal in OUT_OF:
        return t(locale, "customer.value.out_of", value=_number(value), max=OUT_OF[signal])
    if signal in DAYS_AGO:
        return t(locale, "customer.value.days_ago", value=_number(value))
    if signal in YES_NO:
        return t(locale, "customer.value.yes" if value >= 1 else "customer.value.no")
    return _number(value)


def risk_text(code: str, params: dict, locale: str) -> str:
    """One risk signal as a sentence; an unknown code is shown as its name."""
    if code not in RISKS:
        return escape_mrkdwn(truncate(code, 100))
    shown: dict[str, object] = {}
    signal = str(params.get("signal", ""))
    for name, value in params.items():
        if name == "signal":
            shown[name] = signal_label(signal, locale)
        elif name == "band":  # in a sentence: "while at risk"
            shown[name] = t(locale, _key("risk", "band", value)) if value in BANDS else band_label(None, locale)
        elif name in ("before", "after") and isinstance(value, int | float):
            shown[name] = signal_value(signal, float(value), locale)
        elif isinstance(value, int | float):
            shown[name] = _number(float(value))
        else:
            shown[name] = escape_mrkdwn(truncate(str(value), 100))
    return t(locale, _key("risk", code), **shown)


# --- lookup answers ---------------------------------------------------------------------------------


def usage_message(locale: str) -> tuple[list[Block], str]:
    """How to use `/customer`, with examples (for an empty query)."""
    return [_section(t(locale, "customer.usage"))], t(locale, "customer.usage.text")


def gone_message(locale: str) -> tuple[list[Block], str]:
    """The customer behind a button is no longer there (deleted, or from another workspace)."""
    text = t(locale, "customer.gone")
    return [_section(text)], text


def choices_message(
    locale: str,
    query: str,
    matches: Sequence[Match],
    *,
    suggestions: bool,
    more: bool = False,
    channel: str | None = None,
) -> tuple[list[Block], str]:
    """Several customers fit (or, with `suggestions`, none did and these are the closest): one button each,
    which opens that customer's card. With no matches at all, says how to search."""
    shown_query = escape_mrkdwn(truncate(query, 100))
    if not matches:
        text = t(locale, "customer.none", query=shown_query)
        return [_section(text)], text
    text = t(locale, "customer.suggestions" if suggestions else "customer.candidates", query=shown_query)
    blocks: list[Block] = [_section(text)]
    for i, match in enumerate(matches[: MAX_BLOCKS - 2]):
        # One actions block per customer: action ids must be unique within a block, and this keeps one id.
        blocks.append(
            ActionsBlock(
                block_id=f"{PICK_BLOCK_PREFIX}{i}",
                elements=[
                    ButtonElement(
                        text=_plain(match.name),
                        action_id=PICK,
                        value=CardRef(customer_id=match.id, channel=channel).dump(),
                    )
                ],
            )
        )
    if more:
        blocks.append(ContextBlock(elements=[_mrkdwn(t(locale, "customer.candidates.more", count=len(matches)))]))
    return blocks, text


# --- the card ---------------------------------------------------------------------------------------


def _field(locale: str, key: str, value: str) -> MarkdownTextObject:
    return _mrkdwn(f"*{t(locale, key)}*\n{value}", FIELD_LIMIT)


def _renewal(status: CustomerStatus, locale: str) -> str:
    when = format_date(status.renewal_date, locale)
    days = status.days_to_renewal
    if days is None:
        return when
    if days > 0:
        return t(locale, "customer.renewal.in_days", date=when, days=days)
    if days == 0:
        return t(locale, "customer.renewal.today", date=when)
    return t(locale, "customer.renewal.past", date=when, days=-days)


def _facts(status: CustomerStatus, locale: str, hidden: frozenset[str]) -> list[MarkdownTextObject]:
    fields = []
    if "owner" not in hidden:
        fields.append(_field(locale, "customer.card.owner", _user(status.owner_user_id, status.owner_email, locale)))
        fields.append(_field(locale, "customer.card.ae", _user(status.ae_user_id, status.ae_email, locale)))
    if "arr" not in hidden:
        amount = (
            format_amount(status.arr, status.currency, locale) if status.arr is not None and status.currency else "—"
        )
        fields.append(_field(locale, "customer.card.arr", amount))
    if "renewal" not in hidden:
        fields.append(_field(locale, "customer.card.renewal", _renewal(status, locale)))
    health = status.health
    if "score" not in hidden:
        if health is None:
            fields.append(_field(locale, "customer.card.score", t(locale, "customer.card.health_unavailable")))
        elif health.score.score is None:
            fields.append(_field(locale, "customer.card.score", t(locale, "customer.card.no_score")))
        else:
            band = health.score.band or ""
            score = t(
                locale,
                "customer.card.score_value",
                emoji=BAND_EMOJI.get(band, "⚪"),
                score=kit.points(health.score.score),
                band=band_label(band, locale),
            )
            fields.append(_field(locale, "customer.card.score", score))
            trend = health.trend
            spark = trend.sparkline if trend.sparkline.strip() else "—"
            value = t(
                locale,
                "customer.card.trend_value",
                sparkline=spark,
                delta_7d=kit.signed_points(trend.delta_7d),
                delta_30d=kit.signed_points(trend.delta_30d),
            )
            fields.append(_field(locale, "customer.card.trend", value))
    return fields[:10]


def _verdict(status: CustomerStatus, locale: str, hidden: frozenset[str]) -> SectionBlock | None:
    """The card's first line: band, score, this week's change and the one or two reasons that matter most
    (`🔴 *35* ▼61 this week: Active users down 54% in 14 days (149 → 68) · Support tickets spiked: 1 → 8`)."""
    health = status.health
    if "score" in hidden or health is None or health.score.score is None:
        return None
    band = health.score.band or ""
    delta = health.trend.delta_7d
    shown = kit.points(abs(delta)) if delta is not None else None
    change = "" if shown is None else ("±0" if shown == "0" else f"{'▲' if delta > 0 else '▼'}{shown}")
    risks = (
        []
        if "risks" in hidden
        else [r for r in health.risks if not ("renewal" in hidden and r.code == "renewal_soon_not_healthy")]
    )
    reasons = [risk_text(r.code, r.params, locale) for r in risks[:2]]
    if not reasons and "drivers" not in hidden and band != "healthy":
        reasons = [
            f"{signal_label(d.signal, locale)}: {signal_value(d.signal, d.value, locale)}"
            for d in health.score.drivers_down[:2]
        ]
    key = "customer.card.verdict" + ("" if change else ".no_change") + ("" if reasons else ".quiet")
    text = t(
        locale,
        key,
        emoji=BAND_EMOJI.get(band, "⚪"),
        score=kit.points(health.score.score),
        change=change,
        reasons=" · ".join(reasons),
    )
    return _section(text)


def rating_text(r: CsmRating, locale: str) -> str:
    """The CSM's own rating and its note: `🧑‍💼 CSM rating 4/5 · <@U1> · Dec 1, 2026: “…”` (the card, the
    renewal DMs)."""
    key = "customer.card.rating_note" if r.note else "customer.card.rating"
    return t(
        locale,
        key,
        rating=r.rating,
        by=f"<@{r.by}>" if r.by else t(locale, "common.unknown"),
        date=format_date(r.as_of, locale),
        note=escape_mrkdwn(truncate(" ".join(r.note.split()) if r.note else "", 500)),
    )


def _rating(status: CustomerStatus, locale: str, hidden: frozenset[str]) -> ContextBlock | None:
    r = status.rating
    if r is None or "score" in hidden:
        return None
    return ContextBlock(elements=[_mrkdwn(rating_text(r, locale))])


def _drivers(status: CustomerStatus, locale: str) -> SectionBlock | None:
    if status.health is None:
        return None
    parts = []
    for key, drivers in (
        ("customer.card.drivers_down", status.health.score.drivers_down),
        ("customer.card.drivers_up", status.health.score.drivers_up),
    ):
        if drivers:
            lines = [f"• {_driver_text(d, status, locale)}" for d in drivers[:MAX_DRIVERS]]
            parts.append(f"*{t(locale, key)}*\n" + "\n".join(lines))
    return _section("\n".join(parts)) if parts else None


def _driver_text(d, status: CustomerStatus, locale: str) -> str:
    """A driver as a change and its pull on the score, not a bare count: `Active users: 149 → 68 in 14 days
    (−12 pts)`; the value alone where no earlier value is known (`NPS: 9/10 (+3 pts)`)."""
    risks = status.health.risks if status.health else ()
    changes = (
        r.params for r in risks if r.code in ("usage_drop", "ticket_spike") and r.params.get("signal") == d.signal
    )
    change = next(changes, None)
    if change is not None and change.get("before") is not None and change.get("after") is not None:
        key = "customer.card.driver_drop" if "pct" in change else "customer.card.driver_change"
        value = t(
            locale,
            key,
            before=signal_value(d.signal, change["before"], locale),
            after=signal_value(d.signal, change["after"], locale),
        )
    else:
        value = signal_value(d.signal, d.value, locale)
    pull = kit.signed_points(d.impact).replace("-", "−")
    return t(locale, "customer.card.driver", signal=signal_label(d.signal, locale), value=value, points=pull)


def _risks(status: CustomerStatus, locale: str, hidden: frozenset[str]) -> SectionBlock | None:
    if status.health is None:
        return None
    risks = [r for r in status.health.risks if not ("renewal" in hidden and r.code == "renewal_soon_not_healthy")]
    if not risks:
        return None
    lines = [f"*{t(locale, 'customer.card.risks')}*", *(f"• {risk_text(r.code, r.params, locale)}" for r in risks)]
    return _section("\n".join(lines))


def _freshness(status: CustomerStatus, locale: str) -> ContextBlock | None:
    """How current the data is, in one line: the newest data's age (`Data: today`), then only the signals past
    their staleness limit (`⏳ Stale: CSM rating (70 days ago)`)."""
    if status.health is None or not status.health.freshness:
        return None
    newest = max(status.health.freshness.values())
    parts = [t(locale, "customer.card.freshness", items=_ago((status.today - newest).days, locale))]
    stale = status.health.score.stale
    if stale:
        shown = [
            t(locale, "customer.card.stale_item", signal=signal_label(s.signal, locale), ago=_ago(s.age_days, locale))
            for s in stale
        ]
        parts.append("⏳ " + t(locale, "customer.card.stale", items=", ".join(shown)))
    return ContextBlock(elements=[_mrkdwn(" · ".join(parts))])


def _handoff(status: CustomerStatus, locale: str) -> Block:
    h = status.handoff
    head = f"*{t(locale, 'customer.card.handoff')}*"
    if h is None:
        return ContextBlock(elements=[_mrkdwn(t(locale, "customer.card.no_handoff"))])
    parts = [head]
    for key, value in (
        ("customer.card.why_bought", h.why_bought),
        ("customer.card.goals", h.business_goals),
        ("customer.card.success_criteria", h.success_criteria),
    ):
        if value and value.strip():
            parts.append(f"_{t(locale, key)}_\n{truncate(escape_mrkdwn(value.strip()), HANDOFF_PART)}")
    return _section("\n".join(parts))


def _promise_meta(p: PromiseItem, locale: str) -> str:
    """Who owes a promise and by when: `<@U1> · due Dec 1, 2026`."""
    bits = []
    if p.owner_user_id:
        bits.append(f"<@{p.owner_user_id}>")
    elif p.owner_name:
        bits.append(escape_mrkdwn(truncate(p.owner_name, 40)))
    if p.due_date:
        key = "customer.card.promise_overdue" if p.overdue else "customer.card.promise_due"
        bits.append(t(locale, key, date=format_date(p.due_date, locale)))
    return " · ".join(bits)


def _promise_line(p: PromiseItem, locale: str) -> str:
    head = ("⏰ " if p.overdue else "☐ ") + escape_mrkdwn(truncate(p.text, 200))
    meta = _promise_meta(p, locale)
    return f"{head} · {meta}" if meta else head


def _promises(status: CustomerStatus, locale: str, *, checkable: bool = False) -> list[Block]:
    """The open promises; on the asker's own card (`checkable`) each shown one is a checkbox: ticking it marks
    it done (its owner, or the customer's CSM or AE)."""
    if not status.open_promises:
        return [ContextBlock(elements=[_mrkdwn(t(locale, "customer.card.no_promises"))])]
    head = f"*{t(locale, 'customer.card.promises', open=status.open_promises, overdue=status.overdue_promises)}*"
    shown = status.promises[:MAX_PROMISES_SHOWN]
    rest = status.open_promises - len(shown)
    more = [t(locale, "common.and_more", count=rest)] if rest > 0 else []
    if not (checkable and shown and all(p.promise_id for p in shown)):
        return [_section("\n".join([head, *(_promise_line(p, locale) for p in shown), *more]))]
    options = [
        Option(
            value=str(p.promise_id),
            text=_mrkdwn(("⏰ " if p.overdue else "") + escape_mrkdwn(truncate(p.text, 60)), 75),
            description=_mrkdwn(_promise_meta(p, locale), 75) if _promise_meta(p, locale) else None,
        )
        for p in shown
    ]
    blocks: list[Block] = [
        _section(head),
        ActionsBlock(
            block_id=f"{PROMISES_BLOCK}{status.customer_id}",
            elements=[CheckboxesElement(action_id=PROMISE_DONE, options=options)],
        ),
    ]
    if more:
        blocks.append(ContextBlock(elements=[_mrkdwn(more[0])]))
    return blocks


def voc_label(kind: str, value: str | None, locale: str) -> str:
    """A VoC category, importance or roadmap status (`kind`) in the reader's language; unknown values as stored."""
    key = ".".join(("voc", kind, value or ""))
    return t(locale, key) if has(key) else escape_mrkdwn(truncate(value or "", 50))


def voc_item_line(title: str, status: str, locale: str) -> str:
    """A roadmap item a note is tagged to, with its status; shipped ones are marked."""
    mark = "✅" if status == "shipped" else "🗺"
    return f"{mark} {escape_mrkdwn(truncate(title, 150))} ({voc_label('status', status, locale)})"


def voc_quote(text: str, limit: int) -> str:
    """A quote as a mrkdwn block quote: escaped, cut to `limit` characters, every line quoted."""
    cut = truncate(escape_mrkdwn((text or "").strip()), limit)
    return "\n".join(f"> {line}" for line in (cut.splitlines() or [""]))


def voc_note_text(note: VocNote, locale: str, quote_limit: int = VOC_QUOTE) -> str:
    """One VoC note: category · importance · date, the quote, then the roadmap items it is tagged to."""
    meta = [
        voc_label(kind, value, locale)
        for kind, value in (("category", note.category), ("importance", note.importance))
        if value
    ]
    if note.heard_on:
        meta.append(format_date(note.heard_on, locale))
    lines = [" · ".join(meta)] if meta else []
    lines.append(voc_quote(note.text, quote_limit))
    lines += [voc_item_line(title, status, locale) for title, status in note.items[:MAX_VOC_ITEMS]]
    if len(note.items) > MAX_VOC_ITEMS:
        lines.append(t(locale, "common.and_more", count=len(note.items) - MAX_VOC_ITEMS))
    return truncate("\n".join(lines), SECTION_LIMIT)


def _voc(status: CustomerStatus, locale: str) -> list[Block]:
    """The latest notes, each with a View full note button when it can be opened."""
    if not status.voc:
        return []
    blocks: list[Block] = [_section(f"*{t(locale, 'customer.card.voc')}*")]
    for note in status.voc[:MAX_VOC]:
        button = None
        if note.voc_id is not None:
            button = ButtonElement(
                text=_plain(t(locale, "voc.button.view")), action_id=VOC_VIEW, value=str(note.voc_id)
            )
        blocks.append(SectionBlock(text=_mrkdwn(voc_note_text(note, locale)), accessory=button))
    return blocks


def touch_kind(kind: str, locale: str) -> str:
    return t(locale, _key("touch", kind)) if has(_key("touch", kind)) else escape_mrkdwn(truncate(kind, 16))


def touch_line(touch: TouchItem, locale: str, limit: int = TOUCH_NOTE) -> str:
    """`📞 *Call* · Dec 3, 2026 · <@U1>: “Walked through the renewal…”`."""
    return t(
        locale,
        "customer.card.touch",
        emoji=TOUCH_EMOJI.get(touch.kind, "📝"),
        kind=touch_kind(touch.kind, locale),
        date=format_date(touch.on, locale),
        by=f"<@{touch.by}>",
        note=escape_mrkdwn(truncate(" ".join(touch.note.split()), limit)),
    )


def _touches(status: CustomerStatus, locale: str) -> Block:
    """The latest logged touches, or how long nobody logged one (a nudge to use Log a touch)."""
    if not status.touches:
        return ContextBlock(elements=[_mrkdwn(t(locale, "customer.card.touches.none"))])
    last = (status.today - status.touches[0].on).days
    head = f"*{t(locale, 'customer.card.touches')}* · " + (
        t(locale, "customer.card.touches.today") if last <= 0 else t_count(locale, "customer.card.touches.ago", last)
    )
    return _section("\n".join([head, *(touch_line(x, locale) for x in status.touches)]))


def customer_card(
    status: CustomerStatus,
    locale: str,
    *,
    channel: str | None = None,
    shared_by: str | None = None,
    crm_url: str | None = None,
) -> tuple[list[Block], str]:
    """The customer card and its notification text (with Open in CRM when `crm_url` says where the record is).

    For the asker (ephemeral): everything, with Share in channel when `channel` is one Baton can post in.
    With `shared_by` (the card posted in a channel): the fields in `status.redact` are left out, it says who
    shared it, and it has no Share button."""
    hidden = status.redact if shared_by else frozenset()
    context = [t(locale, "customer.card.stage", stage=stage_label(status.stage, locale))]
    if status.segment:
        context.append(t(locale, "customer.card.segment", segment=escape_mrkdwn(truncate(status.segment, 64))))
    blocks: list[Block | None] = [
        HeaderBlock(text=_plain(t(locale, "customer.card.header", name=status.name), 150)),
        ContextBlock(elements=[_mrkdwn(" · ".join(context))]),
        _verdict(status, locale, hidden),
        _rating(status, locale, hidden),
    ]
    facts = _facts(status, locale, hidden)
    if facts:
        blocks.append(SectionBlock(fields=facts))
    if "drivers" not in hidden:
        blocks.append(_drivers(status, locale))
    if "risks" not in hidden:
        blocks.append(_risks(status, locale, hidden))
    blocks.append(_freshness(status, locale))
    blocks.append(DividerBlock())
    if "handoff" not in hidden:
        blocks.append(_handoff(status, locale))
    if "promises" not in hidden:
        blocks.extend(_promises(status, locale, checkable=not shared_by))
    if "touches" not in hidden:
        blocks.append(_touches(status, locale))
    if "voc" not in hidden:
        blocks.extend(_voc(status, locale))
    if shared_by:
        blocks.append(ContextBlock(elements=[_mrkdwn(t(locale, "customer.card.shared_by", user=f"<@{shared_by}>"))]))

    ref = CardRef(customer_id=status.customer_id, channel=channel, shared=bool(shared_by)).dump()
    buttons = []
    if not shared_by and channel and not channel.startswith("D"):  # Baton cannot post in other people's DMs
        buttons.append(
            ButtonElement(text=_plain(t(locale, "customer.card.share")), action_id=SHARE, value=ref, style="primary")
        )
    if "handoff" not in hidden and status.handoff is not None:
        buttons.append(
            ButtonElement(text=_plain(t(locale, "customer.card.open_handoff")), action_id=OPEN_HANDOFF, value=ref)
        )
    buttons.append(
        ButtonElement(text=_plain(t(locale, "customer.card.update_health")), action_id=UPDATE_HEALTH, value=ref)
    )
    if not shared_by:
        buttons.append(ButtonElement(text=_plain(t(locale, "customer.card.log_touch")), action_id=LOG_TOUCH, value=ref))
        buttons.append(ButtonElement(text=_plain(t(locale, "customer.card.log_voc")), action_id=LOG_VOC, value=ref))
        if status.handoff is not None and status.ae_user_id:  # asked in the handoff card's thread
            ask = ButtonElement(
                text=_plain(t(locale, "customer.card.ask_ae")), action_id=ASK_AE, value=str(status.handoff.handoff_id)
            )
            buttons.append(ask)
        if crm_url:
            buttons.append(
                ButtonElement(text=_plain(t(locale, "customer.card.open_crm")), action_id=OPEN_CRM, url=crm_url)
            )
    blocks.append(ActionsBlock(block_id=CARD_ACTIONS_BLOCK, elements=buttons))
    text = truncate(t(locale, "customer.card.text", name=escape_mrkdwn(status.name)), 3000)
    return [b for b in blocks if b is not None][:MAX_BLOCKS], text
