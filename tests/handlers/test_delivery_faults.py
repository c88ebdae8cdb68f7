"""Slack failing while Baton posts: 429, 500, lost answers and a crash between sending and recording."""

import json
from datetime import timedelta

import pytest

from bot.blocks import handoff as hb
from bot.jobs.maintenance import prune
from bot.models import ChannelHold, Handoff, OutboxMessage
from bot.outbox import LEASE, Outbox, Send
from bot.services import outbox
from tests.conftest import HANDOFF_CHANNEL
from tests.flows import POST_FAULTS as FAULTS
from tests.flows import card_action, last_view, open_handoff, retry_for, submit_handoff
from tests.payloads import event_callback, text_value, view_submission


def channel_posts(slack) -> list:
    """The posts to channels (the submitter's DM that says where the card is, one per handoff, left out)."""
    return [c for c in slack.calls_to("chat.postMessage") if not str(c.args.get("channel", "")).startswith("D")]


def submit(baton, slack):
    view = open_handoff(baton, slack, "ACME Corp.")
    submit_handoff(baton, view)


def card_rows(baton):
    return baton.all(OutboxMessage, OutboxMessage.method == "handoff_card.post")


@pytest.mark.parametrize("status", [500, 503])
def test_server_error_during_card_post_is_retried_and_lands_once(baton, slack, clock, status):
    """A 5xx on the card post is retried after backoff; exactly one card lands."""
    slack.fail_next("chat.postMessage", status=status, times=2)
    submit(baton, slack)
    baton.settle()
    assert slack.messages(HANDOFF_CHANNEL) == []
    [row] = card_rows(baton)
    assert row.attempts == 1 and row.status == "sending" and "HTTP" in row.last_error
    for _ in range(3):
        clock.advance(seconds=60)
        baton.settle()
    assert len(slack.messages(HANDOFF_CHANNEL)) == 1
    [row] = card_rows(baton)
    assert row.status == "sent" and row.attempts == 3
    assert baton.all(Handoff)[0].card_ts == slack.messages(HANDOFF_CHANNEL)[0]["ts"]


def test_rate_limit_honours_retry_after(baton, slack, clock):
    """A 429 is retried no earlier than Retry-After says, then lands once."""
    slack.fail_next("chat.postMessage", status=429, retry_after=30)
    submit(baton, slack)
    baton.settle()
    clock.advance(seconds=29)
    baton.settle()
    assert slack.messages(HANDOFF_CHANNEL) == []
    clock.advance(seconds=1)
    baton.settle()
    assert len(slack.messages(HANDOFF_CHANNEL)) == 1


def test_answer_lost_after_slack_posted_does_not_post_twice(baton, slack, clock):
    """Slack posts the card but the answer is a 500: the retry finds the message by its metadata instead."""
    slack.fail_after_effect("chat.postMessage")
    submit(baton, slack)
    baton.settle()
    assert len(slack.messages(HANDOFF_CHANNEL)) == 1  # it did land
    clock.advance(seconds=60)
    baton.settle()
    [message] = slack.messages(HANDOFF_CHANNEL)
    assert baton.all(Handoff)[0].card_ts == message["ts"]
    assert len(channel_posts(slack)) == 1
    assert slack.calls_to("conversations.history")


class CrashingOutbox(Outbox):
    """An outbox whose process 'dies' right after Slack accepted a post, before recording it."""

    crashes = 1

    def _finish(self, row_id, *, status, **kw):
        if status == "sent" and self.crashes:
            self.crashes -= 1
            raise KeyboardInterrupt("process killed")
        return super()._finish(row_id, status=status, **kw)


def test_crash_between_send_and_record_is_reconciled_on_restart(baton, slack, clock):
    """After a crash between the post and its record, the restarted outbox records the ts without re-posting."""
    submit(baton, slack)
    baton.executor.wait_idle()
    d = baton.deps
    crashing = CrashingOutbox(d.sessions, d.client, d.clock, d.outbox.renderers)
    with pytest.raises(KeyboardInterrupt):
        crashing.run_once()
    assert len(slack.messages(HANDOFF_CHANNEL)) == 1
    [row] = card_rows(baton)
    assert row.status == "sending" and row.sent_ts is None
    baton.settle()  # the lease still holds: nobody touches the row
    assert len(channel_posts(slack)) == 1
    clock.advance(seconds=61)  # lease expired: a restarted process picks it up
    baton.settle()
    [row] = card_rows(baton)
    assert row.status == "sent" and row.sent_ts == slack.messages(HANDOFF_CHANNEL)[0]["ts"]
    assert len(channel_posts(slack)) == 1


def test_accept_while_card_is_still_retrying_updates_after_it_lands(baton, slack, clock):
    """An update queued before the card landed waits for it, then edits the card (no second card)."""
    slack.fail_next("chat.postMessage", status=500)
    submit(baton, slack)
    baton.settle()
    [h] = baton.all(Handoff)
    card_action(baton, slack, hb.ACCEPT, h.id, "U_CSM", HANDOFF_CHANNEL, "0")
    baton.settle()
    assert slack.calls_to("chat.update") == []
    clock.advance(seconds=60)
    baton.settle()
    clock.advance(seconds=10)
    baton.settle()
    [card] = slack.messages(HANDOFF_CHANNEL)
    assert "Accepted by <@U_CSM>" in str(card["blocks"])


def enqueue(baton, kind: str, params: dict) -> None:
    with baton.deps.sessions.begin() as db:
        outbox.enqueue(db, "T111", f"test:{kind}", kind, params, now=baton.clock())


def test_message_slack_rejects_is_marked_failed_not_retried(baton, slack, clock):
    """A post Slack rejects as invalid (3,001-char section) is marked failed with the reason, not retried."""
    too_long = [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}]
    baton.deps.outbox.renderers.table["test.invalid"] = lambda db, team, params: Send(
        "chat.postMessage", {"channel": "C0TEST", "blocks": too_long, "text": "x"}
    )
    enqueue(baton, "test.invalid", {})
    baton.settle()
    [row] = baton.all(OutboxMessage)
    assert (row.status, row.last_error) == ("failed", "invalid_blocks")
    clock.advance(hours=1)
    baton.settle()
    assert len(channel_posts(slack)) == 1


def test_channel_bot_cannot_reach_is_retried_slowly(baton, slack, clock):
    """channel_not_found needs an admin: the row keeps its reason and is retried later, not dropped."""
    enqueue(baton, "reply.help", {"channel": "XNOTACHANNEL", "thread_ts": "1.0", "user": "U_AE"})
    baton.settle()
    [row] = baton.all(OutboxMessage)
    assert row.status == "pending" and row.last_error == "channel_not_found"
    assert row.next_attempt_at > clock()
    clock.advance(hours=1)
    baton.settle()
    assert len(channel_posts(slack)) == 2


def test_answer_dropped_after_slack_posted_is_not_resent_by_the_sdk(baton, slack, clock):
    """Slack stores the card and the connection drops unanswered: no SDK retry, the outbox reconciles it."""
    slack.fail_after_effect("chat.postMessage", drop=True)
    submit(baton, slack)
    baton.settle()
    assert len(channel_posts(slack)) == 1  # the SDK did not re-send it behind the outbox
    [row] = card_rows(baton)
    assert row.status == "sending"  # the outcome is unknown, not "not sent"
    clock.advance(seconds=60)
    baton.settle()
    [message] = slack.messages(HANDOFF_CHANNEL)
    assert baton.all(Handoff)[0].card_ts == message["ts"]
    assert len(channel_posts(slack)) == 1


def test_crash_reconciled_in_a_busy_channel_follows_the_cursor(baton, slack, clock):
    """250 newer messages push the lost card past the first page: reconciliation pages on and posts no copy."""
    submit(baton, slack)
    baton.executor.wait_idle()
    d = baton.deps
    crashing = CrashingOutbox(d.sessions, d.outbox.client, d.clock, d.outbox.renderers)
    with pytest.raises(KeyboardInterrupt):
        crashing.run_once()
    for i in range(250):
        slack.add_message(HANDOFF_CHANNEL, f"chatter {i}", "U999")
    clock.advance(seconds=61)
    baton.settle()
    [row] = card_rows(baton)
    cards = [m for m in slack.messages(HANDOFF_CHANNEL) if m.get("user") == "UBOT"]
    assert len(cards) == 1 and row.status == "sent" and row.sent_ts == cards[0]["ts"]
    assert len(channel_posts(slack)) == 1
    history = slack.calls_to("conversations.history")
    assert len(history) >= 2 and all("oldest" in c.args and "latest" in c.args for c in history)


def _plain_posts(baton) -> None:
    baton.deps.outbox.renderers.table["test.post"] = lambda db, team, params: Send(
        "chat.postMessage", {"channel": params["channel"], "text": params["text"]}
    )


def test_long_retry_after_defers_the_channel_without_sleeping_through_the_lease(baton, slack, clock):
    """A 429 with Retry-After 75 defers that channel's rows (lease released, no sleep); other channels flow."""
    _plain_posts(baton)
    slack.fail_next("chat.postMessage", status=429, retry_after=75)
    for text, channel in (("a1", "C0HELD"), ("a2", "C0HELD"), ("b1", "C0FREE")):
        with baton.deps.sessions.begin() as db:
            params = {"channel": channel, "text": text}
            outbox.enqueue(db, "T111", f"test:{text}", "test.post", params, now=baton.clock())
    baton.settle()
    assert all(wait < LEASE.total_seconds() for wait in baton.pace.waits)
    assert [m["text"] for m in slack.messages("C0FREE")] == ["b1"]
    assert slack.messages("C0HELD") == []
    rows = {json.loads(r.payload)["text"]: r for r in baton.all(OutboxMessage)}
    assert rows["a2"].lease_until is None and rows["a2"].next_attempt_at >= clock() + timedelta(seconds=70)
    # A second process claims the deferred rows only after the hold: each lands exactly once.
    other = Outbox(baton.deps.sessions, baton.deps.outbox.client, baton.deps.clock, baton.deps.outbox.renderers)
    clock.advance(seconds=61)
    other.run_once()
    baton.settle()
    assert slack.messages("C0HELD") == []
    clock.advance(seconds=15)
    baton.settle()
    other.run_once()
    assert sorted(m["text"] for m in slack.messages("C0HELD")) == ["a1", "a2"]
    assert len([c for c in channel_posts(slack) if c.status == 200]) == 3


def test_a_hold_after_429_is_seen_by_every_process(baton, slack, clock):
    """Process A's 429 (Retry-After 75) holds the channel in the database: process B, with no memory of it,
    posts nothing there until the hold ends, and the hold is pruned once it has run out."""
    _plain_posts(baton)
    slack.fail_next("chat.postMessage", status=429, retry_after=75)
    with baton.deps.sessions.begin() as db:
        outbox.enqueue(db, "T111", "test:a1", "test.post", {"channel": "C0HELD", "text": "a1"}, now=baton.clock())
    baton.settle()
    assert len(channel_posts(slack)) == 1  # the 429
    other = Outbox(baton.deps.sessions, baton.deps.outbox.client, baton.deps.clock, baton.deps.outbox.renderers)
    with baton.deps.sessions.begin() as db:
        outbox.enqueue(db, "T111", "test:a3", "test.post", {"channel": "C0HELD", "text": "a3"}, now=baton.clock())
    clock.advance(seconds=30)
    other.run_once()
    assert len(channel_posts(slack)) == 1 and slack.messages("C0HELD") == []
    [hold] = baton.all(ChannelHold)
    assert hold.channel == "C0HELD" and hold.held_until >= clock() + timedelta(seconds=40)
    clock.advance(seconds=50)
    other.run_once()
    baton.settle()
    assert sorted(m["text"] for m in slack.messages("C0HELD")) == ["a1", "a3"]
    prune(baton.deps)
    assert baton.all(ChannelHold) == []


@pytest.mark.parametrize("fault", FAULTS)
def test_card_post_lands_exactly_once_under_each_fault(baton, slack, clock, fault):
    """Each fault on the card's post ends, after retries, with one card in the channel and the row sent."""
    FAULTS[fault](slack)
    submit(baton, slack)
    baton.settle()
    retry_for(baton, clock)
    cards = [m for m in slack.messages(HANDOFF_CHANNEL) if m.get("user") == "UBOT"]
    [row] = card_rows(baton)
    assert len(cards) == 1 and row.status == "sent" and row.sent_ts == cards[0]["ts"]


@pytest.mark.parametrize("fault", FAULTS)
def test_thread_reply_lands_exactly_once_under_each_fault(baton, slack, clock, fault):
    """Each fault on an Ask AE reply in the card's thread ends with one reply (reconciled through replies)."""
    submit(baton, slack)
    baton.settle()
    [card] = slack.messages(HANDOFF_CHANNEL)
    handoff_id = baton.all(Handoff)[0].id
    card_action(baton, slack, hb.ASK_AE, handoff_id, "U_CSM", HANDOFF_CHANNEL, card["ts"])
    view = last_view(slack)
    FAULTS[fault](slack)
    baton.slack(
        view_submission(
            view["callback_id"],
            {hb.QUESTION_BLOCK: {hb.VALUE: text_value("Which SSO provider?")}},
            user_id="U_CSM",
            private_metadata=view["private_metadata"],
            view_id="V_ASK",
        )
    )
    baton.settle()
    retry_for(baton, clock)
    replies = [m for m in slack.thread(HANDOFF_CHANNEL, card["ts"]) if m["ts"] != card["ts"]]
    assert len(replies) == 1


@pytest.mark.parametrize("fault", FAULTS)
def test_help_reply_lands_exactly_once_under_each_fault(baton, slack, clock, fault):
    """Each fault on the @mention help reply (a thread reply queued by an event) ends with one reply."""
    ts = slack.add_message("C0GENERAL", "<@UBOT> help", "U_AE")
    event = {"type": "app_mention", "user": "U_AE", "text": "<@UBOT> help", "ts": ts, "channel": "C0GENERAL"}
    FAULTS[fault](slack)
    assert baton.slack(event_callback(event, event_id="EvFAULT")).status_code == 200
    baton.settle()
    retry_for(baton, clock)
    replies = [m for m in slack.thread("C0GENERAL", ts) if m["ts"] != ts]
    [row] = baton.all(OutboxMessage)
    assert len(replies) == 1 and row.status == "sent" and row.sent_ts == replies[0]["ts"]


def test_post_that_hangs_until_the_client_times_out_is_reconciled_not_resent(baton, slack, clock):
    """Slack stores the card and never answers: the outbox's client times out (no SDK retry), the row stays
    "sending", and the next attempt finds the card by its metadata instead of posting a second one."""
    baton.deps.outbox.client.timeout = 1  # the production client waits 10 s
    slack.fail_after_effect("chat.postMessage", hang=True)
    try:
        submit(baton, slack)
        baton.settle()
        assert slack.hung.is_set() and len(channel_posts(slack)) == 1
        [row] = card_rows(baton)
        assert row.status == "sending" and "imeout" in (row.last_error or "")
    finally:
        slack.release_hung()
    clock.advance(seconds=61)
    baton.settle()
    [message] = slack.messages(HANDOFF_CHANNEL)
    [row] = card_rows(baton)
    assert row.status == "sent" and row.sent_ts == message["ts"] and len(channel_posts(slack)) == 1
