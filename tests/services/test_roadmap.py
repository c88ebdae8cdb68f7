"""Roadmap service: items, tags, versions and the outbox messages they queue, tally maths, status, ship fan-out."""

import json
import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlmodel import select

from bot.db import Sessions
from bot.models import HealthSnapshot, OutboxMessage, RoadmapItem, VocLink
from bot.services import roadmap, voc
from bot.services.health_config import HealthRules
from tests.conftest import TEAM
from tests.services.conftest import add_customer

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
TODAY = NOW.date()
CHANNEL = "C0ROADMAP"


def note(sessions: Sessions, customer_id: int, quote: str, team: str = TEAM, **kw) -> int:
    with sessions.begin() as db:
        now = kw.pop("now", NOW)
        inp = voc.VocInput(customer_id, quote, kw.pop("category", "feature_request"), **kw, source_kind="command")
        return voc.log_voc(db, team, inp, "U_CSM", now=now).note.id


def item(sessions: Sessions, title: str = "SSO", team: str = TEAM) -> int:
    with sessions.begin() as db:
        it, created = roadmap.create_item(db, team, title, "U_PM", CHANNEL, now=NOW)
        assert created
        return it.id


def queued(sessions: Sessions, kind: str | None = None) -> list[tuple[str, str, dict]]:
    with sessions.begin() as db:
        rows = db.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        return [(r.idem_key, r.method, json.loads(r.payload)) for r in rows if kind is None or r.method == kind]


@pytest.mark.parametrize(
    "title, code",
    [("", "title_required"), ("   \n ", "title_required"), ("x" * 151, "title_too_long")],
)
def test_titles_are_checked(sessions, title, code):
    with sessions.begin() as db, pytest.raises(roadmap.RoadmapError) as err:
        roadmap.create_item(db, TEAM, title, "U_PM", CHANNEL, now=NOW)
    assert err.value.code == code


def test_creating_an_item_queues_its_parent_once(sessions):
    with sessions.begin() as db:
        a, created_a = roadmap.create_item(
            db, TEAM, "  SSO \n for all ", "U_PM", CHANNEL, now=NOW, source_key="msg:C1:1.2"
        )
        b, created_b = roadmap.create_item(db, TEAM, "SSO again", "U_PM", CHANNEL, now=NOW, source_key="msg:C1:1.2")
    assert created_a and not created_b and a.id == b.id and a.title == "SSO for all"
    assert queued(sessions) == [(f"roadmap:{a.id}:parent", "roadmap.parent.post", {"item_id": a.id})]


def test_tag_untag_retag_versions_and_posts(sessions):
    acme = add_customer(sessions, "Acme Corp")
    n = note(sessions, acme, "Need SSO")
    it = item(sessions)
    with sessions.begin() as db:
        link = roadmap.tag(db, TEAM, n, it, "U_CSM", now=NOW)
        assert roadmap.tag(db, TEAM, n, it, "U_OTHER", now=NOW) is None  # double click: nothing more
    with sessions.begin() as db:
        db.get(VocLink, link.id).thread_ts = "1700000001.000200"  # the post landed
    with sessions.begin() as db:
        assert roadmap.untag(db, TEAM, n, it, now=NOW) is True
        assert roadmap.untag(db, TEAM, n, it, now=NOW) is False
    with sessions.begin() as db:
        relink = roadmap.tag(db, TEAM, n, it, "U_CSM", now=NOW)
        version = db.get(RoadmapItem, it).version
    assert version == 3
    assert [(k, m) for k, m, _ in queued(sessions)] == [
        (f"roadmap:{it}:parent", "roadmap.parent.post"),
        (f"roadmap:link:{link.id}:post", "roadmap.voc.post"),
        (f"roadmap:{it}:v1", "roadmap.parent.update"),
        (f"roadmap:link:{link.id}:delete", "roadmap.voc.delete"),
        (f"roadmap:{it}:v2", "roadmap.parent.update"),
        (f"roadmap:link:{relink.id}:post", "roadmap.voc.post"),
        (f"roadmap:{it}:v3", "roadmap.parent.update"),
    ]
    assert queued(sessions, "roadmap.voc.delete")[0][2] == {"channel": CHANNEL, "ts": "1700000001.000200"}


def test_untag_before_the_post_landed_queues_no_delete(sessions):
    acme = add_customer(sessions, "Acme Corp")
    n, it = note(sessions, acme, "Need SSO"), item(sessions)
    with sessions.begin() as db:
        roadmap.tag(db, TEAM, n, it, "U_CSM", now=NOW)
        roadmap.untag(db, TEAM, n, it, now=NOW)
    assert queued(sessions, "roadmap.voc.delete") == []


def test_concurrent_tags_each_bump_the_version(sessions):
    customers = [add_customer(sessions, f"Customer {i}") for i in range(4)]
    notes = [note(sessions, c, f"ask {i}") for i, c in enumerate(customers)]
    it = item(sessions)
    barrier, errors = threading.Barrier(len(notes)), []

    def tag(voc_id):
        try:
            barrier.wait()
            with sessions.begin() as db:
                roadmap.tag(db, TEAM, voc_id, it, "U_CSM", now=NOW)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=tag, args=(n,)) for n in notes]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with sessions.begin() as db:
        assert db.get(RoadmapItem, it).version == 4
        assert len(db.exec(select(VocLink)).all()) == 4
        assert roadmap.tally(db, TEAM, it, TODAY, HealthRules()).customers == 4
    assert sorted(k for k, *_ in queued(sessions, "roadmap.parent.update")) == [
        f"roadmap:{it}:v{i}" for i in range(1, 5)
    ]


def test_tagging_across_teams_is_refused(sessions):
    other = add_customer(sessions, "Acme Corp", team="T999")
    theirs = note(sessions, other, "Need SSO", team="T999")
    mine = item(sessions)
    their_item = item(sessions, team="T999")
    acme = add_customer(sessions, "Acme Corp")
    n = note(sessions, acme, "Need SSO")
    with sessions.begin() as db:
        with pytest.raises(roadmap.RoadmapError, match="unknown_voc"):
            roadmap.tag(db, TEAM, theirs, mine, "U", now=NOW)
        with pytest.raises(roadmap.RoadmapError, match="unknown_item"):
            roadmap.tag(db, TEAM, n, their_item, "U", now=NOW)


def test_tally_counts_customers_once_and_sums_arr_per_currency(sessions):
    acme = add_customer(
        sessions,
        "Acme Corp",
        arr=Decimal("120000"),
        currency="USD",
        renewal_date=TODAY + timedelta(days=30),
        owner_user_id="U_CSM1",
    )
    globex = add_customer(
        sessions, "Globex", arr=Decimal("80000"), currency="USD", renewal_date=TODAY + timedelta(days=91)
    )
    samsung = add_customer(
        sessions, "삼성전자", arr=Decimal("150000000"), currency="KRW", renewal_date=TODAY + timedelta(days=90)
    )
    nobody = add_customer(sessions, "No ARR Inc")
    notes = [
        note(sessions, acme, "nice", importance="nice_to_have", now=NOW),
        note(sessions, acme, "blocker for us", importance="blocker", now=NOW),
        note(sessions, globex, "critical for globex", importance="critical", now=NOW),
        note(sessions, samsung, "한국어로 필요", importance="critical", now=NOW + timedelta(hours=1)),
        note(sessions, nobody, "me too", importance="important", now=NOW),
    ]
    it = item(sessions)
    with sessions.begin() as db:
        for n in notes:
            roadmap.tag(db, TEAM, n, it, "U_CSM", now=NOW)
        # health: Acme unhealthy (NPS 0 only), Globex healthy (NPS 10), Samsung at risk (NPS 5)
        for cid, nps in ((acme, 0), (globex, 10), (samsung, 5)):
            db.add(HealthSnapshot(team_id=TEAM, customer_id=cid, signal="nps", as_of=TODAY, value=nps))
    with sessions.begin() as db:
        t = roadmap.tally(db, TEAM, it, TODAY, HealthRules())
    assert (t.notes, t.customers, t.renewing, t.at_risk, t.unhealthy) == (5, 4, 2, 1, 1)
    assert t.arr == (("KRW", Decimal("150000000")), ("USD", Decimal("200000")))
    # blocker first; among the critical ones the larger ARR (₩150M > $80k as numbers) then the newer
    assert [n.quote for n in t.top] == ["blocker for us", "한국어로 필요", "critical for globex"]


def test_status_changes_and_the_ship_fan_out_happens_once(sessions):
    acme = add_customer(sessions, "Acme Corp", owner_user_id="U_CSM1", ae_user_id="U_AE1")
    beta = add_customer(sessions, "Beta", owner_user_id="U_CSM1")
    gamma = add_customer(sessions, "Gamma", ae_user_id="U_AE2")  # no owner: the AE hears it
    orphan = add_customer(sessions, "Orphan")  # nobody to tell
    it = item(sessions)
    notes = [note(sessions, c, f"ask {c}") for c in (acme, beta, gamma, orphan)]
    with sessions.begin() as db:
        for n in notes:
            roadmap.tag(db, TEAM, n, it, "U_CSM", now=NOW)
    with sessions.begin() as db:
        assert roadmap.set_status(db, TEAM, it, "in_progress", "U_PM", now=NOW) is True
        assert roadmap.set_status(db, TEAM, it, "in_progress", "U_PM", now=NOW) is False
        assert roadmap.set_status(db, TEAM, it, "shipped", "U_PM", now=NOW) is True
        assert roadmap.set_status(db, TEAM, it, "in_progress", "U_PM", now=NOW) is True
        assert roadmap.set_status(db, TEAM, it, "shipped", "U_PM", now=NOW + timedelta(days=1)) is True
        with pytest.raises(roadmap.RoadmapError, match="bad_status"):
            roadmap.set_status(db, TEAM, it, "done", "U_PM", now=NOW)
    dms = queued(sessions, "roadmap.shipped_dm")
    assert sorted(p["user_id"] for *_, p in dms) == ["U_AE2", "U_CSM1"]
    with sessions.begin() as db:
        row = db.get(RoadmapItem, it)
        assert row.status == "shipped" and row.shipped_at.replace(tzinfo=UTC) == NOW
        assert roadmap.linked_notes(db, TEAM, it, customer_owner="U_CSM1")[0].customer in ("Acme Corp", "Beta")
        assert len(roadmap.linked_notes(db, TEAM, it, customer_owner="U_CSM1")) == 2


def test_ranked_by_arr_in_the_default_currency_then_customers(sessions):
    big = add_customer(sessions, "Big", arr=Decimal("500000"), currency="USD")
    small = add_customer(sessions, "Small", arr=Decimal("1000"), currency="USD")
    small2 = add_customer(sessions, "Small Two", arr=Decimal("1000"), currency="USD")
    krw = add_customer(sessions, "원화", arr=Decimal("900000000"), currency="KRW")
    a, b, c, d = (item(sessions, t) for t in ("A", "B", "C", "D"))
    tags = [
        (note(sessions, small, "x"), a),
        (note(sessions, big, "y"), b),
        (note(sessions, big, "y2"), b),  # the same customer twice: counted once
        (note(sessions, small, "z"), c),
        (note(sessions, small2, "z2"), c),
        (note(sessions, krw, "w"), d),
    ]
    with sessions.begin() as db:
        for n, i in tags:
            roadmap.tag(db, TEAM, n, i, "U", now=NOW)
        roadmap.set_status(db, TEAM, d, "shipped", "U", now=NOW)
    with sessions.begin() as db:
        ranked = roadmap.ranked_items(db, TEAM, "USD")
        everything = roadmap.ranked_items(db, TEAM, "USD", statuses=("planned", "in_progress", "shipped"))
    assert [(r.item.title, r.customers, r.weight) for r in ranked] == [
        ("B", 1, Decimal("500000")),
        ("C", 2, Decimal("2000")),
        ("A", 1, Decimal("1000")),
    ]
    assert everything[-1].item.title == "D" and everything[-1].arr == (("KRW", Decimal("900000000")),)


def test_open_items_and_thread_lookup(sessions):
    a, b = item(sessions, "A"), item(sessions, "B")
    with sessions.begin() as db:
        db.get(RoadmapItem, a).ts = "1700000000.000001"
        roadmap.set_status(db, TEAM, b, "shipped", "U", now=NOW)
    with sessions.begin() as db:
        assert [i.title for i in roadmap.open_items(db, TEAM)] == ["A"]
        assert roadmap.item_for_thread(db, TEAM, CHANNEL, "1700000000.000001").id == a
        assert roadmap.item_for_thread(db, "T999", CHANNEL, "1700000000.000001") is None
        assert roadmap.item_for_thread(db, TEAM, CHANNEL, "1.0") is None


def test_tally_of_an_item_with_nothing_tagged(sessions):
    it = item(sessions)
    with sessions.begin() as db:
        t = roadmap.tally(db, TEAM, it, date(2026, 11, 23), HealthRules())
    assert (t.notes, t.customers, t.arr, t.renewing, t.at_risk, t.unhealthy, t.top) == (0, 0, (), 0, 0, 0, ())


def test_a_customer_tagged_after_the_ship_gets_its_owner_told_once(sessions):
    acme = add_customer(sessions, "Acme Corp", owner_user_id="U_CSM1")
    late = add_customer(sessions, "Late Co", owner_user_id="U_CSM2")
    also = add_customer(sessions, "Also Co", owner_user_id="U_CSM2")
    first, second, third = note(sessions, acme, "a"), note(sessions, late, "b"), note(sessions, also, "c")
    it = item(sessions)
    with sessions.begin() as db:
        roadmap.tag(db, TEAM, first, it, "U", now=NOW)
        roadmap.set_status(db, TEAM, it, "shipped", "U_PM", now=NOW)
    with sessions.begin() as db:
        roadmap.tag(db, TEAM, second, it, "U", now=NOW)
        roadmap.tag(db, TEAM, third, it, "U", now=NOW)  # the same owner: no second DM
    assert sorted(p["user_id"] for *_, p in queued(sessions, "roadmap.shipped_dm")) == ["U_CSM1", "U_CSM2"]


def set_fx(sessions: Sessions, value: str, team: str = TEAM) -> None:
    from bot.services import team_config

    with sessions.begin() as db:
        team_config.set_value(db, team, "fx.rates", value, now=NOW)


def test_tally_carries_the_teams_fx_rates(sessions):
    """The tally carries the team's fx.rates (none until set, and another team's never), so its message can add
    mixed-currency ARR up."""
    usd = add_customer(sessions, "Acme", arr=Decimal("240000"), currency="USD")
    krw = add_customer(sessions, "삼성전자", arr=Decimal("1200000000"), currency="KRW")
    it, notes = item(sessions), [note(sessions, cid, "SSO") for cid in (usd, krw)]
    with sessions.begin() as db:
        for n in notes:
            roadmap.tag(db, TEAM, n, it, "U", now=NOW)
    set_fx(sessions, "USD: EUR=1.08", team="T999")
    with sessions.begin() as db:
        assert roadmap.tally(db, TEAM, it, TODAY, HealthRules()).fx is None
    set_fx(sessions, "USD: KRW=0.00075")
    with sessions.begin() as db:
        t = roadmap.tally(db, TEAM, it, TODAY, HealthRules())
    assert t.fx == ("USD", (("KRW", "0.00075"),))
    assert t.arr == (("KRW", Decimal("1200000000")), ("USD", Decimal("240000")))


def test_ranked_with_fx_rates_weighs_every_currency_they_convert(sessions):
    """Without rates ₩900M weighs nothing against $500K (ranked by the default currency); with them it is $675K
    and comes first; a currency the rates lack still weighs nothing."""
    big = add_customer(sessions, "Big", arr=Decimal("500000"), currency="USD")
    krw = add_customer(sessions, "원화", arr=Decimal("900000000"), currency="KRW")
    chf = add_customer(sessions, "Zürich AG", arr=Decimal("9000000"), currency="CHF")
    a, b, c = (item(sessions, t) for t in ("USD item", "KRW item", "CHF item"))
    tags = [(note(sessions, cid, "x"), it) for cid, it in ((big, a), (krw, b), (chf, c))]
    with sessions.begin() as db:
        for n, it in tags:
            roadmap.tag(db, TEAM, n, it, "U", now=NOW)
    with sessions.begin() as db:
        before = roadmap.ranked_items(db, TEAM, "USD")
    assert [(r.item.title, r.weight, r.fx) for r in before][:1] == [("USD item", Decimal("500000"), None)]
    set_fx(sessions, "USD: KRW=0.00075, EUR=1.08")
    with sessions.begin() as db:
        after = roadmap.ranked_items(db, TEAM, "USD")
    assert [(r.item.title, r.weight) for r in after] == [
        ("KRW item", Decimal("675000.00000")),
        ("USD item", Decimal("500000")),
        ("CHF item", Decimal("0")),
    ]
    assert {r.fx for r in after} == {("USD", (("KRW", "0.00075"), ("EUR", "1.08")))}
