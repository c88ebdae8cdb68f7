"""Nudges and the meeting reminder end to end: the real app, the schedule runs, the outbox posts to the fake
Slack, and the buttons on what was posted work (Fill handoff, Accept, the mute menu)."""

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from bot.blocks import handoff as hb
from bot.blocks import reminders as rb
from bot.jobs import meeting as meeting_job
from bot.jobs import nudges as nudges_job
from bot.jobs.schedules import defaults, run_schedule
from bot.models import ACCEPTED, DRAFT, SUBMITTED, Customer, Handoff, HealthScore, Occurrence, Promise
from bot.services import team_config
from bot.text import normalize_key
from tests import payloads as p
from tests.conftest import HANDOFF_CHANNEL, TEAM
from tests.flows import blocks_text, card_action, open_handoff, submit_handoff
from tests.handlers.test_crm_webhooks import GENERIC_DEAL, click_fill, post_generic

HANDOFFS, PROMISES = nudges_job.SCHEDULES
SEOUL = ZoneInfo("Asia/Seoul")
LEAD = "U0LEAD"


def configure(baton, **values: str) -> team_config.TeamConfig:
    with baton.deps.sessions.begin() as db:
        for key, value in values.items():
            team_config.set_value(db, TEAM, key.replace("__", "."), value, now=baton.clock())
    with baton.deps.sessions.begin() as db:
        return team_config.load(db, TEAM, defaults(baton.deps))


def run(baton, schedule, cfg):
    result = run_schedule(baton.deps, schedule, cfg, baton.clock())
    baton.settle()
    return result


def dms(slack, user: str) -> list[dict]:
    return slack.messages(slack.dm_channel(user))


def elements(message: dict) -> list[dict]:
    out = []
    for b in message.get("blocks", []):
        if b["type"] == "actions":
            out += b["elements"]
        elif b.get("accessory"):
            out.append(b["accessory"])
    return out


def test_deal_closed_draft_nudges_the_ae_then_the_sales_lead_once_each(baton, slack, clock):
    """A deal closes Monday 10:00 (the AE gets the fill request); Tuesday 10:00 the AE is nudged with a Fill
    handoff button that opens the prefilled form; Thursday 10:00 the sales lead is; nothing is sent twice."""
    slack.add_user(LEAD, email="lead@example.com", name="Lee Lead", locale="en-US")
    clock.now = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    assert post_generic(baton, GENERIC_DEAL).status_code == 200
    baton.settle()
    [h] = baton.all(Handoff)
    assert h.status == DRAFT and h.ae_user_id == "U_AE"
    assert len(dms(slack, "U_AE")) == 1  # the fill request
    cfg = configure(baton, nudge__sales_lead=LEAD)

    clock.now = datetime(2026, 3, 3, 9, 45, 10, tzinfo=UTC)
    assert run(baton, HANDOFFS, cfg).queued == 0
    clock.now = datetime(2026, 3, 3, 10, 0, 10, tzinfo=UTC)
    assert run(baton, HANDOFFS, cfg).queued == 1
    fill_request, nudge = dms(slack, "U_AE")
    assert "*Globex Ltd* (Globex rollout, €48K) is still a draft 24 hours after the deal closed" in nudge["text"]
    fill = elements(nudge)[0]
    assert (fill["action_id"], fill["value"]) == (hb.FILL, str(h.id))
    assert elements(nudge)[-1]["action_id"] == rb.MENU
    view = click_fill(baton, slack, h.id, "U_AE", slack.dm_channel("U_AE"), nudge["ts"])
    assert hb.HandoffMeta.model_validate_json(view["private_metadata"]).handoff_id == h.id

    clock.now = datetime(2026, 3, 3, 10, 15, 5, tzinfo=UTC)
    assert run(baton, HANDOFFS, cfg).queued == 0
    assert dms(slack, LEAD) == []

    clock.now = datetime(2026, 3, 5, 10, 0, 5, tzinfo=UTC)
    assert run(baton, HANDOFFS, cfg).queued == 1
    [lead] = dms(slack, LEAD)
    assert "still a draft 3 days after the deal closed. AE: <@U_AE>" in lead["text"]
    assert elements(lead)[0]["action_id"] == hb.FILL
    assert len(dms(slack, "U_AE")) == 2
    clock.now = datetime(2026, 3, 6, 10, 0, 5, tzinfo=UTC)
    assert run(baton, HANDOFFS, cfg).queued == 0
    occ = {o.key: o for o in baton.all(Occurrence, Occurrence.schedule == "nudges", Occurrence.kind != "run")}
    assert set(occ) == {f"nudge:draft:{h.id}:ae", f"nudge:draft:{h.id}:lead"}
    assert occ[f"nudge:draft:{h.id}:ae"].ts == nudge["ts"] and occ[f"nudge:draft:{h.id}:lead"].ts == lead["ts"]


def test_pausing_draft_nudges_from_the_menu_skips_the_next_one(baton, slack, clock):
    """The AE pauses handoff draft reminders from a nudge's menu; the next draft's nudge is skipped as muted."""
    clock.now = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    post_generic(baton, GENERIC_DEAL)
    baton.settle()
    cfg = configure(baton)
    clock.now = datetime(2026, 3, 3, 10, 0, 5, tzinfo=UTC)
    run(baton, HANDOFFS, cfg)
    nudge = dms(slack, "U_AE")[-1]
    [pause] = [o for o in elements(nudge)[-1]["options"] if json.loads(o["value"])["a"] == "pause"]
    req = p.block_actions(
        rb.MENU,
        user_id="U_AE",
        channel_id=slack.dm_channel("U_AE"),
        message_ts=nudge["ts"],
        response_url=slack.new_response_url(),
        action={"type": "overflow", "selected_option": pause, "value": None},
    )
    assert baton.slack(req).status_code == 200
    baton.settle()
    second = dict(GENERIC_DEAL, event_id="evt-0002", deal_id="006Dn000004WXYZ", company="Initech")
    post_generic(baton, second)
    baton.settle()
    before = len(dms(slack, "U_AE"))
    clock.now = datetime(2026, 3, 4, 10, 0, 5, tzinfo=UTC)
    run(baton, HANDOFFS, cfg)
    assert len(dms(slack, "U_AE")) == before
    [skipped] = [o for o in baton.all(Occurrence, Occurrence.status == "skipped") if o.key.startswith("nudge:draft")]
    assert skipped.reason == "muted"


def test_unaccepted_handoff_is_raised_in_the_cs_channel_and_accepted_from_there(baton, slack, clock):
    """Submitted Friday 16:00 in Seoul; raised Monday 16:00 (not before) in the card's channel with a link to the
    card; a CSM accepts from that post, the card shows it, and nothing more is sent."""
    clock.now = datetime(2026, 3, 6, 16, 0, tzinfo=SEOUL).astimezone(UTC)
    view = open_handoff(baton, slack)
    submit_handoff(baton, view)
    baton.settle()
    [card] = slack.messages(HANDOFF_CHANNEL)
    [h] = baton.all(Handoff)
    cfg = configure(baton, timezone="Asia/Seoul")

    clock.now = datetime(2026, 3, 9, 15, 45, 30, tzinfo=SEOUL).astimezone(UTC)
    assert run(baton, HANDOFFS, cfg).queued == 0
    clock.now = datetime(2026, 3, 9, 16, 0, 30, tzinfo=SEOUL).astimezone(UTC)
    assert run(baton, HANDOFFS, cfg).queued == 1
    _card, nudge = slack.messages(HANDOFF_CHANNEL)
    link = f"https://slack.com/archives/{HANDOFF_CHANNEL}/p{card['ts'].replace('.', '')}"
    assert f"<{link}|Open the handoff card>" in blocks_text(nudge["blocks"])
    assert "*ACME Corp.* ($120K) was submitted by <@U_AE> on Mar 6, 2026" in nudge["text"]
    assert "not accepted after 1 business day" in nudge["text"]

    resp = card_action(baton, slack, hb.ACCEPT, h.id, "U_CSM", HANDOFF_CHANNEL, nudge["ts"])
    assert resp.status_code == 200
    baton.settle()
    [accepted] = baton.all(Handoff)
    assert (accepted.status, accepted.accepted_by) == (ACCEPTED, "U_CSM")
    [card_now, _] = slack.messages(HANDOFF_CHANNEL)
    assert "Accepted by <@U_CSM>" in blocks_text(card_now["blocks"])
    clock.now = datetime(2026, 3, 10, 10, 0, 30, tzinfo=SEOUL).astimezone(UTC)
    assert run(baton, HANDOFFS, cfg).queued == 0
    assert len(slack.messages(HANDOFF_CHANNEL)) == 2


def test_overdue_promise_reminds_its_owner_on_the_next_weekday(baton, slack, clock):
    """The handoff's promise is due Friday 2027-01-15: no run on the weekend, a DM to its owner on Monday at
    reminders.time, with the card link and Open card; once."""
    clock.now = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    view = open_handoff(baton, slack)
    submit_handoff(baton, view)
    baton.settle()
    [card] = slack.messages(HANDOFF_CHANNEL)
    promise = next(x for x in baton.all(Promise) if x.due_date)
    assert (promise.owner_user_id, promise.due_date) == ("U_AE", date(2027, 1, 15))
    cfg = configure(baton)
    [submitted] = dms(slack, "U_AE")  # where the card is: the loop closed for the submitter
    assert "Your handoff for *ACME Corp.*" in submitted["text"] or "Your handoff for ACME Corp." in submitted["text"]

    clock.now = datetime(2027, 1, 16, 9, 0, 30, tzinfo=UTC)  # Saturday: the latest fire is Friday's, stale now
    assert run(baton, PROMISES, cfg).stale
    assert dms(slack, "U_AE") == [submitted]
    clock.now = datetime(2027, 1, 18, 9, 0, 30, tzinfo=UTC)  # Monday
    assert run(baton, PROMISES, cfg).queued == 1
    [_, dm] = dms(slack, "U_AE")
    assert (
        "A promise to *ACME Corp.* is overdue: “SSO before launch”. It was due Jan 15, 2027 (3 days ago)"
        in (dm["text"])
    )
    link = f"https://slack.com/archives/{HANDOFF_CHANNEL}/p{card['ts'].replace('.', '')}"
    assert f"<{link}|Handoff card>" in blocks_text(dm["blocks"])
    assert [e["action_id"] for e in elements(dm)] == [rb.OPEN_CARD, rb.MENU]
    clock.now = datetime(2027, 1, 19, 9, 0, 30, tzinfo=UTC)
    assert run(baton, PROMISES, cfg).queued == 0
    assert len(dms(slack, "U_AE")) == 2


def seed_meeting(baton) -> int:
    now = baton.clock()
    with baton.deps.sessions.begin() as db:
        c = Customer(
            team_id=TEAM,
            name="Hooli",
            name_key=normalize_key("Hooli"),
            arr=Decimal("250000"),
            currency="USD",
            owner_user_id="U_CSM",
            renewal_date=date(2026, 4, 20),
            created_at=now,
            updated_at=now,
        )
        db.add(c)
        db.flush()
        db.add(HealthScore(team_id=TEAM, customer_id=c.id, day=date(2026, 3, 3), score=31.0, band="unhealthy"))
        db.add(
            Handoff(
                team_id=TEAM,
                customer_id=c.id,
                status=SUBMITTED,
                customer_name="Hooli",
                submitted_at=now - timedelta(days=2),
                ae_user_id="U_AE",
                card_channel="C0CS",
                card_ts="1772000000.000100",
            )
        )
        return c.id


def test_meeting_reminder_posts_the_agenda_the_day_before_once(baton, slack, clock):
    """Biweekly Thursday 15:00 in Seoul: Wednesday 10:00 the meeting channel gets one agenda message whose rows
    open their cards; the next tick sends nothing more."""
    clock.now = datetime(2026, 3, 4, 10, 0, 20, tzinfo=SEOUL).astimezone(UTC)
    cid = seed_meeting(baton)
    cfg = configure(
        baton, timezone="Asia/Seoul", meeting__channel="C0MEET", meeting__day="thu", meeting__anchor="2026-03-05"
    )
    assert run(baton, meeting_job.SCHEDULE, cfg).queued == 1
    [post] = slack.messages("C0MEET")
    text = blocks_text(post["blocks"])
    assert "Cross-team meeting tomorrow: agenda" in text and "Thu, Mar 5, 2026 at 3:00 PM (Asia/Seoul)" in text
    assert "*Hooli* · Unhealthy (31) · $250K · renews Apr 20, 2026 · <@U_CSM>" in text
    assert "<https://slack.com/archives/C0CS/p1772000000000100|Hooli>" in text
    cards = [e for e in elements(post) if e["action_id"] == rb.OPEN_CARD]
    assert [json.loads(e["value"])["c"] for e in cards] == [cid, cid]  # at risk, renewing in 90 days
    clock.advance(minutes=1)
    assert run(baton, meeting_job.SCHEDULE, cfg) is None
    [occ] = baton.all(Occurrence, Occurrence.kind == "meeting")
    assert (occ.key, occ.ts, occ.status) == ("meeting:2026-03-05:C0MEET", post["ts"], "sent")

    # Open card on the agenda shows the customer's card to the clicker only
    req = p.block_actions(
        rb.OPEN_CARD,
        cards[0]["value"],
        user_id="U_CSM2",
        channel_id="C0MEET",
        message_ts=post["ts"],
        response_url=slack.new_response_url(),
    )
    assert baton.slack(req).status_code == 200
    baton.settle()
    assert "Hooli" in json.dumps(slack.responses()[-1], ensure_ascii=False)


def test_meeting_reminder_missed_until_after_the_meeting_is_stale(baton, slack, clock):
    """A worker that was down from before the reminder until the meeting started sends nothing: the run is
    recorded as skipped (stale) and the channel stays quiet."""
    clock.now = datetime(2026, 3, 5, 15, 1, tzinfo=SEOUL).astimezone(UTC)
    seed_meeting(baton)
    cfg = configure(
        baton, timezone="Asia/Seoul", meeting__channel="C0MEET", meeting__day="thu", meeting__anchor="2026-03-05"
    )
    result = run(baton, meeting_job.SCHEDULE, cfg)
    assert result.stale and result.queued == 0
    assert slack.messages("C0MEET") == []
    [skipped] = baton.all(Occurrence, Occurrence.schedule == "meeting")
    assert (skipped.kind, skipped.status, skipped.reason) == ("run", "skipped", "stale")


def _lines(message: dict) -> list[str]:
    """The posted message's text, one line per line of each section or context, in order."""
    out = []
    for b in message["blocks"]:
        if b["type"] in ("section", "header"):
            out += b["text"]["text"].split("\n")
        elif b["type"] == "context":
            out += [e["text"] for e in b["elements"]]
        elif b["type"] == "divider":
            out.append("---")
    return out


AGENDA_LINES = {
    "en": [
        "*🚨 Accounts at risk* · 3 · ≈ $1.1M (₩1.2B + $260K)",
        "⚡ *Needs action this week* (2): worse this week or renewing within 90 days, by ARR",
        "*Hooli* · Unhealthy (31) · $250K · renews Apr 20, 2026 · <@U_CSM>",
        "*Newly* · At risk (60) · $10K · no owner",
        "*Other accounts at risk* (1), by ARR",
        "*Chronic Co* · Unhealthy (20) · ₩1.2B · no owner",
        "---",
        "*📨 Handoffs waiting for acceptance* · 1",
        "• <https://slack.com/archives/C0CS/p1772000000000100|Hooli> · submitted Mar 2, 2026 by <@U_AE>",
        "---",
        "*🚩 Flagged as a bad fit* · 1",
        "• <https://slack.com/archives/C0CS/p1772000000000200|Pied Piper> · $80K · flagged Mar 3, 2026 by <@U_CSM>:"
        " “Wants on-prem only &lt;!here&gt;”",
        "---",
        "*🔁 Renewals in the next 90 days* · 1 · $250K",
        "*Hooli* · Apr 20, 2026 (in 47 days) · $250K · Unhealthy · <@U_CSM>",
        "---",
        "Nothing to discuss: customer requests · overdue promises · onboarding tasks",
    ],
    "ko": [
        "*🚨 이탈 위험 고객* · 3곳 · ≈ $1.1M (12억 원 + $260K)",
        "⚡ *이번 주 조치 필요* (2곳): 이번 주 나빠졌거나 90일 안에 갱신, ARR 순",
        "*Hooli* · 위험 (31) · $250K · 2026년 4월 20일 갱신 · <@U_CSM>",
        "*Newly* · 주의 (60) · $10K · 담당자 없음",
        "*그 밖의 이탈 위험 고객* (1곳), ARR 순",
        "*Chronic Co* · 위험 (20) · 12억 원 · 담당자 없음",
        "---",
        "*📨 수락 대기 중인 인계* · 1건",
        "• <https://slack.com/archives/C0CS/p1772000000000100|Hooli> · 2026년 3월 2일 <@U_AE> 제출",
        "---",
        "*🚩 부적합 고객으로 표시된 인계* · 1건",
        "• <https://slack.com/archives/C0CS/p1772000000000200|Pied Piper> · $80K · 2026년 3월 3일 <@U_CSM> 표시:"
        " “Wants on-prem only &lt;!here&gt;”",
        "---",
        "*🔁 90일 내 갱신* · 1곳 · $250K",
        "*Hooli* · 2026년 4월 20일 (47일 후) · $250K · 위험 · <@U_CSM>",
        "---",
        "논의할 항목 없음: 고객 요청 · 기한 초과 약속 · 온보딩 작업",
    ],
}


@pytest.mark.parametrize("locale", ["en", "ko"])
def test_meeting_agenda_ranks_flags_and_folds_like_the_digest(baton, slack, clock, locale):
    """Through the worker's schedule run and the outbox to the fake Slack, in the team's language: accounts
    needing action this week (renewing within 90 days; newly At risk) first under the digest's ⚡ heading, then
    the others however large; a handoff flagged as a bad fit apart with its reason; the ARR at risk in two
    currencies as one total with the team's rates; the empty sections named in one closing line."""
    clock.now = datetime(2026, 3, 4, 10, 0, 20, tzinfo=SEOUL).astimezone(UTC)
    hooli = seed_meeting(baton)
    now = baton.clock()
    with baton.deps.sessions.begin() as db:
        newly = Customer(team_id=TEAM, name="Newly", name_key="newly", arr=Decimal("10000"), currency="USD")
        chronic = Customer(
            team_id=TEAM, name="Chronic Co", name_key="chronic co", arr=Decimal("1200000000"), currency="KRW"
        )
        odd = Customer(team_id=TEAM, name="Pied Piper", name_key="pied piper")
        db.add_all([newly, chronic, odd])
        db.flush()
        for cid, day, value, band in (
            (newly.id, date(2026, 2, 25), 80.0, "healthy"),
            (newly.id, date(2026, 3, 4), 60.0, "at_risk"),
            (chronic.id, date(2026, 2, 20), 18.0, "unhealthy"),
            (chronic.id, date(2026, 3, 4), 20.0, "unhealthy"),
        ):
            db.add(HealthScore(team_id=TEAM, customer_id=cid, day=day, score=value, band=band))
        db.add(
            Handoff(
                team_id=TEAM,
                customer_id=odd.id,
                status=SUBMITTED,
                submitted_at=now - timedelta(days=5),
                ae_user_id="U_AE",
                arr=Decimal("80000"),
                currency="USD",
                card_channel="C0CS",
                card_ts="1772000000.000200",
                bad_fit_by="U_CSM",
                bad_fit_reason="Wants on-prem\nonly <!here>",
                bad_fit_at=datetime(2026, 3, 3, 14, 0, tzinfo=SEOUL),
            )
        )
        ids = [hooli, newly.id, chronic.id, hooli]  # at risk (3 rows), then renewing in 90 days
    cfg = configure(
        baton,
        timezone="Asia/Seoul",
        locale=locale,
        meeting__channel="C0MEET",
        meeting__day="thu",
        meeting__anchor="2026-03-05",
        fx__rates="USD: KRW=0.00072",
    )
    assert run(baton, meeting_job.SCHEDULE, cfg).queued == 1
    [post] = slack.messages("C0MEET")
    lines = _lines(post)
    assert lines[lines.index("---") + 1 :] == AGENDA_LINES[locale]
    assert [json.loads(e["value"])["c"] for e in elements(post) if e["action_id"] == rb.OPEN_CARD] == ids
    summary = {
        "en": "1 handoff waiting, 1 handoff flagged as a bad fit",
        "ko": "수락 대기 인계 1건, 부적합 고객으로 표시된 인계 1건",
    }
    assert summary[locale] in post["text"]
