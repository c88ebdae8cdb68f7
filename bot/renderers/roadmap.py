"""Renderers of the roadmap's messages (bot/services/roadmap.py `RoadmapKind`): the item's parent message (posted,
then updated in place), each tagged note's post in its thread (and its deletion), and the DM to each owner when
the item ships."""

import logging
from collections.abc import Callable

from slack_sdk.errors import SlackApiError, SlackRequestError
from sqlalchemy import update
from sqlmodel import Session, col

from bot.blocks import roadmap as rb
from bot.blocks.handoff import dumps_blocks
from bot.models import Customer, RoadmapItem, VocLink, VocNote
from bot.outbox import Defer, Drop, Render, Renderers, Send
from bot.renderers.context import Context
from bot.services import outbox as outbox_service
from bot.services import roadmap as rs
from bot.services import voc
from bot.services.roadmap import RoadmapKind

log = logging.getLogger("baton.outbox")

# Answers that mean an item's thread is gone (nothing left to look for in it).
GONE = {"thread_not_found", "channel_not_found", "message_not_found", "is_archived"}


def voc_post_data(db: Session, link: VocLink) -> rb.VocPost:
    """What a tagged note's post in the item's thread shows, read from the database."""
    note = db.get(VocNote, link.voc_id)
    customer = db.get(Customer, note.customer_id)
    return rb.VocPost(
        link_id=link.id,
        voc_id=note.id,
        item_id=link.item_id,
        customer=customer.name,
        arr=customer.arr,
        currency=customer.currency,
        quote=note.quote,
        importance=note.importance,
        reporters=voc.reporters(db, link.team_id, note.id),
        tagged_by=link.tagged_by,
        permalink=note.permalink,
    )


def _item_of(db: Session, team_id: str, item_id) -> RoadmapItem | None:
    item = db.get(RoadmapItem, int(item_id))
    return item if item is not None and item.team_id == team_id else None


class _Roadmap:
    def __init__(self, ctx: Context):
        self.ctx = ctx
        # Item id -> the newest version its parent message is known to show (sent from this process). Updates
        # queued for older versions are then dropped: a burst of tags costs one chat.update, not one per tag. The
        # version is read before the tally, so a message never claims a newer version than the data it was drawn
        # from.
        self.shown: dict[int, int] = {}

    def _parent(self, db: Session, item: RoadmapItem) -> tuple[dict, Callable[[], None]]:
        item_id, version = item.id, item.version
        tally = rs.tally(db, item.team_id, item.id, self.ctx.clock().date(), self.ctx.rules)
        blocks, text = rb.parent_message(item, tally, self.ctx.channel_locale)

        def record() -> None:
            self.shown[item_id] = max(self.shown.get(item_id, version), version)

        return {"blocks": dumps_blocks(blocks), "text": text}, record

    def parent_post(self, db: Session, team_id: str, params: dict) -> Render:
        item = _item_of(db, team_id, params["item_id"])
        if item is None:
            return Drop("roadmap item gone")
        if item.ts:
            return Drop("parent already posted")
        item_id = item.id
        message, record = self._parent(db, item)

        def on_sent(db2: Session, channel: str, ts: str) -> None:
            row = db2.get(RoadmapItem, item_id)
            row.channel, row.ts = channel, ts
            db2.add(row)
            record()

        return Send("chat.postMessage", {"channel": item.channel, **message, "unfurl_links": False}, on_sent)

    def parent_update(self, db: Session, team_id: str, params: dict) -> Render:
        # One row per version; each draws the current tally, so the newest one sent shows everything.
        item = _item_of(db, team_id, params["item_id"])
        if item is None:
            return Drop("roadmap item gone")
        if not item.ts:
            return Defer(5, "parent not posted yet")
        if self.shown.get(item.id, -1) >= item.version:
            return Drop(f"the parent already shows version {item.version}", routine=True)
        message, record = self._parent(db, item)
        return Send("chat.update", {"channel": item.channel, "ts": item.ts, **message}, lambda *_: record())

    def _landed_post(self, item: RoadmapItem, link_id: int) -> str | None:
        """The ts of this link's post if it is in the item's thread already (an attempt that landed unconfirmed):
        posts carry their link in a block id."""
        block_id = f"{rb.LINK_BLOCK_PREFIX}{link_id}"
        cursor = None
        for _ in range(20):  # 200 replies a page
            resp = self.ctx.client.conversations_replies(channel=item.channel, ts=item.ts, cursor=cursor, limit=200)
            for message in resp.get("messages") or []:
                if message.get("bot_id") and any(b.get("block_id") == block_id for b in message.get("blocks") or []):
                    return message["ts"]
            cursor = (resp.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
        return None

    def _untagged_post(self, db: Session, team_id: str, params: dict) -> Render:
        """Untagged before the post went out. An earlier attempt may have landed without an answer (5xx,
        timeout): then the post is in the thread with no link to remember it, so it is taken down now."""
        item = _item_of(db, team_id, params["item_id"]) if params.get("item_id") else None
        if item is None or not item.ts:
            return Drop("untagged before the post went out")
        try:
            landed = self._landed_post(item, int(params["link_id"]))
        except SlackApiError as exc:
            if exc.response is not None and exc.response.get("error") in GONE:
                return Drop("untagged before the post went out; the thread is gone")
            raise
        if landed is None:
            return Drop("untagged before the post went out")
        return Send("chat.delete", {"channel": item.channel, "ts": landed})

    def voc_post(self, db: Session, team_id: str, params: dict) -> Render:
        link = db.get(VocLink, int(params["link_id"]))
        if link is None or link.team_id != team_id:
            return self._untagged_post(db, team_id, params)
        if link.thread_ts:
            return Drop("already posted")
        item = db.get(RoadmapItem, link.item_id)
        if not item.ts:
            return Defer(5, "parent not posted yet")
        blocks, text = rb.voc_post(voc_post_data(db, link), self.ctx.channel_locale)
        link_id, clock = link.id, self.ctx.clock

        def on_sent(db2: Session, channel: str, ts: str) -> None:
            # UPDATE .. RETURNING, not a read then a write: an untag committing meanwhile either sees this ts
            # (and queues the delete itself) or has removed the row, and then the post is taken down here.
            stored = db2.exec(
                update(VocLink).where(col(VocLink.id) == link_id).values(thread_ts=ts).returning(VocLink.id)
            ).first()
            if stored is None:
                key = f"roadmap:link:{link_id}:delete"
                params = {"channel": channel, "ts": ts}
                outbox_service.enqueue(db2, team_id, key, RoadmapKind.VOC_DELETE, params, now=clock())

        kwargs = {
            "channel": item.channel,
            "thread_ts": item.ts,
            "blocks": dumps_blocks(blocks),
            "text": text,
            "unfurl_links": False,
        }
        return Send("chat.postMessage", kwargs, on_sent)

    def voc_delete(self, db: Session, team_id: str, params: dict) -> Render:
        return Send("chat.delete", {"channel": params["channel"], "ts": params["ts"]})

    def shipped_dm(self, db: Session, team_id: str, params: dict) -> Render:
        item = _item_of(db, team_id, params["item_id"])
        if item is None:
            return Drop("roadmap item gone")
        if item.status != "shipped":  # moved back before the DM went out: it goes when the item ships again
            return Defer(3600, "item no longer shipped")
        owner = params["user_id"]
        notes = rs.linked_notes(db, team_id, item.id, customer_owner=owner)
        if not notes:
            return Drop("none of the owner's customers is tagged any more")
        link = None
        if item.channel and item.ts:
            try:
                link = self.ctx.client.chat_getPermalink(channel=item.channel, message_ts=item.ts)["permalink"]
            except (SlackApiError, SlackRequestError, OSError) as exc:  # the DM is still worth sending
                log.info("no permalink for roadmap item %s: %s", item.id, getattr(exc, "response", exc))
        locale = self.ctx.users.locale(team_id, owner)
        channel = self.ctx.client.conversations_open(users=owner)["channel"]["id"]
        blocks, text = rb.shipped_dm(item.title, notes, link, locale)
        return Send("chat.postMessage", {"channel": channel, "blocks": dumps_blocks(blocks), "text": text})


def register(r: Renderers, ctx: Context) -> None:
    rm = _Roadmap(ctx)
    r.register(RoadmapKind.PARENT_POST)(rm.parent_post)
    r.register(RoadmapKind.PARENT_UPDATE)(rm.parent_update)
    r.register(RoadmapKind.VOC_POST)(rm.voc_post)
    r.register(RoadmapKind.VOC_DELETE)(rm.voc_delete)
    r.register(RoadmapKind.SHIPPED_DM)(rm.shipped_dm)
