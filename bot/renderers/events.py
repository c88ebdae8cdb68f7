"""Renderer of the help reply in a mention's thread (bot/services/events.py `EventKind`)."""

from sqlmodel import Session

from bot.blocks.handoff import dumps_blocks
from bot.blocks.help import help_message
from bot.outbox import Render, Renderers, Send
from bot.renderers.context import Context
from bot.services.events import EventKind


def register(r: Renderers, ctx: Context) -> None:
    @r.register(EventKind.HELP)
    def _help(db: Session, team_id: str, params: dict) -> Render:
        blocks, text = help_message(ctx.users.locale(team_id, params.get("user")))
        return Send(
            "chat.postMessage",
            {
                "channel": params["channel"],
                "thread_ts": params["thread_ts"],
                "blocks": dumps_blocks(blocks),
                "text": text,
            },
        )
