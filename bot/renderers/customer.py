"""Renderer of a customer card shared in a channel (bot/services/customer.py `CustomerKind`)."""

from sqlmodel import Session

from bot.blocks import customer as cb
from bot.blocks.handoff import dumps_blocks
from bot.outbox import Drop, Render, Renderers, Send
from bot.renderers.context import Context
from bot.services import customer as cs
from bot.services.customer import CustomerKind


def register(r: Renderers, ctx: Context) -> None:
    @r.register(CustomerKind.SHARE)
    def _share(db: Session, team_id: str, params: dict) -> Render:
        # Drawn now, from current data, with the fields the team's health settings hide when shared left out.
        today = ctx.clock().date()
        try:
            status = cs.customer_status(db, team_id, int(params["customer_id"]), today, ctx.rules)
        except cs.CustomerNotFound:
            return Drop("customer gone")
        blocks, text = cb.customer_card(status, ctx.channel_locale, shared_by=params["user"])
        kwargs = {"channel": params["channel"], "blocks": dumps_blocks(blocks), "text": text, "unfurl_links": False}
        return Send("chat.postMessage", kwargs)
