"""Renderers of the handoff's messages (bot/services/handoff.py `HandoffKind`): the card (posted, then updated
in place), the questions and bad-fit reasons in its thread, the fill request for a draft from a CRM deal, and
the loop closed: the submitter told where the card is, the fill request marked submitted, the AE told who took
the customer."""

import json

from sqlmodel import Session, select

from bot.blocks import handoff as hb
from bot.i18n import format_date
from bot.models import Customer, Handoff, OutboxMessage
from bot.money import format_amount
from bot.outbox import Defer, Drop, Render, Renderers, Send
from bot.renderers.context import Context
from bot.services import handoff as hs
from bot.services.handoff import HandoffKind
from bot.viewdata.handoff import field_values
from bot.viewdata.meeting import card_url


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
        missing=tuple(hs.missing_fields(h)),
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

    def _dm(self, user: str) -> str:
        return self.ctx.client.conversations_open(users=user)["channel"]["id"]

    def submitted_dm(self, db: Session, team_id: str, params: dict) -> Render:
        h = _load(db, team_id, params)
        if h is None:
            return Drop("handoff gone")
        if not h.card_ts:
            return Defer(5, "card not posted yet")
        user = params.get("user")
        if not user:
            return Drop("no submitter")
        locale = self.ctx.users.locale(team_id, user)
        url = card_url(h.card_channel, h.card_ts)
        blocks, text = hb.submitted_confirmation(locale, h.customer_name or "", h.card_channel, url)
        return Send("chat.postMessage", {"channel": self._dm(user), "blocks": hb.dumps_blocks(blocks), "text": text})

    def fill_done(self, db: Session, team_id: str, params: dict) -> Render:
        h = _load(db, team_id, params)
        if h is None:
            return Drop("handoff gone")
        request = db.exec(
            select(OutboxMessage).where(
                OutboxMessage.team_id == team_id, OutboxMessage.idem_key == f"handoff:{h.id}:fill"
            )
        ).first()
        if request is None or request.status in ("pending", "failed", "dropped"):
            return Drop("no fill request went out", routine=True)  # one still pending drops itself
        if request.status != "sent" or not request.sent_ts:
            return Defer(5, "fill request being sent")
        if not h.card_ts:
            return Defer(5, "card not posted yet")
        owner = json.loads(request.payload).get("owner_user_id")
        locale = self.ctx.users.locale(team_id, owner) if owner else self.ctx.channel_locale
        blocks, text = hb.fill_request_done(
            locale,
            h.crm_deal_name or h.customer_name or "",
            h.customer_name or "",
            h.submitted_by,
            card_url(h.card_channel, h.card_ts),
        )
        kwargs = {
            "channel": request.sent_channel,
            "ts": request.sent_ts,
            "blocks": hb.dumps_blocks(blocks),
            "text": text,
        }
        return Send("chat.update", kwargs)

    def accepted_dm(self, db: Session, team_id: str, params: dict) -> Render:
        h = _load(db, team_id, params)
        if h is None or not h.accepted_by:
            return Drop("handoff gone or not accepted")
        ae = h.ae_user_id or h.submitted_by
        if not ae or ae == h.accepted_by:
            return Drop("the AE took it themselves, or there is none", routine=True)
        locale = self.ctx.users.locale(team_id, ae)
        kickoff = format_date(h.kickoff_date, locale) if h.kickoff_date else None
        url = card_url(h.card_channel, h.card_ts)
        blocks, text = hb.accepted_notice(locale, h.customer_name or "", h.accepted_by, kickoff, url)
        return Send("chat.postMessage", {"channel": self._dm(ae), "blocks": hb.dumps_blocks(blocks), "text": text})


def register(r: Renderers, ctx: Context) -> None:
    h = _Handoff(ctx)
    r.register(HandoffKind.CARD_POST)(h.card_post)
    r.register(HandoffKind.CARD_UPDATE)(h.card_update)
    r.register(HandoffKind.ASK_AE)(h.ask_ae)
    r.register(HandoffKind.BAD_FIT)(h.bad_fit)
    r.register(HandoffKind.FILL_REQUEST)(h.fill_request)
    r.register(HandoffKind.SUBMITTED_DM)(h.submitted_dm)
    r.register(HandoffKind.FILL_DONE)(h.fill_done)
    r.register(HandoffKind.ACCEPTED_DM)(h.accepted_dm)
