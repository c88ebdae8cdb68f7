"""The weekly digest end to end: the schedule runs, the outbox posts one message per channel with its thread
replies in order, exactly once, through Slack's 429s and 500s."""

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import insert

from bot.jobs import digest as digest_job
from bot.jobs.schedules import defaults, run_schedule
from bot.models import Customer, HealthScore, HealthSnapshot, Occurrence, OutboxMessage, SlackUser
from bot.services import team_config
from bot.text import normalize_key
from tests.conftest import TEAM
from tests.flows import POST_FAULTS
from tests.payloads import block_actions

FIRE = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)  # Monday 09:00 in Seoul
DAY = date(2026, 11, 23)
CHANNELS = ("C0CS", "C0LEAD")
LONG_KO = "대한민국 초장문 고객사 이름 주식회사 & <특수> 글로벌 홀딩스 " * 8


def configure(baton, *, locale="ko", channels=CHANNELS):
    with baton.deps.sessions.begin() as db:
        team_config.set_value(db, TEAM, "digest.channels", ",".join(channels), now=FIRE)
        team_config.set_value(db, TEAM, "timezone", "Asia/Seoul", now=FIRE)
        team_config.set_value(db, TEAM, "locale", locale, now=FIRE)
    with baton.deps.sessions.begin() as db:
        return team_config.load(db, TEAM, defaults(baton.deps))


def seed(baton, at_risk: int, healthy: int = 20) -> list[int]:
    """`at_risk` customers with long Korean names scored At risk or Unhealthy today (and a week ago), plus
    healthy ones; each risky one has a low license utilisation snapshot (its top driver)."""
    now = FIRE
    rows = []
    for i in range(at_risk + healthy):
        name = f"{i:04d} {LONG_KO}"[:255]
        rows.append(
            {
                "team_id": TEAM,
                "name": name,
                "name_key": normalize_key(name),
                "owner_user_id": "U_KO",
                "arr": Decimal(150_000_000 + i),
                "currency": "KRW",
                "renewal_date": DAY + timedelta(days=30 + i),
                "stage": "adoption",
                "created_at": now,
                "updated_at": now,
            }
        )
    with baton.deps.sessions.begin() as db:
        db.connection().execute(insert(Customer), rows)
        ids = [r.id for r in db.connection().execute(Customer.__table__.select().order_by(Customer.__table__.c.id))]
        scores, snaps = [], []
        for n, cid in enumerate(ids):
            score = round(10 + n * 0.1, 1) if n < at_risk else 85.0
            band = "healthy" if score >= 70 else ("at_risk" if score >= 40 else "unhealthy")
            for day, value in ((DAY, score), (DAY - timedelta(days=7), min(score + 5, 100))):
                scores.append(
                    {"team_id": TEAM, "customer_id": cid, "day": day, "score": value, "band": band, "computed_at": now}
                )
            snaps.append(
                {
                    "team_id": TEAM,
                    "customer_id": cid,
                    "signal": "license_utilisation",
                    "as_of": DAY - timedelta(days=1),
                    "value": 31.0 if n < at_risk else 95.0,
                    "source": "usage",
                    "created_at": now,
                }
            )
        db.connection().execute(insert(HealthScore), scores)
        db.connection().execute(insert(HealthSnapshot), snaps)
    return ids[:at_risk]


def reply_texts(slack, channel: str, ts: str) -> list[str]:
    return [m["text"] for m in slack.thread(channel, ts) if m["ts"] != ts]


def test_500_customers_in_korean_one_message_per_channel_with_replies_in_order(baton, slack, clock):
    """500 at-risk customers with long Korean names: each channel gets one message and 5 thread replies in
    order, all accepted by the fake Slack; the occurrence is marked with Slack's ts; a second run sends nothing."""
    clock.now = FIRE + timedelta(minutes=1)
    cfg = configure(baton)
    ids = seed(baton, 500)
    result = run_schedule(baton.deps, digest_job.SCHEDULE, cfg, clock())
    assert result is not None and result.queued == 2
    baton.settle()
    for channel in CHANNELS:
        [message] = slack.messages(channel)
        assert message["text"] == "이탈 위험 다이제스트 (11월 17일 – 23일): 위험 300곳, 주의 200곳"
        assert message["blocks"][0]["text"]["text"] == "이탈 위험 고객 다이제스트 · 2026년 11월 17일 – 23일"
        assert reply_texts(slack, channel, message["ts"]) == [
            f"이탈 위험 다이제스트 (11월 17일 – 23일, {n}/6)" for n in range(2, 7)
        ]
        [occ] = baton.all(Occurrence, Occurrence.key == f"digest:2026-W48:{channel}")
        assert (occ.status, occ.ts, occ.channel) == ("sent", message["ts"], channel)
        buttons = [b["accessory"] for b in message["blocks"] if "accessory" in b]
        # The 61 renewing within 90 days need action this week: they lead, by ARR (the largest is the last).
        assert [json.loads(b["value"])["c"] for b in buttons] == ids[60:50:-1]
        assert "⚡ *이번 주 조치 필요* (61곳)" in json.dumps(message["blocks"], ensure_ascii=False)
        assert "주요 원인: 라이선스 사용률 31%" in json.dumps(message["blocks"], ensure_ascii=False)
    assert {c.status for c in slack.calls_to("chat.postMessage")} == {200}
    assert len(slack.calls_to("chat.postMessage")) == 12
    assert run_schedule(baton.deps, digest_job.SCHEDULE, cfg, clock() + timedelta(hours=1)) is None
    baton.settle()
    assert len(slack.calls_to("chat.postMessage")) == 12


@pytest.mark.parametrize("locale", ["en", "ko"])
def test_the_digest_names_owners_once_and_says_when_each_customer_was_last_touched(baton, slack, clock, locale):
    """A touch logged from a card (signed requests: the button, the modal) shows in the digest's row for that
    customer; rows name the owner Baton knows, the summary line mentions them once; the others say no touch."""
    from bot.blocks import customer as cb
    from tests import payloads as p
    from tests.flows import ack_body, last_view

    clock.now = FIRE - timedelta(days=3)
    cfg = configure(baton, locale=locale, channels=("C0CS",))
    ids = seed(baton, 3)
    ref = cb.CardRef(customer_id=ids[0], channel="C0CS").dump()
    action = p.block_actions(
        cb.LOG_TOUCH, ref, user_id="U_KO", channel_id="C0CS", response_url=slack.new_response_url()
    )
    assert baton.slack(action).status_code == 200
    view = last_view(slack)
    state = {
        cb.TOUCH_KIND_BLOCK: {cb.VALUE: p.static_value("call")},
        cb.TOUCH_DATE_BLOCK: {cb.VALUE: p.date_value(clock().date().isoformat())},
        cb.TOUCH_NOTE_BLOCK: {cb.VALUE: p.text_value("갱신 일정 확인")},
    }
    submit = p.view_submission(cb.TOUCH_MODAL, state, user_id="U_KO", private_metadata=view["private_metadata"])
    assert ack_body(baton.slack(submit)) == {}
    clock.now = FIRE + timedelta(minutes=1)
    run_schedule(baton.deps, digest_job.SCHEDULE, cfg, clock())
    baton.settle()
    [message] = slack.messages("C0CS")
    text = json.dumps(message["blocks"], ensure_ascii=False)
    name = baton.all(SlackUser, SlackUser.user_id == "U_KO")[0].name
    assert name and text.count("<@U_KO>") == 1
    summary = {"en": "👤 Owners: <@U_KO> (3)", "ko": "👤 담당자: <@U_KO> 3곳"}[locale]
    touched = {"en": "last touch 3 days ago", "ko": "마지막 활동 3일 전"}[locale]
    none = {"en": "⚠️ no touch logged", "ko": "⚠️ 기록된 활동 없음"}[locale]
    assert summary in text and text.count(touched) == 1 and text.count(none) == 2
    assert text.count(f" · {name} · ") == 3


def test_a_digest_missed_during_its_week_is_sent_on_catch_up(baton, slack, clock):
    """A worker that was down on Monday sends that week's digest on Thursday, keyed by Monday's week."""
    clock.now = FIRE + timedelta(days=3, hours=2)
    cfg = configure(baton, locale="en", channels=("C0CS",))
    seed(baton, 3)
    run_schedule(baton.deps, digest_job.SCHEDULE, cfg, clock())
    baton.settle()
    [message] = slack.messages("C0CS")
    assert message["text"] == "At-risk digest, week of Nov 17 – 23: 3 Unhealthy, 0 At risk"
    assert "Scores as of Nov 23, 2026" in json.dumps(message["blocks"])
    assert [o.key for o in baton.all(Occurrence, Occurrence.kind == "digest")] == ["digest:2026-W48:C0CS"]


def test_slack_429_and_500_during_the_digest_deliver_each_part_once_in_order(baton, slack, clock):
    """A 429 on the message and a 500 after a thread reply landed: after the retries come due, the channel
    has the message once and every reply once, in order; the lost answer is found, not re-posted."""
    clock.now = FIRE + timedelta(minutes=1)
    cfg = configure(baton, locale="en", channels=("C0CS",))
    seed(baton, 250)  # the message + 3 replies
    run_schedule(baton.deps, digest_job.SCHEDULE, cfg, clock())
    slack.fail_next("chat.postMessage", status=429, retry_after=1)
    baton.deps.outbox.run_once()  # the message is rate limited; the replies wait for it (2 s)
    assert slack.messages("C0CS") == []
    clock.advance(seconds=1)
    baton.deps.outbox.run_once()  # only the message is due again: it lands
    [message] = slack.messages("C0CS")
    assert reply_texts(slack, "C0CS", message["ts"]) == []
    slack.fail_after_effect("chat.postMessage")  # the first reply lands, but its answer is lost
    for _ in range(6):
        clock.advance(seconds=30)
        baton.settle()
    [message] = slack.messages("C0CS")
    assert reply_texts(slack, "C0CS", message["ts"]) == [
        f"At-risk digest, week of Nov 17 – 23 (part {n} of 4)" for n in range(2, 5)
    ]
    statuses = [c.status for c in slack.calls_to("chat.postMessage")]
    assert statuses == [429, 200, 500, 200, 200]  # the reply behind the 500 is not posted again
    assert slack.calls_to("conversations.replies")  # it was looked for, and found
    rows = baton.all(OutboxMessage, OutboxMessage.method == "scheduled.post")
    assert len(rows) == 4 and {r.status for r in rows} == {"sent"}
    [occ] = baton.all(Occurrence, Occurrence.kind == "digest")
    assert occ.ts == message["ts"] and occ.status == "sent"


def test_open_card_button_shows_the_customer_card_to_the_clicker_only(baton, slack, clock):
    """A customer's Open card button in the digest answers the clicker with that customer's card, ephemerally."""
    clock.now = FIRE + timedelta(minutes=1)
    cfg = configure(baton, locale="en", channels=("C0CS",))
    ids = seed(baton, 3)
    run_schedule(baton.deps, digest_job.SCHEDULE, cfg, clock())
    baton.settle()
    [message] = slack.messages("C0CS")
    button = [b["accessory"] for b in message["blocks"] if "accessory" in b][1]
    assert json.loads(button["value"]) == {"c": ids[1]}
    url = slack.new_response_url()
    baton.slack(
        block_actions(
            button["action_id"],
            button["value"],
            user_id="U_CSM",
            channel_id="C0CS",
            message_ts=message["ts"],
            response_url=url,
        )
    )
    [reply] = slack.responses()
    assert reply.get("response_type") == "ephemeral"
    assert "0001 대한민국" in json.dumps(reply["blocks"], ensure_ascii=False)
    assert len(slack.messages("C0CS")) == 1  # nothing posted in the channel


@pytest.mark.parametrize("fault", POST_FAULTS)
@pytest.mark.parametrize("part", [0, 1], ids=["message", "first reply"])
def test_digest_parts_land_once_in_order_under_each_fault(baton, slack, clock, fault, part):
    """Each Slack fault on a digest part (the message or its first thread reply) ends, after the outbox's
    retries, with the message once and every reply once, in order."""
    clock.now = FIRE + timedelta(minutes=1)
    cfg = configure(baton, locale="en", channels=("C0CS",))
    seed(baton, 250)  # the message + 3 replies
    run_schedule(baton.deps, digest_job.SCHEDULE, cfg, clock())
    if part:
        baton.deps.outbox.run_once()  # the message lands
        assert len(slack.messages("C0CS")) == 1
    POST_FAULTS[fault](slack)
    for _ in range(8):
        clock.advance(seconds=61)
        baton.settle()
    [message] = slack.messages("C0CS")
    assert reply_texts(slack, "C0CS", message["ts"]) == [
        f"At-risk digest, week of Nov 17 – 23 (part {n} of 4)" for n in range(2, 5)
    ]
    rows = baton.all(OutboxMessage, OutboxMessage.method == "scheduled.post")
    assert len(rows) == 4 and {r.status for r in rows} == {"sent"}
