"""The renewal ladder's question after the renewal date, end to end: the worker's scan DMs the owner, asks again
every 7 days until answered (once per step), and signed clicks and modal submissions record the outcome once,
through the ledger, moving the renewal date on by the contract's term."""

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from bot.blocks import outcomes as ob
from bot.blocks import reminders as rb
from bot.jobs.schedules import run_due
from bot.models import ArrMovement, Customer, Handoff, Occurrence, RenewalOutcome
from bot.services import ledger
from bot.text import normalize_key
from tests import payloads as p

T0 = datetime(2026, 3, 3, 9, 5, tzinfo=UTC)  # a Tuesday just after the reminders' 09:00
RENEWAL = date(2026, 4, 2)  # 30 days after T0


@pytest.fixture
def at_t0(baton, clock):
    clock.now = T0
    return baton


def add_customer(baton, name="Acme Corp.", *, arr="120000", renewal=RENEWAL, owner="U_CSM", ae="U_AE", term=None):
    now = T0
    with baton.deps.sessions.begin() as db:
        c = Customer(
            team_id="T111",
            name=name,
            name_key=normalize_key(name),
            renewal_date=renewal,
            owner_user_id=owner,
            ae_user_id=ae,
            contract_start=date(2025, 4, 2),
            stage="adoption",
        )
        db.add(c)
        db.flush()
        if arr is not None:
            ledger.set_arr(db, c, Decimal(arr), "USD", date(2025, 4, 2), source="handoff", ref="seed", by=None, now=now)
        if term is not None:
            db.add(
                Handoff(
                    team_id="T111",
                    customer_id=c.id,
                    status="submitted",
                    form_id=f"f{c.id}",
                    customer_name=name,
                    term_months=term,
                    submitted_at=now,
                    created_at=now,
                    updated_at=now,
                )
            )
        return c.id


def scan(baton) -> int:
    queued = run_due(baton.deps, only="renewals")
    baton.settle()
    return queued


def dms(slack, user):
    return slack.messages(slack.dm_channel(user))


def asks(slack, user):
    return [
        m
        for m in dms(slack, user)
        if any(b.get("type") == "actions" and _ids(b) & set(ob.ANSWER_BUTTONS) for b in m["blocks"])
    ]


def _ids(block):
    return {e.get("action_id") for e in block.get("elements", [])}


def text_of(message) -> str:
    return json.dumps(message.get("blocks", []), ensure_ascii=False) + message.get("text", "")


def button(message, action_id):
    return next(
        e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"] if e["action_id"] == action_id
    )


def click(baton, slack, message, action_id, user):
    el = button(message, action_id)
    req = p.block_actions(
        action_id,
        el.get("value", ""),
        user_id=user,
        channel_id=slack.dm_channel("U_CSM"),
        message_ts=message["ts"],
        response_url=slack.new_response_url(),
    )
    assert baton.slack(req).status_code == 200
    baton.settle()


def submit(baton, callback, meta, values, user="U_CSM"):
    req = p.view_submission(callback, values, user_id=user, private_metadata=meta)
    resp = baton.slack(req)
    baton.settle()
    return resp


def to_past_renewal(baton, clock, days=1):
    """Run the ladder up to the renewal date (T-30 is due at T0), then move past it by `days`."""
    scan(baton)
    clock.now = datetime.combine(RENEWAL + timedelta(days=days), T0.timetz())


def the_ask(slack):
    (ask,) = asks(slack, "U_CSM")
    return ask


def movements(baton, cid):
    return [(m.kind, m.amount, m.effective_on) for m in baton.all(ArrMovement, ArrMovement.customer_id == cid)]


def customer(baton, cid) -> Customer:
    (c,) = baton.all(Customer, Customer.id == cid)
    return c


def test_the_owner_is_asked_after_the_renewal_date_then_every_7_days_once_per_step(at_t0, slack, clock):
    """The first scan after the date asks; the same day asks nothing more; 7 days on it asks again (once)."""
    cid = add_customer(at_t0)
    to_past_renewal(at_t0, clock)
    assert scan(at_t0) == 1
    assert scan(at_t0) == 0
    ask = the_ask(slack)
    assert ask["text"] == "What happened at Acme Corp.'s renewal?"
    assert "$120,000" in text_of(ask) and "Apr 2, 2026" in text_of(ask)
    clock.advance(days=6)
    assert scan(at_t0) == 0
    clock.advance(days=1)
    assert scan(at_t0) == 1 and scan(at_t0) == 0
    assert len(asks(slack, "U_CSM")) == 2
    assert "Asked again" in text_of(asks(slack, "U_CSM")[-1])
    keys = sorted(o.key for o in at_t0.all(Occurrence, Occurrence.kind == "renewal.outcome"))
    assert keys == [f"renewal:{cid}:2026-04-02:outcome:0", f"renewal:{cid}:2026-04-02:outcome:1"]


def test_renewed_records_once_moves_the_renewal_date_by_the_term_and_updates_the_dm(at_t0, slack, clock):
    """Renewed: one outcome, no movement, the renewal date a term later, the DM says so; a double click and a
    click on the older ask record nothing more; the next scan asks nothing."""
    cid = add_customer(at_t0, term=24)
    to_past_renewal(at_t0, clock, days=8)
    scan(at_t0)
    ask = the_ask(slack)
    click(at_t0, slack, ask, ob.RENEWED, "U_CSM")
    click(at_t0, slack, ask, ob.RENEWED, "U_CSM")
    (row,) = at_t0.all(RenewalOutcome)
    assert (row.outcome, row.arr_before, row.arr_after, row.recorded_by, row.source) == (
        "renewed", Decimal("120000"), Decimal("120000"), "U_CSM", "slack"
    )  # fmt: skip
    assert movements(at_t0, cid) == [("new", Decimal("120000"), date(2025, 4, 2))]
    assert customer(at_t0, cid).renewal_date == date(2028, 4, 2)
    (updated,) = [m for m in dms(slack, "U_CSM") if m["ts"] == ask["ts"]]
    assert "✅ Renewed at $120,000 · recorded by <@U_CSM>" in text_of(updated)
    assert "next renewal Apr 2, 2028" in text_of(updated)
    assert not {ob.RENEWED, ob.CHANGED, ob.CHURNED} & {
        e["action_id"] for b in updated["blocks"] if b["type"] == "actions" for e in b["elements"]
    }
    clock.advance(days=7)
    assert scan(at_t0) == 0  # answered: no more asks (and next year's ladder is far off)


def test_changed_arr_opens_a_modal_and_records_an_expansion_through_the_ledger(at_t0, slack, clock):
    """Changed ARR: the modal; a bad amount is refused under its field with nothing stored; $150k records an
    expansion of 30,000 on the renewal date, customers.arr follows the ledger, the date moves 12 months."""
    cid = add_customer(at_t0)
    to_past_renewal(at_t0, clock)
    scan(at_t0)
    ask = the_ask(slack)
    click(at_t0, slack, ask, ob.CHANGED, "U_CSM")
    (view,) = slack.views_opened()
    assert view["callback_id"] == ob.CHANGED_MODAL
    meta = view["private_metadata"]
    bad = submit(at_t0, ob.CHANGED_MODAL, meta, {ob.ARR_BLOCK: {"value": p.text_value("lots")}})
    assert bad.json()["response_action"] == "errors" and ob.ARR_BLOCK in bad.json()["errors"]
    assert at_t0.all(RenewalOutcome) == []
    values = {
        ob.ARR_BLOCK: {"value": p.text_value("$150k")},
        ob.REASON_BLOCK: {"value": p.text_value("Added 20 seats")},
    }
    assert submit(at_t0, ob.CHANGED_MODAL, meta, values).status_code == 200
    (row,) = at_t0.all(RenewalOutcome)
    assert (row.outcome, row.arr_after, row.reason) == ("expanded", Decimal("150000"), "Added 20 seats")
    assert ("expansion", Decimal("30000.00"), RENEWAL) in movements(at_t0, cid)
    c = customer(at_t0, cid)
    assert (c.arr, c.renewal_date) == (Decimal("150000"), date(2027, 4, 2))
    with at_t0.db() as db:
        assert ledger.balances(db, "T111", [cid])[cid].amount == Decimal("150000")
    (updated,) = [m for m in dms(slack, "U_CSM") if m["ts"] == ask["ts"]]
    assert "📈 Expanded to $150,000 (from $120,000)" in text_of(updated)
    assert "Added 20 seats" in text_of(updated)
    # the same submission delivered again records nothing more
    submit(at_t0, ob.CHANGED_MODAL, meta, values)
    assert len(at_t0.all(RenewalOutcome)) == 1 and len(movements(at_t0, cid)) == 2


def test_churned_needs_a_reason_then_churns_the_arr_and_the_stage(at_t0, slack, clock):
    """Churned: no reason is refused under the field; with one, ARR churns to 0 in the ledger, stage churned,
    the renewal date stays, and no more asks come."""
    cid = add_customer(at_t0)
    to_past_renewal(at_t0, clock)
    scan(at_t0)
    ask = the_ask(slack)
    click(at_t0, slack, ask, ob.CHURNED, "U_CSM")
    meta = slack.views_opened()[-1]["private_metadata"]
    empty = submit(at_t0, ob.CHURNED_MODAL, meta, {ob.REASON_BLOCK: {"value": p.text_value("  ")}})
    assert ob.REASON_BLOCK in empty.json()["errors"]
    submit(at_t0, ob.CHURNED_MODAL, meta, {ob.REASON_BLOCK: {"value": p.text_value("Budget cut")}})
    (row,) = at_t0.all(RenewalOutcome)
    assert (row.outcome, row.arr_after, row.reason) == ("churned", Decimal("0"), "Budget cut")
    assert ("churn", Decimal("120000.00"), RENEWAL) in movements(at_t0, cid)
    c = customer(at_t0, cid)
    assert (c.stage, c.renewal_date) == ("churned", RENEWAL)
    (updated,) = [m for m in dms(slack, "U_CSM") if m["ts"] == ask["ts"]]
    assert "🚫 Churned ($120,000 ARR lost)" in text_of(updated)
    clock.advance(days=7)
    assert scan(at_t0) == 0


def test_only_the_owner_or_the_ae_may_answer_and_a_second_answer_is_told_who(at_t0, slack, clock):
    """Someone else gets an ephemeral refusal and nothing is recorded; the AE may answer; the owner clicking
    afterwards is told it is already recorded, by the AE."""
    add_customer(at_t0)
    to_past_renewal(at_t0, clock)
    scan(at_t0)
    ask = the_ask(slack)
    click(at_t0, slack, ask, ob.RENEWED, "U_CSM2")
    assert at_t0.all(RenewalOutcome) == []
    (refusal,) = slack.responses()
    assert refusal["response_type"] == "ephemeral" and refusal.get("replace_original") is False
    assert "Only the owner CSM (<@U_CSM>) or the AE of *Acme Corp.*" in refusal["text"]
    click(at_t0, slack, ask, ob.RENEWED, "U_AE")
    (row,) = at_t0.all(RenewalOutcome)
    assert row.recorded_by == "U_AE"
    click(at_t0, slack, ask, ob.CHANGED, "U_CSM")
    assert slack.views_opened() == []  # no modal for an answered renewal
    told = slack.responses()[-1]
    assert "already recorded" in told["text"] and "recorded by <@U_AE>" in told["text"]


def test_the_question_in_korean_and_renewals_before_baton_are_not_asked(at_t0, slack, clock):
    """A Korean owner reads the question in Korean; a renewal that passed before any ladder step is not asked."""
    add_customer(at_t0, "한빛물류", owner="U_KO")
    add_customer(at_t0, "Old Co", renewal=date(2025, 12, 1))
    to_past_renewal(at_t0, clock)
    assert scan(at_t0) == 1
    (ask,) = asks(slack, "U_KO")
    assert "갱신 결과" in ask["text"] and "이탈" in text_of(ask)
    assert [o.subject for o in at_t0.all(Occurrence, Occurrence.kind == "renewal.outcome")] == ["2026-04-02"]
    assert rb.MENU in {e["action_id"] for b in ask["blocks"] if b["type"] == "actions" for e in b["elements"]}
