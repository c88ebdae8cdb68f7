"""App Home end to end (issue 13 item 8): opening the tab publishes the person's book through the outbox; its
quick actions open the forms; a customer's card goes to the DM with Baton; Mark done keeps a promise (owner or
CSM only) and redraws the tab; handoff changes queue a debounced redraw for the people they concern."""

import json
from datetime import UTC, timedelta
from decimal import Decimal

import pytest
from sqlmodel import select

from bot.blocks import home as hb
from bot.blocks import voc as vb
from bot.blocks.handoff import HANDOFF_MODAL
from bot.models import DRAFT, SUBMITTED, Customer, Handoff, HealthSnapshot, OutboxMessage, Promise
from bot.services.home_refresh import DEBOUNCE, HomeKind
from bot.text import normalize_key
from tests import payloads as p
from tests.flows import blocks_text, card_action, last_view


def add_customer(db, name: str, team: str = "T111", **fields) -> Customer:
    c = Customer(team_id=team, name=name, name_key=normalize_key(name), **fields)
    db.add(c)
    db.flush()
    return c


@pytest.fixture
def book(baton, clock) -> dict[str, int]:
    """U_CSM owns ACME (unhealthy signals, renewing in 40 days, two promises: one overdue of U_CSM's, one of
    U_AE's) and 삼성전자 (healthy, no renewal); U_AE has a CRM draft to fill; another team's customer is U_CSM's
    too (never shown)."""
    today = clock().date()
    ids: dict[str, int] = {}
    with baton.deps.sessions.begin() as db:
        acme = add_customer(
            db,
            "ACME Corp.",
            owner_user_id="U_CSM",
            ae_user_id="U_AE",
            arr=Decimal("120000"),
            currency="USD",
            renewal_date=today + timedelta(days=40),
        )
        samsung = add_customer(db, "삼성전자", owner_user_id="U_CSM", arr=Decimal("3970000000"), currency="KRW")
        add_customer(db, "Secret Co", team="T999", owner_user_id="U_CSM", renewal_date=today + timedelta(days=3))
        h = Handoff(team_id="T111", customer_id=acme.id, status=SUBMITTED, customer_name=acme.name, ae_user_id="U_AE")
        draft = Handoff(team_id="T111", status=DRAFT, crm_deal_name="Globex rollout", ae_user_id="U_AE")
        db.add_all([h, draft])
        db.flush()
        for text, owner, due in (("SSO before launch", "U_CSM", -3), ("Roadmap review", "U_AE", 20)):
            db.add(
                Promise(
                    team_id="T111",
                    handoff_id=h.id,
                    customer_id=acme.id,
                    text=text,
                    owner_user_id=owner,
                    due_date=today + timedelta(days=due),
                )
            )
        for cid, signal, value in (
            (acme.id, "active_users", 5),
            (acme.id, "nps", 0),
            (acme.id, "license_utilisation", 5),
            (samsung.id, "active_users", 900),
            (samsung.id, "nps", 10),
            (samsung.id, "license_utilisation", 95),
        ):
            db.add(HealthSnapshot(team_id="T111", customer_id=cid, signal=signal, as_of=today, value=value, source="t"))
        ids.update(acme=acme.id, samsung=samsung.id, draft=draft.id)
    return ids


def open_home(baton, slack, user: str = "U_CSM", event_id: str = "EvHome1") -> dict:
    event = {"type": "app_home_opened", "user": user, "channel": f"D{user}", "tab": "home", "event_ts": "1.0"}
    assert baton.slack(p.event_callback(event, event_id=event_id)).status_code == 200
    baton.settle()
    view = slack.home_view(user)
    assert view is not None and view["type"] == "home"
    return view


def buttons(view: dict) -> list[dict]:
    found = [b["accessory"] for b in view["blocks"] if b.get("accessory", {}).get("type") == "button"]
    return found + [e for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]]


def test_opening_home_publishes_the_persons_book(baton, slack, book):
    """At risk by ARR, renewals in 90 days, the promises they owe, each with its actions; the empty sections are
    one line; another team's customer never appears; the help closes it."""
    text = blocks_text(open_home(baton, slack)["blocks"])
    assert "*🚨 At risk in your book* · 1" in text and "*ACME Corp.*" in text and "$120K" in text
    assert "*📅 Renewing in 90 days* · 1" in text and "renews in 40 days" in text
    assert "*🤝 Promises you owe* · 1" in text and "“SSO before launch”" in text and "3 days overdue" in text
    assert "Roadmap review" not in text  # U_AE's, not U_CSM's
    assert "no handoffs waiting" in text and "no overdue onboarding tasks" in text
    assert "Secret Co" not in text and "Baton carries each customer" in text
    kinds = {b["action_id"] for b in buttons(slack.home_view("U_CSM"))}
    assert {hb.START_HANDOFF, hb.LOG_VOC, hb.LOOKUP, hb.OPEN_CARD, hb.PROMISE_DONE} <= kinds
    [call] = slack.calls_to("views.publish")
    assert call.args["user_id"] == "U_CSM"


def test_home_in_korean_and_for_the_ae(baton, slack, book):
    """A Korean user reads it in Korean (won as 39.7억 원); the AE sees the draft waiting to be filled."""
    with baton.deps.sessions.begin() as db:
        db.get(Customer, book["samsung"]).owner_user_id = "U_KO"
        db.get(Customer, book["samsung"]).renewal_date = baton.deps.clock().date() + timedelta(days=1)
    ko = blocks_text(open_home(baton, slack, user="U_KO")["blocks"])
    assert "*📅 90일 안에 갱신* · 1곳" in ko and "39.7억 원" in ko and "내일 갱신" in ko
    ae = open_home(baton, slack, user="U_AE", event_id="EvHome2")
    assert "*Globex rollout*" in blocks_text(ae["blocks"])
    fill = [b for b in buttons(ae) if b["action_id"] == hb.FILL]
    assert [b["value"] for b in fill] == [str(book["draft"])]


def test_home_event_retries_publish_once_and_the_messages_tab_draws_nothing(baton, slack, book):
    open_home(baton, slack)
    event = {"type": "app_home_opened", "user": "U_CSM", "channel": "DU_CSM", "tab": "home", "event_ts": "1.0"}
    baton.slack(p.event_callback(event, event_id="EvHome1", retry_num=1))
    baton.slack(p.event_callback({**event, "tab": "messages"}, event_id="EvHome9"))
    baton.settle()
    assert len(slack.calls_to("views.publish")) == 1


def test_mark_done_keeps_the_promise_and_redraws_at_once(baton, slack, book):
    """Mark done by the owner: the promise is done (who, when), the tab is redrawn without it; a second click
    changes nothing; someone else's click is refused in a notice and changes nothing."""
    view = open_home(baton, slack)
    [done] = [b for b in buttons(view) if b["action_id"] == hb.PROMISE_DONE]
    req = p.block_actions(hb.PROMISE_DONE, done["value"], user_id="U_OTHER", view=view)
    assert baton.slack(req).status_code == 200
    assert "Only the promise's owner" in json.dumps(last_view(slack))
    assert {pr.status for pr in baton.all(Promise)} == {"open"}
    for _ in range(2):
        assert (
            baton.slack(p.block_actions(hb.PROMISE_DONE, done["value"], user_id="U_CSM", view=view)).status_code == 200
        )
        baton.settle()
    [kept] = baton.all(Promise, Promise.id == int(done["value"]))
    assert (kept.status, kept.done_by) == ("done", "U_CSM") and kept.done_at is not None
    text = blocks_text(slack.home_view("U_CSM")["blocks"])
    assert "SSO before launch" not in text and "no open promises" in text


def test_lookup_and_card_buttons_send_the_card_to_the_dm(baton, slack, book):
    """A customer picked in Look up a customer (or a row's Card) arrives as the card in the DM with Baton."""
    view = open_home(baton, slack)
    picked = {
        "type": "external_select",
        "selected_option": {"value": str(book["acme"]), "text": {"type": "plain_text", "text": "ACME"}},
    }
    req = p.block_actions(hb.LOOKUP, user_id="U_CSM", view=view, action=picked)
    assert baton.slack(req).status_code == 200
    [card] = slack.messages("DU_CSM")
    assert "ACME Corp." in blocks_text(card["blocks"])
    options = baton.slack(p.block_suggestion(hb.LOOKUP, "acme", user_id="U_CSM", block_id=hb.ACTIONS_BLOCK))
    assert [o["text"]["text"] for o in json.loads(options.text)["options"]] == ["ACME Corp."]


def test_quick_actions_open_the_forms(baton, slack, book):
    view = open_home(baton, slack)
    baton.slack(p.block_actions(hb.START_HANDOFF, "new", user_id="U_AE", view=view))
    assert last_view(slack)["callback_id"] == HANDOFF_MODAL
    baton.slack(p.block_actions(hb.LOG_VOC, "new", user_id="U_CSM", view=view))
    assert last_view(slack)["callback_id"] == vb.LOG_MODAL


def test_handoff_changes_queue_one_debounced_redraw_per_person(baton, slack, book, clock):
    """Accepting a handoff queues a Home redraw for the accepter and the AE, due when the window ends (several
    changes in one window are one redraw), then drawn from the data as it is."""
    [h] = baton.all(Handoff, Handoff.status == SUBMITTED)
    with baton.deps.sessions.begin() as db:
        db.get(Handoff, h.id).card_channel, db.get(Handoff, h.id).card_ts = "C0CS", "1700000000.000100"
    card_action(baton, slack, "handoff_accept", h.id, "U_CSM2", "C0CS", "1700000000.000100")
    rows = [o for o in baton.all(OutboxMessage) if o.method == HomeKind.PUBLISH]
    assert sorted(json.loads(o.payload)["user"] for o in rows) == ["U_AE", "U_CSM2"]
    due = {
        o.next_attempt_at.replace(tzinfo=UTC) if o.next_attempt_at.tzinfo is None else o.next_attempt_at for o in rows
    }
    assert len(due) == 1 and clock() < due.pop() <= clock() + timedelta(seconds=DEBOUNCE)
    baton.settle()
    assert slack.calls_to("views.publish") == []  # not before the window ends
    clock.advance(seconds=DEBOUNCE)
    baton.settle()
    assert sorted(c.args["user_id"] for c in slack.calls_to("views.publish")) == ["U_AE", "U_CSM2"]
    assert "*ACME Corp.*" in blocks_text(slack.home_view("U_CSM2")["blocks"])  # now the CSM's customer


def add_at_risk(baton, today, name: str, owner: str, arr: str, currency: str) -> int:
    """A customer of `owner`'s with signals that make it Unhealthy."""
    with baton.deps.sessions.begin() as db:
        c = add_customer(db, name, owner_user_id=owner, arr=Decimal(arr), currency=currency)
        for signal, value in (("active_users", 5), ("nps", 0), ("license_utilisation", 5)):
            db.add(
                HealthSnapshot(team_id="T111", customer_id=c.id, signal=signal, as_of=today, value=value, source="t")
            )
        return c.id


def set_fx(baton, value: str | None) -> None:
    """What `python -m bot config set fx.rates VALUE` (or `unset`) stores."""
    from bot.services import team_config

    with baton.deps.sessions.begin() as db:
        if value is None:
            team_config.unset(db, "T111", "fx.rates")
        else:
            team_config.set_value(db, "T111", "fx.rates", value, now=baton.deps.clock(), by="cli")


def headings(view: dict) -> list[str]:
    return [b["text"]["text"].replace("\u200b", "") for b in view["blocks"] if b["type"] == "section"]


def test_at_risk_arr_is_one_total_with_the_teams_rates(baton, slack, book, clock):
    """The at-risk heading totals its customers' ARR: listed per currency without rates, one total once
    fx.rates is set (the next redraw), in English and in Korean."""
    add_at_risk(baton, clock().date(), "Hanbit Logistics", "U_CSM", "1200000000", "KRW")
    assert "*🚨 At risk in your book* · 2 · ARR ₩1.2B · $120K" in headings(open_home(baton, slack))
    set_fx(baton, "USD: KRW=0.00075, EUR=1.08")
    view = open_home(baton, slack, event_id="EvHome2")
    assert "*🚨 At risk in your book* · 2 · ARR ≈ $1M (₩1.2B + $120K)" in headings(view)
    assert "*📅 Renewing in 90 days* · 1 · ARR $120K" in headings(view)  # one currency: as it is
    with baton.deps.sessions.begin() as db:
        for customer in db.exec(select(Customer).where(Customer.owner_user_id == "U_CSM")):
            customer.owner_user_id = "U_KO"
    assert "*🚨 담당 고객 중 위험* · 2곳 · ARR ≈ $1M (12억 원 + $120K)" in headings(
        open_home(baton, slack, user="U_KO", event_id="EvHome3")
    )
    set_fx(baton, None)
    assert "*🚨 담당 고객 중 위험* · 2곳 · ARR 12억 원 · $120K" in headings(
        open_home(baton, slack, user="U_KO", event_id="EvHome4")
    )


def settings_section(view: dict) -> str | None:
    found = [h for h in headings(view) if "⚙️" in h]
    assert len(found) <= 1
    return found[0] if found else None


def test_admins_see_the_settings_summary_and_nobody_else_does(baton, slack, book, settings):
    """A workspace admin's tab ends with Baton's settings (each with the key that changes it, secrets only as
    set) and how to change them; a member's has none; an owner counts as an admin."""
    slack.add_user("U_CSM", email="csm@example.com", name="Casey Success", is_admin=True)
    slack.add_user("U_BOSS", name="Boss", is_owner=True)
    view = open_home(baton, slack)
    summary = settings_section(view)
    assert summary is not None
    assert "• *Handoff channel:* <#C0HANDOFF> · `BATON_HANDOFF_CHANNEL`" in summary
    assert "• *Weekly digest:* <#C0HANDOFF> · every Monday, 9:00 AM" in summary
    assert "• *Cross-team meeting:* not set (no meeting channel, no reminder)" in summary
    assert "• *Exchange rates:* not set" in summary and "• *Roadmap channel:* not set" in summary
    assert "HubSpot token set · HubSpot webhook secret set · other CRMs' webhook secret set" in summary
    assert "`python -m bot config set KEY VALUE`" in blocks_text(view["blocks"])
    published = json.dumps(slack.calls_to("views.publish")[-1].args)
    for secret in (settings.hubspot_access_token, settings.hubspot_client_secret, settings.webhook_secret):
        assert secret not in published
    assert settings.slack_signing_secret not in published and settings.slack_bot_token not in published
    assert settings_section(open_home(baton, slack, user="U_BOSS", event_id="EvHome2")) is not None
    assert settings_section(open_home(baton, slack, user="U_AE", event_id="EvHome3")) is None


def test_korean_admin_reads_the_summary_in_korean_with_the_teams_values(baton, slack, book):
    """Team settings set with `config set` show at the next redraw, in the admin's language."""
    slack.add_user("U_KO", email="minsu@example.co.kr", name="김민수", locale="ko-KR", tz="Asia/Seoul", is_admin=True)
    from bot.services import team_config

    with baton.deps.sessions.begin() as db:
        for key, value in (("meeting.channel", "C0SYNC"), ("timezone", "Asia/Seoul"), ("renewal.days", "90,30")):
            team_config.set_value(db, "T111", key, value, now=baton.deps.clock(), by="cli")
    set_fx(baton, "USD: KRW=0.00072")
    summary = settings_section(open_home(baton, slack, user="U_KO"))
    assert summary is not None and summary.startswith("*⚙️ Baton 설정*")
    assert "• *협업 회의:* 격주 목요일 오후 3:00 · 알림 채널 <#C0SYNC>" in summary
    assert "• *갱신 알림:* 갱신 D-90, D-30 (AE에게도 D-60, D-30), 오전 9:00" in summary
    assert "• *시간대와 언어:* Asia/Seoul · 채널 게시물은 영어" in summary
    assert "• *환율:* `USD: KRW=0.00072` · 여러 통화의 ARR을 USD로 합산" in summary


def test_the_admin_check_costs_no_slack_call_per_redraw(baton, slack, book):
    """Redraws of an admin's tab ask users.info once (shared with the locale look-up), not once per redraw."""
    slack.add_user("U_CSM", email="csm@example.com", name="Casey Success", is_admin=True)
    for i in range(3):
        assert settings_section(open_home(baton, slack, event_id=f"EvHomeA{i}")) is not None
    assert len([c for c in slack.calls_to("users.info") if c.args.get("user") == "U_CSM"]) == 1


def kpi_section(view: dict) -> str | None:
    found = [h for h in headings(view) if "📊" in h]
    assert len(found) <= 1
    return found[0] if found else None


def test_leads_and_admins_see_last_months_kpis_and_members_do_not(baton, slack, book, clock):
    """Last month's KPIs from the ledger (per currency, change in points, NPS, where /kpi is) for a lead named
    in kpi.leads and for a workspace admin, in their language; a member's tab has none."""
    from bot.services import kpi, ledger, team_config

    today = clock().date()
    month = kpi.last_month(today)
    with baton.deps.sessions.begin() as db:
        for ref, kind, amount, on in (
            ("a", "new", Decimal(100_000), month.start - timedelta(days=60)),
            ("b", "expansion", Decimal(20_000), month.start + timedelta(days=3)),
        ):
            ledger.record(db, "T111", book["acme"], kind, amount, "USD", on, source="api", ref=ref, by="test",
                          now=clock())  # fmt: skip
        team_config.set_value(db, "T111", "kpi.leads", "U0LEAD, U0KOLEAD", now=clock(), by="cli")
    slack.add_user("U_BOSS", name="Boss", is_admin=True)
    slack.add_user("U0LEAD", name="Lee Lead")
    slack.add_user("U0KOLEAD", name="이수진", locale="ko-KR", tz="Asia/Seoul")
    lead = kpi_section(open_home(baton, slack, user="U0LEAD"))
    assert lead is not None and lead.startswith("*📊 KPIs · ")
    assert (
        "*USD* · Logo retention 100.0% (+0.0 pts) · GRR 100.0% (+0.0 pts) · NRR 120.0% (+20.0 pts) · "
        "Expansion 20.0% (+20.0 pts)"
    ) in lead
    assert "`/kpi` for each definition" in lead
    assert kpi_section(open_home(baton, slack, user="U_BOSS", event_id="EvHome2")) == lead
    ko = kpi_section(open_home(baton, slack, user="U0KOLEAD", event_id="EvHome3"))
    assert ko is not None and ko.startswith("*📊 KPI · ") and "고객 유지율 100.0% (+0.0%p)" in ko
    assert kpi_section(open_home(baton, slack, user="U_CSM", event_id="EvHome4")) is None
