"""Pruning of delivery records (job registration: tests/test_worker.py)."""

from datetime import timedelta

from bot.jobs.maintenance import prune
from bot.models import Occurrence, ReminderMute, SlackEvent, VocDraft, WebhookEvent


def test_prune_keeps_recent_records_and_forgets_old_ones(baton, clock):
    """Event ids older than two days and finished webhooks older than a week go; recent and pending stay."""
    now = clock()
    with baton.deps.sessions.begin() as db:
        db.add(SlackEvent(team_id="T111", event_id="old", received_at=now - timedelta(days=3)))
        db.add(SlackEvent(team_id="T111", event_id="new", received_at=now - timedelta(hours=1)))
        db.add(
            WebhookEvent(
                source="hubspot", event_key="1", payload="{}", status="done", received_at=now - timedelta(days=8)
            )
        )
        db.add(
            WebhookEvent(
                source="hubspot", event_key="2", payload="{}", status="pending", received_at=now - timedelta(days=8)
            )
        )
    assert prune(baton.deps) == 2
    assert [e.event_id for e in baton.all(SlackEvent)] == ["new"]
    assert [w.event_key for w in baton.all(WebhookEvent)] == ["2"]


def test_prune_forgets_voc_drafts_past_their_day(baton, clock):
    """A draft (text waiting for its customer) is usable for a day; after that prune removes it."""
    now = clock()
    with baton.deps.sessions.begin() as db:
        db.add(VocDraft(team_id="T111", user_id="U1", quote="old", created_at=now - timedelta(days=1, minutes=1)))
        db.add(VocDraft(team_id="T111", user_id="U1", quote="new", created_at=now - timedelta(hours=23)))
    assert prune(baton.deps) == 1
    assert [d.quote for d in baton.all(VocDraft)] == ["new"]


def test_prune_forgets_year_old_occurrences_and_expired_mutes(baton, clock):
    """Scheduled-message records older than 400 days go (their keys can no longer repeat); mutes that ran out
    go; recent records and open-ended mutes stay."""
    now = clock()
    with baton.deps.sessions.begin() as db:
        for key, age in (("old", 401), ("recent", 200)):
            db.add(Occurrence(team_id="T111", key=key, schedule="s", kind="k", due_at=now - timedelta(days=age)))
        db.add(ReminderMute(team_id="T111", user_id="U1", customer_id=1, until=now - timedelta(minutes=1)))
        db.add(ReminderMute(team_id="T111", user_id="U1", customer_id=2, until=None))
        db.add(ReminderMute(team_id="T111", user_id="U1", customer_id=3, until=now + timedelta(days=1)))
    assert prune(baton.deps) == 2
    assert [o.key for o in baton.all(Occurrence)] == ["recent"]
    assert sorted(m.customer_id for m in baton.all(ReminderMute)) == [2, 3]
