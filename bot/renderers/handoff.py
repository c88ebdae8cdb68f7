"""Renderers of the handoff's messages (bot/services/handoff.py `HandoffKind`): the card (posted, then updated
in place), the questions and bad-fit reasons in its thread, and the fill request for a draft from a CRM deal."""

from sqlmodel import Session

from bot.blocks import handoff as hb
from bot.models import Customer, Handoff
from bot.money import format_amount
from bot.outbox import Defer, Drop, Render, Renderers, Send
from bot.renderers.context import Context
from bot.services import handoff as hs
from bot.services.handoff import HandoffKind
from bot.viewdata.handoff import field_values


def card_data(db: Session, h: Handoff) -> hb.CardData:
    """What the handoff card shows, read from the database."""
    filled, total = hs.completeness(h)
    customer = db.get(Customer, h.customer_id) if h.customer_id else None
    return hb.CardData(
        values=field_values(h),  # every field of the table, so a new field reaches the card without an edit here
        handoff_id=h.id,
        customer=(customer.name if customer else None) or h.customer_name or "—",
        status=h.status,
        version=h.version,
        arr=h.arr,
        currency=h.currency,
        contract_start=h.contract_start,
        term_months=h.term_months,
        renewal_date=h.renewal_date,
        kickoff_date=h.kickoff_date,
        ae_user_id=h.ae_user_id,
        se_user_id=h.se_user_id,
        csm_user_id=h.csm_user_id,
        submitted_by=h.submitted_by,
        submitted_at=h.submitted_at,
        accepted_by=h.accepted_by,
        accepted_at=h.accepted_at,
        bad_fit_by=h.bad_fit_by,
        bad_fit_reason=h.bad_fit_reason,
        bad_fit_at=h.bad_fit_at,
        products_sold=h.products_sold,
        why_bought=h.why_bought,
        business_goals=h.business_goals,
        success_criteria=h.success_criteria,
        risks=h.risks,
        icp_fit=h.icp_fit,
        competitors=h.competitors,
        tech_requirements=h.tech_requirements,
        links=h.links,
        feature_requests=h.feature_requests,
        promises=[
            hb.PromiseLine(p.text, p.owner_user_id, p.owner_name, p.due_date, p.status == "done")
            for p in hs.promises_of(db, h)
        ],
        stakeholders=[hb.StakeholderLine(s.role, s.name, s.title, s.email) for s in hs.stakeholders_of(db, h)],
        filled=filled,
        total=total,
    )


def _load(db: Session, team_id: str, params: dict) -> Handoff | None:
    """The row's handoff, if it still exists and is the team's."""
    h = db.get(Handoff, params["handoff_id"]) if params.get("handoff_id") else None
    return h if h is not None and h.team_id == team_id else None


def _thread_post(h: Handoff, blocks, text) -> Render:
    if not h.card_ts:
        return Defer(5, "card not posted yet")
    return Send(
        "chat.postMessage",
        {
            "channel": h.card_channel,
            "thread_ts": h.card_ts,
            "blocks": hb.dumps_blocks(blocks),
            "text": text,
        },
    )


class _Handoff:
    def __init__(self, ctx: Context):
        self.ctx = ctx

    def card_post(self, db: Session, team_id: str, params: dict) -> Render:
        h = _load(db, team_id, params)
        if h is None:
            return Drop("handoff gone")
        if h.card_ts:
            return Drop("card already posted")
        blocks, text = hb.handoff_card(card_data(db, h), self.ctx.channel_locale)
        hid = h.id

        def on_sent(db2: Session, channel: str, ts: str) -> None:
            row = db2.get(Handoff, hid)
            row.card_channel, row.card_ts = channel, ts
            db2.add(row)

        kwargs = {
            "channel": h.card_channel,
            "blocks": hb.dumps_blocks(blocks),
            "text": text,
            "unfurl_links": False,
        }
        return Send("chat.postMessage", kwargs, on_sent)

    def card_update(self, db: Session, team_id: str, params: dict) -> Render:
        h = _load(db, team_id, params)
        if h is None:
            return Drop("handoff gone")
        if not h.card_ts:
            return Defer(5, "card not posted yet")
        blocks, text = hb.handoff_card(card_data(db, h), self.ctx.channel_locale)
        return Send(
            "chat.update",
            {"channel": h.card_channel, "ts": h.card_ts, "blocks": hb.dumps_blocks(blocks), "text": text},
        )

    def ask_ae(self, db: Session, team_id: str, params: dict) -> Render:
        h = _load(db, team_id, params)
        if h is None:
            return Drop("handoff gone")
        locale = self.ctx.channel_locale
        blocks, text = hb.ask_ae_thread_message(locale, h.ae_user_id, params["asker"], params["question"])
        return _thread_post(h, blocks, text)

    def bad_fit(self, db: Session, team_id: str, params: dict) -> Render:
        h = _load(db, team_id, params)
        if h is None:
            return Drop("handoff gone")
        blocks, text = hb.bad_fit_thread_message(self.ctx.channel_locale, params["flagger"], params["reason"])
        return _thread_post(h, blocks, text)

    def fill_request(self, db: Session, team_id: str, params: dict) -> Render:
        h = _load(db, team_id, params)
        if h is None:
            return Drop("handoff gone")
        if h.status != hs.DRAFT:  # filled in (e.g. via /handoff) before this request went out
            return Drop("handoff already submitted")
        owner = params.get("owner_user_id")
        if owner:
            locale = self.ctx.users.locale(team_id, owner)
            channel = self.ctx.client.conversations_open(users=owner)["channel"]["id"]
        elif params.get("channel"):
            locale, channel = self.ctx.channel_locale, params["channel"]
        else:  # the channel is fixed when queued, so no retry could ever deliver this
            return Drop("deal owner not in Slack and BATON_HANDOFF_CHANNEL is not set")
        amount = format_amount(h.arr, h.currency, locale) if h.arr is not None and h.currency else None
        blocks, text = hb.fill_request(
            locale,
            h.id,
            h.crm_deal_name or h.customer_name or "",
            h.customer_name or "",
            amount,
            owner_found=bool(owner),
            owner_email=h.crm_owner_email,
        )
        return Send("chat.postMessage", {"channel": channel, "blocks": hb.dumps_blocks(blocks), "text": text})


def register(r: Renderers, ctx: Context) -> None:
    h = _Handoff(ctx)
    r.register(HandoffKind.CARD_POST)(h.card_post)
    r.register(HandoffKind.CARD_UPDATE)(h.card_update)
    r.register(HandoffKind.ASK_AE)(h.ask_ae)
    r.register(HandoffKind.BAD_FIT)(h.bad_fit)
    r.register(HandoffKind.FILL_REQUEST)(h.fill_request)
