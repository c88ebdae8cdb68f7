"""Events API: url_verification, @mention help, retries and duplicate event ids, and the catch-all."""

import json

from bot.models import SlackEvent
from tests import payloads as p
from tests.conftest import FIXTURES


def mention(channel="C0GENERAL", ts="1700000000.000100", user="U_AE"):
    return {"type": "app_mention", "user": user, "text": "<@UBOT> help", "ts": ts, "channel": channel, "event_ts": ts}


def test_url_verification_answers_the_challenge(baton):
    """Slack's url_verification (real fixture) gets its challenge back."""
    body = (FIXTURES / "slack" / "url_verification.json").read_text()
    resp = baton.http.post("/slack/events", content=body, headers=p.slack_headers(body, p.JSON))
    assert resp.status_code == 200 and resp.json()["challenge"].startswith("3eZbrw1aBm2")


def test_mention_gets_help_in_thread_once_even_when_slack_retries(baton, slack):
    """An @mention is answered once in its thread; Slack's retries of the same event_id change nothing."""
    event = mention()
    first = p.event_callback(event, event_id="Ev0001")
    assert baton.slack(first).status_code == 200
    for n in (1, 2, 3):
        retry = p.event_callback(event, event_id="Ev0001", retry_num=n, retry_reason="http_timeout")
        assert baton.slack(retry).status_code == 200
    baton.settle()
    replies = slack.calls_to("chat.postMessage")
    assert len(replies) == 1
    assert replies[0].args["thread_ts"] == event["ts"] and "/handoff" in json.dumps(replies[0].args["blocks"])
    assert len(baton.all(SlackEvent)) == 1


def test_korean_user_gets_korean_help(baton, slack):
    """The help answer follows the mentioning user's Slack locale."""
    baton.slack(p.event_callback(mention(user="U_KO")))
    baton.settle()
    [reply] = slack.calls_to("chat.postMessage")
    assert "인계" in json.dumps(reply.args["blocks"], ensure_ascii=False)


def test_events_baton_does_not_handle_are_acked_not_404(baton, slack):
    """An unhandled event type (the real reaction_added fixture) gets 200, so Slack never disables events."""
    envelope = json.loads((FIXTURES / "slack" / "event_reaction_added.json").read_text())
    resp = baton.slack(p.event_callback(envelope["event"]))
    assert resp.status_code == 200
    baton.settle()
    assert slack.calls_to("chat.postMessage") == []


def test_stale_event_signature_is_rejected(baton, slack):
    """An event signed more than five minutes ago is refused and not recorded."""
    resp = baton.slack(p.event_callback(mention(), timestamp=1_500_000_000))
    assert resp.status_code == 401
    baton.settle()
    assert baton.all(SlackEvent) == [] and slack.calls_to("chat.postMessage") == []
