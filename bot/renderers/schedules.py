"""Renderer of scheduled messages (bot/services/schedules.py `ScheduleKind`): digests, reminders, nudges."""

import json

from sqlmodel import Session, select

from bot.models import OutboxMessage
from bot.outbox import Defer, Drop, Renderers, Send
from bot.renderers.context import Context
from bot.services import schedules
from bot.services.schedules import ScheduleKind

# The outbox row of part k of occurrence N has the idempotency key occ:N:k (see services/schedules.record).
FINISHED_BADLY = ("failed", "dropped")


def register(r: Renderers, ctx: Context) -> None:
    """Scheduled messages (digests, reminders, nudges): the parts were built when the occurrence was claimed;
    part 0 is posted (a DM through conversations.open), the others follow in its thread, strictly in order."""

    def part_row(db: Session, team_id: str, occurrence_id: int, part: int) -> OutboxMessage | None:
        return db.exec(
            select(OutboxMessage).where(
                OutboxMessage.team_id == team_id, OutboxMessage.idem_key == f"occ:{occurrence_id}:{part}"
            )
        ).first()

    @r.register(ScheduleKind.POST)
    def _post(db, team_id, params):
        row = schedules.get(db, team_id, int(params["occurrence"]))
        if row is None:
            return Drop("scheduled message gone")
        dm, parts = schedules.parts_of(row)
        index = int(params["part"])
        if index >= len(parts):
            return Drop(f"scheduled message {row.key} has no part {index}")
        part = parts[index]
        kwargs = {"text": part.text, "blocks": json.dumps(part.blocks), "unfurl_links": False, "unfurl_media": False}
        if index == 0:
            if row.ts:
                return Drop("already posted", routine=True)
            channel = ctx.client.conversations_open(users=row.recipient)["channel"]["id"] if dm else row.recipient
            occurrence_id = row.id

            def on_sent(db2: Session, channel: str, ts: str) -> None:
                schedules.mark_sent(db2, occurrence_id, channel, ts, ctx.clock())

            return Send("chat.postMessage", {"channel": channel, **kwargs}, on_sent)
        if not row.ts:
            first = part_row(db, team_id, row.id, 0)
            if first is not None and first.status in FINISHED_BADLY:
                return Drop(f"the message of {row.key} was never posted ({first.last_error}); its thread cannot be")
            return Defer(2, "waiting for the message this part replies to")
        previous = part_row(db, team_id, row.id, index - 1)
        if previous is not None and previous.status not in ("sent", *FINISHED_BADLY):
            return Defer(1, "waiting for the previous part (thread replies go in order)")
        return Send("chat.postMessage", {"channel": row.channel, "thread_ts": row.ts, **kwargs})
