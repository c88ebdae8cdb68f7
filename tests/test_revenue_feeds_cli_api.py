"""The revenue ledger's feeds from files and the API: `python -m bot import movements|outcomes|nps` and
`POST /api/v1/arr-movements|renewal-outcomes|nps-responses`: idempotent, all or nothing, clear errors per row
naming the field, customers.arr kept equal to the ledger balance, and NPS responses feeding the nps signal."""

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlmodel import select

from bot.__main__ import main
from bot.models import ArrMovement, Customer, HealthSnapshot, NpsResponse, RenewalOutcome
from bot.services import ledger, tokens
from bot.services.imports import revenue
from bot.text import normalize_key
from tests.conftest import TEAM
from tests.test_cli import env, rows, sessions, write  # noqa: F401 - fixtures

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def seed(sessions, name="Acme Corp", arr="100000", team=TEAM, **fields) -> int:  # noqa: F811
    with sessions.begin() as db:
        c = Customer(team_id=team, name=name, name_key=normalize_key(name), **fields)
        db.add(c)
        db.flush()
        if arr:
            ledger.set_arr(
                db, c, Decimal(arr), "USD", date(2026, 1, 1), source="handoff", ref=f"s{c.id}", by=None, now=NOW
            )
        return c.id


def balance(sessions, cid):  # noqa: F811
    with sessions.begin() as db:
        b = ledger.balances(db, TEAM, [cid])[cid]
        return b.amount, db.get(Customer, cid).arr


MOVES = """
    id,customer,date,kind,amount,currency,note
    m-1,crm-1,2026-03-01,expansion,"$20,000",USD,Upsell 20 seats
    m-2,Acme Corp,2026-06-01,contraction,5000,,Dropped a module
"""


def test_import_movements_keeps_arr_equal_to_the_ledger_and_a_replay_adds_nothing(env, sessions, tmp_path, capsys):  # noqa: F811
    """Two movements go in (customer by external id and by name); customers.arr is the ledger balance; the same
    file again is all unchanged; --dry-run writes nothing."""
    cid = seed(sessions, external_id="crm-1")
    path = write(tmp_path, MOVES)
    assert main(["import", "movements", path, "--team", TEAM, "--dry-run"]) == 0
    assert "dry run: nothing was written" in capsys.readouterr().out
    assert len(rows(sessions, ArrMovement)) == 1
    assert main(["import", "movements", path, "--team", TEAM]) == 0
    assert main(["import", "movements", path, "--team", TEAM]) == 0
    out = capsys.readouterr().out
    assert "ARR movements: inserted 2, updated 0, unchanged 0" in out
    assert "ARR movements: inserted 0, updated 0, unchanged 2" in out
    assert balance(sessions, cid) == (Decimal("115000.00"), Decimal("115000.00"))
    (m,) = [m for m in rows(sessions, ArrMovement) if m.ref == "m-1"]
    assert (m.kind, m.amount, m.source, m.note, m.recorded_by) == (
        "expansion", Decimal("20000.00"), "csv", "Upsell 20 seats", "csv:in.csv"
    )  # fmt: skip


@pytest.mark.parametrize(
    ("csv", "message"),
    [
        (
            "id,customer,date,kind,amount\nm-9,nobody,2026-03-01,expansion,10\n",
            "line 2: customer: no customer matches 'nobody'",
        ),
        (
            "id,customer,date,kind,amount\nm-9,crm-1,2026-13-01,expansion,10\n",
            "line 2: date: unparseable date '2026-13-01'",
        ),
        ("id,customer,date,kind,amount\nm-9,crm-1,2026-03-01,upsell,10\n", "line 2: kind: unknown movement 'upsell'"),
        ("id,customer,date,kind,amount\nm-9,crm-1,2026-03-01,expansion,-10\n", "line 2: amount: bad amount '-10'"),
        ("id,customer,date,kind,amount\n,crm-1,2026-03-01,expansion,10\n", "line 2: id is empty"),
        (
            "id,customer,date,kind,amount\nm-9,crm-1,2026-03-01,churn,200000\n",
            "line 2: amount: this churn takes 'Acme Corp''s ARR in USD below zero",
        ),
        (
            "id,customer,date,kind,amount,note\nm-9,crm-1,2026-03-01,expansion,10,a\x00b\n",
            "line 2: note contains a control character (U+0000)",
        ),
        ("id,customer,date,kind\nm-9,crm-1,2026-03-01,expansion\n", "missing column 'amount'"),
    ],
)
def test_bad_movement_files_are_refused_whole_with_the_field_named(env, sessions, tmp_path, capsys, csv, message):  # noqa: F811
    """A bad row refuses the whole file (exit 1), the error names the line and the field; nothing is stored."""
    seed(sessions, external_id="crm-1")
    path = tmp_path / "bad.csv"
    path.write_text(csv, encoding="utf-8")
    assert main(["import", "movements", str(path), "--team", TEAM]) == 1
    err = capsys.readouterr().err
    assert message in err and "nothing imported" in err
    assert len(rows(sessions, ArrMovement)) == 1  # the seed only


def test_a_movement_id_replayed_with_other_values_is_an_error(env, sessions, tmp_path, capsys):  # noqa: F811
    """The same id with another amount is a conflict, named, and refuses the file."""
    seed(sessions, external_id="crm-1")
    assert main(["import", "movements", write(tmp_path, MOVES), "--team", TEAM]) == 0
    changed = write(tmp_path, "id,customer,date,kind,amount\nm-1,crm-1,2026-03-01,expansion,25000\n", "b.csv")
    assert main(["import", "movements", changed, "--team", TEAM]) == 1
    assert "line 2: id: 'm-1' was recorded before with other values" in capsys.readouterr().err


def test_import_outcomes_records_once_through_the_ledger(env, sessions, tmp_path, capsys):  # noqa: F811
    """An expanded outcome moves the ARR on its renewal date and the renewal date by a year; the file again is
    unchanged; a different outcome for the same renewal is refused, naming who recorded it."""
    cid = seed(sessions, external_id="crm-1", renewal_date=date(2026, 11, 30))
    path = write(
        tmp_path, "customer,renewal_date,outcome,arr_after,reason\ncrm-1,2026-11-30,expanded,$130k,More seats\n"
    )
    assert main(["import", "outcomes", path, "--team", TEAM]) == 0
    assert main(["import", "outcomes", path, "--team", TEAM]) == 0
    out = capsys.readouterr().out
    assert "renewal outcomes: inserted 1" in out and "renewal outcomes: inserted 0, updated 0, unchanged 1" in out
    (o,) = rows(sessions, RenewalOutcome)
    assert (o.outcome, o.arr_before, o.arr_after, o.source, o.reason) == (
        "expanded", Decimal("100000.00"), Decimal("130000.00"), "csv", "More seats"
    )  # fmt: skip
    assert balance(sessions, cid) == (Decimal("130000.00"), Decimal("130000.00"))
    with sessions.begin() as db:
        assert db.get(Customer, cid).renewal_date == date(2027, 11, 30)
    other = write(tmp_path, "customer,renewal_date,outcome\ncrm-1,2026-11-30,churned\n", "c.csv")
    assert main(["import", "outcomes", other, "--team", TEAM]) == 1
    assert "already recorded as expanded (by csv:in.csv" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("crm-1,2026-11-30,expanded,", "arr_after is empty"),
        ("crm-1,2026-11-30,lost,", "outcome: unknown outcome 'lost'"),
        ("crm-1,2026-11-30,churned,5000", "arr_after: a churned outcome has no ARR after"),
    ],
)
def test_bad_outcomes_are_refused(env, sessions, tmp_path, capsys, line, message):  # noqa: F811
    seed(sessions, external_id="crm-1")
    path = write(tmp_path, "customer,renewal_date,outcome,arr_after\n" + line + "\n")
    assert main(["import", "outcomes", path, "--team", TEAM]) == 1
    assert message in capsys.readouterr().err
    assert rows(sessions, RenewalOutcome) == []


def test_import_nps_stores_answers_and_derives_the_nps_signal(env, sessions, tmp_path, capsys):  # noqa: F811
    """Three answers: the account's nps snapshot on each day is the mean of each respondent's latest answer in
    the window (source nps_responses); a corrected score updates it; the file again adds nothing."""
    cid = seed(sessions, external_id="crm-1")
    path = write(
        tmp_path,
        "customer,respondent,score,date,comment\n"
        "crm-1,a@acme.com,10,2026-11-01,Love it\ncrm-1,b@acme.com,6,2026-11-01,\ncrm-1,a@acme.com,8,2026-11-20,Meh\n",
    )
    assert main(["import", "nps", path, "--team", TEAM]) == 0
    assert main(["import", "nps", path, "--team", TEAM]) == 0
    out = capsys.readouterr().out
    assert "NPS responses: inserted 3" in out and "NPS responses: inserted 0, updated 0, unchanged 3" in out
    snaps = sorted((s.as_of, s.value) for s in rows(sessions, HealthSnapshot) if s.source == "nps_responses")
    assert snaps == [(date(2026, 11, 1), 8.0), (date(2026, 11, 20), 7.0)]
    fix = write(tmp_path, "customer,respondent,score,date\ncrm-1,b@acme.com,10,2026-11-01\n", "fix.csv")
    assert main(["import", "nps", fix, "--team", TEAM]) == 0
    assert "NPS responses: inserted 0, updated 1" in capsys.readouterr().out
    snaps = sorted((s.as_of, s.value) for s in rows(sessions, HealthSnapshot) if s.source == "nps_responses")
    assert snaps == [(date(2026, 11, 1), 10.0), (date(2026, 11, 20), 9.0)]
    assert all(s.customer_id == cid and s.signal == "nps" for s in rows(sessions, HealthSnapshot))


@pytest.mark.parametrize(
    ("score", "message"),
    [("11", "score: '11' is not a whole number from 0 to 10"), ("7.5", "'7.5' is not a whole number")],
)
def test_bad_nps_scores_are_refused(env, sessions, tmp_path, capsys, score, message):  # noqa: F811
    seed(sessions, external_id="crm-1")
    path = write(tmp_path, f"customer,respondent,score,date\ncrm-1,a@acme.com,{score},2026-11-01\n")
    assert main(["import", "nps", path, "--team", TEAM]) == 1
    assert message in capsys.readouterr().err
    assert rows(sessions, NpsResponse) == []


# --- the API -------------------------------------------------------------------------------------------------


def post(baton, path, token, body):
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return baton.http.post(path, content=raw, headers=headers)


@pytest.fixture
def api(baton):
    with baton.deps.sessions.begin() as db:
        _, token = tokens.create_token(db, TEAM, "billing", baton.clock())
    return token


def test_api_movements_outcomes_and_responses(baton, api):
    """Each endpoint stores its batch for the token's team; a replay is all unchanged; another team's customer is
    unknown; an invalid item refuses the batch with its index and field; 401 without a token."""
    cid = seed(baton.deps.sessions, external_id="crm-1")
    seed(baton.deps.sessions, "Other Co", team="T222", external_id="crm-9")
    moves = {
        "movements": [{"id": "inv-77", "customer": "crm-1", "date": "2026-10-01", "kind": "expansion", "amount": 12000}]
    }
    first = post(baton, "/api/v1/arr-movements", api, moves)
    assert (first.status_code, first.json()) == (200, {"inserted": 1, "updated": 0, "unchanged": 0})
    assert post(baton, "/api/v1/arr-movements", api, moves).json()["unchanged"] == 1
    with baton.db() as db:
        assert db.get(Customer, cid).arr == Decimal("112000.00")
    bad = {
        "movements": [
            moves["movements"][0],
            {"id": "x", "customer": "crm-9", "date": "2026-10-01", "kind": "new", "amount": "1"},
        ]
    }
    resp = post(baton, "/api/v1/arr-movements", api, bad)
    assert resp.status_code == 400
    assert resp.json()["errors"] == [
        {"index": 1, "code": "unknown_customer", "reason": "customer: no customer matches 'crm-9'"}
    ]
    out = post(
        baton,
        "/api/v1/renewal-outcomes",
        api,
        {"outcomes": [{"customer": "Acme Corp", "renewal_date": "2026-11-30", "outcome": "renewed"}]},
    )
    assert out.json() == {"inserted": 1, "updated": 0, "unchanged": 0}
    nps = {"responses": [{"customer": "crm-1", "respondent": "r1", "score": 9, "date": "2026-11-01"}]}
    assert post(baton, "/api/v1/nps-responses", api, nps).json()["inserted"] == 1
    nul = {"responses": [{"customer": "crm-1", "respondent": "r\u00002", "score": 9, "date": "2026-11-01"}]}
    assert post(baton, "/api/v1/nps-responses", api, nul).json()["errors"][0]["code"] == "control_char"
    assert post(baton, "/api/v1/nps-responses", None, nps).status_code == 401
    assert post(baton, "/api/v1/nps-responses", api, {"answers": []}).json() == {"error": "responses must be a list"}
    assert post(baton, "/api/v1/nps-responses", api, b"{").status_code == 400
    big = post(baton, "/api/v1/nps-responses", api, {"responses": [nps["responses"][0]] * 10_001})
    assert big.status_code == 400 and "too many responses" in big.json()["error"]
    with baton.db() as db:
        assert len(db.exec(select(NpsResponse)).all()) == 1
        assert len(db.exec(select(ArrMovement).where(ArrMovement.source == "api")).all()) == 1


def test_a_conflict_found_while_writing_leaves_nothing(baton, api):
    """Two answers for the same key with different scores in one batch: refused, and the first is not kept."""
    seed(baton.deps.sessions, external_id="crm-1")
    item = {"customer": "crm-1", "respondent": "r1", "score": 9, "date": "2026-11-01"}
    resp = post(baton, "/api/v1/nps-responses", api, {"responses": [item, {**item, "score": 3}]})
    assert resp.status_code == 400 and resp.json()["errors"][0]["code"] == "duplicate"
    with baton.db() as db:
        assert db.exec(select(NpsResponse)).all() == []
        assert db.exec(select(HealthSnapshot)).all() == []


def test_feed_columns_are_documented_in_one_place():
    assert revenue.columns("movements")[:5] == ("id", "customer", "date", "kind", "amount")
