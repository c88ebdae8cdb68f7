"""VoC capture service: validation, one note per source with every reporter, drafts, handoff requests, scoping."""

import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlmodel import select

from bot.models import Handoff, VocLink, VocNote, VocReporter
from bot.services import roadmap, voc
from tests.conftest import TEAM
from tests.services.conftest import add_customer

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def message_input(customer_id: int, quote: str = "We need SSO before rollout", **kw) -> voc.VocInput:
    return voc.VocInput(
        customer_id,
        quote,
        kw.pop("category", "feature_request"),
        kw.pop("importance", "critical"),
        source_kind="message",
        source_channel=kw.pop("channel", "C0SALES"),
        source_ts=kw.pop("ts", "1700000000.000100"),
        source_author_id="U_CUSTOMER",
        **kw,
    )


@pytest.mark.parametrize(
    "args, field, code",
    [
        ((None, "text", None, None, None), "customer", "customer_required"),
        (("abc", "text", None, None, None), "customer", "customer_required"),
        (("1", "   ", None, None, None), "quote", "quote_required"),
        (("1", "x" * (voc.MAX_QUOTE + 1), None, None, None), "quote", "quote_too_long"),
        (("1", "text", "wish", None, None), "category", "bad_category"),
        (("1", "text", None, "urgent", None), "importance", "bad_importance"),
        (("1", "text", None, None, "a" * 101), "product_area", "area_too_long"),
    ],
)
def test_validation_names_the_field_and_reason(args, field, code):
    values, errors = voc.validate(*args)
    assert values == {}
    assert errors[field][0] == code


def test_validation_cleans_and_defaults():
    values, errors = voc.validate("7", "  고객이 SSO를 원합니다  ", None, None, "  ")
    assert errors == {}
    assert values == {
        "customer_id": 7,
        "quote": "고객이 SSO를 원합니다",
        "category": "other",
        "importance": "important",
        "product_area": None,
    }


def test_the_same_message_logged_twice_is_one_note_with_both_reporters(sessions):
    acme = add_customer(sessions, "Acme Corp")
    with sessions.begin() as db:
        first = voc.log_voc(db, TEAM, message_input(acme), "U_CSM", now=NOW)
    with sessions.begin() as db:
        # the second reporter edited the quote and picked another importance: the first note stands
        second = voc.log_voc(
            db, TEAM, message_input(acme, "edited", importance="blocker"), "U_AE", now=NOW + timedelta(hours=1)
        )
    with sessions.begin() as db:
        again = voc.log_voc(db, TEAM, message_input(acme), "U_CSM", now=NOW + timedelta(hours=2))
    assert first.created and not second.created and not again.created
    assert first.note.id == second.note.id == again.note.id
    assert second.note.quote == "We need SSO before rollout" and second.note.importance == "critical"
    assert again.reporters == ("U_CSM", "U_AE")
    with sessions.begin() as db:
        assert len(db.exec(select(VocNote)).all()) == 1
        assert len(db.exec(select(VocReporter)).all()) == 2


def test_one_message_about_two_customers_is_two_notes(sessions):
    acme, globex = add_customer(sessions, "Acme Corp"), add_customer(sessions, "Globex")
    with sessions.begin() as db:
        a = voc.log_voc(db, TEAM, message_input(acme), "U_CSM", now=NOW)
        b = voc.log_voc(db, TEAM, message_input(globex), "U_CSM", now=NOW)
    assert a.created and b.created and a.note.id != b.note.id


def test_typed_text_is_the_same_note_whatever_the_spacing_and_case(sessions):
    acme = add_customer(sessions, "Acme Corp")
    with sessions.begin() as db:
        a = voc.log_voc(db, TEAM, voc.VocInput(acme, "Needs  SSO", source_kind="command"), "U_CSM", now=NOW)
        later = NOW + timedelta(minutes=1)
        b = voc.log_voc(db, TEAM, voc.VocInput(acme, "needs sso", source_kind="command"), "U_AE", now=later)
        c = voc.log_voc(db, TEAM, voc.VocInput(acme, "needs SCIM", source_kind="command"), "U_AE", now=NOW)
    assert a.note.id == b.note.id != c.note.id
    assert b.reporters == ("U_CSM", "U_AE")


def test_concurrent_logging_of_one_message_makes_one_note(sessions):
    """Two people press Log as VoC on the same message at the same moment."""
    acme = add_customer(sessions, "Acme Corp")
    barrier, results, errors = threading.Barrier(2), [], []

    def log(user):
        try:
            barrier.wait()
            with sessions.begin() as db:
                results.append(voc.log_voc(db, TEAM, message_input(acme), user, now=NOW).note.id)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=log, args=(u,)) for u in ("U_1", "U_2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(set(results)) == 1
    with sessions.begin() as db:
        assert db.exec(select(VocNote)).all()[0].id == results[0]
        assert sorted(r.user_id for r in db.exec(select(VocReporter))) == ["U_1", "U_2"]


def test_another_teams_customer_is_refused(sessions):
    other = add_customer(sessions, "Acme Corp", team="T999")
    with sessions.begin() as db, pytest.raises(voc.VocError) as err:
        voc.log_voc(db, TEAM, message_input(other), "U_CSM", now=NOW)
    assert err.value.code == "unknown_customer"
    with sessions.begin() as db:
        assert db.exec(select(VocNote)).all() == []


def test_reading_notes_is_team_scoped(sessions):
    acme = add_customer(sessions, "Acme Corp")
    other = add_customer(sessions, "Acme Corp", team="T999")
    with sessions.begin() as db:
        mine = voc.log_voc(db, TEAM, message_input(acme), "U_CSM", now=NOW).note.id
        theirs = voc.log_voc(db, "T999", message_input(other), "U_X", now=NOW).note.id
    with sessions.begin() as db:
        assert voc.get_note(db, TEAM, theirs) is None
        assert voc.get_note(db, TEAM, mine).id == mine
        assert [n.id for n in voc.notes_for_message(db, TEAM, "C0SALES", "1700000000.000100")] == [mine]
        assert [n.note.id for n in voc.latest_for_customer(db, TEAM, other)] == []


def test_latest_for_customer_newest_first_with_a_limit(sessions):
    acme = add_customer(sessions, "Acme Corp")
    with sessions.begin() as db:
        for i in range(5):
            voc.log_voc(
                db, TEAM, voc.VocInput(acme, f"request {i}", source_kind="command"), "U", now=NOW + timedelta(i)
            )
    with sessions.begin() as db:
        latest = voc.latest_for_customer(db, TEAM, acme, limit=3)
        assert [n.note.quote for n in latest] == ["request 4", "request 3", "request 2"]
        assert all(n.items == () for n in latest)
        assert voc.count_for_customer(db, TEAM, acme) == 5


@pytest.mark.parametrize(
    "text, expected",
    [
        (None, []),
        ("", []),
        ("SSO", ["SSO"]),
        ("- SSO\n- Audit log\n\n* SSO\n", ["SSO", "Audit log"]),
        ("1. 한국어 UI\n2) 감사 로그", ["한국어 UI", "감사 로그"]),
        ("• Slack alerts  \n   ", ["Slack alerts"]),
    ],
)
def test_handoff_feature_requests_split_per_line(text, expected):
    assert voc.split_requests(text) == expected


def test_handoff_feature_requests_become_notes_once(sessions):
    acme = add_customer(sessions, "Acme Corp", arr=Decimal("120000"), currency="USD")
    with sessions.begin() as db:
        h = Handoff(
            team_id=TEAM,
            customer_id=acme,
            customer_name="Acme Corp",
            status="submitted",
            feature_requests="- SSO\n- Audit log",
        )
        db.add(h)
        db.flush()
        first = voc.notes_from_handoff(db, TEAM, h, "U_AE", now=NOW)
        h.feature_requests = "- SSO\n- Audit log\n- SCIM"  # edited and submitted again
        second = voc.notes_from_handoff(db, TEAM, h, "U_AE", now=NOW)
    assert [x.created for x in first] == [True, True]
    assert [x.created for x in second] == [False, False, True]
    with sessions.begin() as db:
        notes = db.exec(select(VocNote).order_by(VocNote.id)).all()
        assert [(n.quote, n.category, n.source_kind) for n in notes] == [
            ("SSO", "feature_request", "handoff"),
            ("Audit log", "feature_request", "handoff"),
            ("SCIM", "feature_request", "handoff"),
        ]


def test_drafts_belong_to_their_user_and_expire(sessions):
    with sessions.begin() as db:
        draft = voc.create_draft(db, TEAM, "U_CSM", "  the text  ", now=NOW, channel="C1", ts="1.2", author="U_X")
        draft_id = draft.id
    with sessions.begin() as db:
        assert voc.get_draft(db, TEAM, "U_CSM", draft_id, now=NOW).quote == "the text"
        assert voc.get_draft(db, TEAM, "U_OTHER", draft_id, now=NOW) is None
        assert voc.get_draft(db, "T999", "U_CSM", draft_id, now=NOW) is None
        assert voc.get_draft(db, TEAM, "U_CSM", draft_id, now=NOW + voc.DRAFT_TTL + timedelta(seconds=1)) is None
    with sessions.begin() as db:
        assert voc.purge_drafts(db, now=NOW + timedelta(hours=1)) == 0
        assert voc.purge_drafts(db, now=NOW + timedelta(days=2)) == 1


def test_handoff_without_customer_makes_no_notes(sessions):
    with sessions.begin() as db:
        h = Handoff(team_id=TEAM, customer_name="Nobody", status="draft", feature_requests="SSO")
        db.add(h)
        db.flush()
        assert voc.notes_from_handoff(db, TEAM, h, "U_AE", now=NOW) == []


def test_quotes_keep_their_full_length_up_to_the_limit(sessions):
    acme = add_customer(sessions, "Acme Corp")
    long = "가" * voc.MAX_QUOTE
    with sessions.begin() as db:
        logged = voc.log_voc(db, TEAM, voc.VocInput(acme, long, source_kind="modal"), "U", now=NOW)
    assert len(logged.note.quote) == voc.MAX_QUOTE
    assert date(2026, 11, 23) == logged.note.created_at.date()


def test_capture_logs_the_whole_draft_and_tags_the_item(sessions):
    acme = add_customer(sessions, "Acme Corp")
    with sessions.begin() as db:
        item, _ = roadmap.create_item(db, TEAM, "SSO", "U_PM", "C0ROADMAP", now=NOW)
        draft = voc.create_draft(db, TEAM, "U_CSM", "the whole long text", now=NOW, channel="C1", ts="1.2")
        item_id, draft_id = item.id, draft.id
    with sessions.begin() as db:
        inp = voc.VocInput(acme, "the whole", source_kind="message", source_channel="C1", source_ts="1.2")
        logged = voc.capture(db, TEAM, "U_CSM", inp, now=NOW, draft_id=draft_id, item_id=item_id)
        assert (logged.note.quote, logged.created) == ("the whole long text", True)
        assert db.exec(select(VocLink).where(VocLink.voc_id == logged.note.id)).one().item_id == item_id


def test_capture_refuses_an_expired_draft_under_the_quote(sessions):
    acme = add_customer(sessions, "Acme Corp")
    with sessions.begin() as db:
        with pytest.raises(voc.VocError) as refused:
            voc.capture(db, TEAM, "U_CSM", voc.VocInput(acme, "text"), now=NOW, draft_id=999)
    assert (refused.value.code, refused.value.field) == ("draft_expired", "quote")


def test_log_draft_logs_the_picked_customer_or_nothing_once_expired(sessions):
    acme = add_customer(sessions, "Acme Corp")
    with sessions.begin() as db:
        draft_id = voc.create_draft(db, TEAM, "U_CSM", "They need SSO", now=NOW).id
    with sessions.begin() as db:
        assert voc.log_draft(db, TEAM, "U_CSM", draft_id, acme, now=NOW + voc.DRAFT_TTL * 2) is None
        logged = voc.log_draft(db, TEAM, "U_CSM", draft_id, acme, now=NOW)
        assert (logged.note.quote, logged.note.source_kind, logged.note.customer_id) == (
            "They need SSO",
            "command",
            acme,
        )


def test_tag_messages_tags_the_linked_notes_to_the_thread_item(sessions):
    acme = add_customer(sessions, "Acme Corp")
    with sessions.begin() as db:
        item, _ = roadmap.create_item(db, TEAM, "SSO", "U_PM", "C0ROADMAP", now=NOW)
        item.ts = "1700000000.000100"
        voc.log_voc(db, TEAM, message_input(acme), "U_CSM", now=NOW)
    links = [("C0SALES", "1700000000.000100"), ("C0SALES", "1700000009.000100")]
    with sessions.begin() as db:
        assert voc.tag_messages(db, TEAM, "C0ROADMAP", "1.0", links, "U_CSM", now=NOW) is None
        first = voc.tag_messages(db, TEAM, "C0ROADMAP", "1700000000.000100", links, "U_CSM", now=NOW)
        again = voc.tag_messages(db, TEAM, "C0ROADMAP", "1700000000.000100", links, "U_CSM", now=NOW)
    assert first == voc.ThreadTags("SSO", ("Acme Corp",), ())
    assert again == voc.ThreadTags("SSO", (), ("Acme Corp",))
