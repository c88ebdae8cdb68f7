"""The App Home builder within Slack's limits under worst-case data (every section full, huge mixed-currency ARR,
an admin's settings at their longest), in English and Korean; the customer sections' ARR totals with and
without the team's rates; the admins' settings summary, which names how to change each and never a secret."""

import json
from dataclasses import replace
from datetime import date, time
from decimal import Decimal

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.blocks import home as hb
from bot.viewdata import home as vh

LOCALES = ("en", "ko")
TODAY = date(2026, 12, 4)
NAME = ("주식회사 아주 긴 이름의 고객사 <!channel> " * 20)[:255]
FX = ("USD", (("KRW", "0.00075"), ("EUR", "1.08")))
MIXED = {"USD": Decimal("240000"), "KRW": Decimal("1200000000")}


def check_blocks(blocks: list[dict], limit: int = hb.MAX_VIEW_BLOCKS) -> str:
    """Every block parses and validates with slack_sdk, and the limits it does not check hold: sections 3,000
    characters, buttons 75 and their values 2,000, block ids unique. Returns all the text, for assertions."""
    assert 0 < len(blocks) <= limit
    block_ids = [b["block_id"] for b in blocks if "block_id" in b]
    assert len(block_ids) == len(set(block_ids))
    for raw in blocks:
        parsed = Block.parse(raw)
        assert parsed is not None and type(parsed) is not Block, raw
        parsed.validate_json()
        if raw["type"] == "section":
            assert len(raw["text"]["text"]) <= 3000
            accessory = raw.get("accessory") or {}
            assert len(accessory.get("text", {}).get("text", "")) <= 75 and len(accessory.get("value", "")) <= 2000
        elif raw["type"] == "context":
            assert all(len(e["text"]) <= 3000 for e in raw["elements"])
    return json.dumps(blocks, ensure_ascii=False)


def customer(i: int, currency: str = "KRW") -> vh.BookCustomer:
    return vh.BookCustomer(i, f"{i} {NAME}", "unhealthy", 12.5, Decimal("999999999999999.99"), currency, TODAY, 89)


def admin(**changes) -> vh.AdminSettings:
    fields = {
        "timezone": "Asia/Seoul",
        "locale": "ko",
        "handoff_channel": "C0CS",
        "digest_channels": ("C0CS", "C0LEAD"),
        "digest_schedule": "0 9 * * mon",
        "reminders_time": time(9, 0),
        "renewal_days": (120, 90, 60, 30),
        "renewal_ae_days": (60, 30),
        "meeting_channel": "C0SYNC",
        "meeting_cadence": "biweekly",
        "meeting_day": "thu",
        "meeting_time": time(15, 0),
        "fx": ("USD", (("KRW", "0.00072"), ("EUR", "1.08"))),
        "hubspot_token": True,
        "hubspot_webhooks": True,
        "crm_webhook": False,
        "health_config": "/etc/baton/health.toml",
        "roadmap_channel": None,
    }
    return vh.AdminSettings(**{**fields, **changes})


def worst_home(fx=FX) -> vh.Home:
    """Every section full (ten rows, thousands more counted), the longest names, 60 currencies of huge ARR, and an
    admin whose digest goes to 500 channels, with a long health file path and every key refused."""
    currencies = {f"X{chr(65 + i // 26)}{chr(65 + i % 26)}": Decimal("999999999999999.99") for i in range(60)}
    rows = [customer(i, ("KRW", "USD", "EUR")[i % 3]) for i in range(vh.MAX_ROWS)]
    long_admin = admin(
        digest_channels=tuple(f"C{i:09d}" for i in range(500)),
        digest_schedule="0 9 1-7 * mon",
        renewal_days=tuple(range(730, 0, -1)),
        renewal_ae_days=tuple(range(730, 0, -1)),
        fx=("USD", tuple((code, "123456.789") for code in currencies)),
        health_config="/" + "아주/긴/경로/" * 100 + "health.toml",
        refused=tuple(f"key.{i}" for i in range(200)),
    )
    return vh.Home(
        user_id="U_CSM",
        today=TODAY,
        at_risk=tuple(rows),
        renewals=tuple(rows),
        promises=tuple(vh.OpenPromise(i, NAME, "약속 " * 2000, TODAY, 999) for i in range(vh.MAX_ROWS)),
        handoffs=tuple(vh.WaitingHandoff(i, NAME, "fill", TODAY, None) for i in range(vh.MAX_ROWS)),
        tasks=tuple(vh.Task(NAME, "마일스톤 " * 500, TODAY, 999) for _ in range(vh.MAX_ROWS)),
        totals=dict.fromkeys(("at_risk", "renewals", "promises", "handoffs", "tasks"), 9999),
        arr={"at_risk": {**MIXED, **currencies}, "renewals": {**MIXED, **currencies}},
        fx=fx,
        admin=long_admin,
    )


def view_of(home: vh.Home, locale: str) -> dict:
    view = home_view = hb.home_view(home, locale)
    assert isinstance(home_view, View)
    view.validate_json()
    return json.loads(json.dumps(view.to_dict()))


@pytest.mark.parametrize("fx", [FX, None])
@pytest.mark.parametrize("locale", LOCALES)
def test_worst_case_home_fits_with_the_settings_and_the_help(locale, fx):
    """Full sections, huge mixed ARR and the longest settings stay within 100 blocks and 3,000 characters a
    section, and nothing is cut off the end: the settings summary and the help are still there."""
    raw = view_of(worst_home(fx), locale)["blocks"]
    assert len(raw) < hb.MAX_VIEW_BLOCKS
    text = check_blocks(raw, limit=hb.MAX_VIEW_BLOCKS)
    assert "<!channel>" not in text
    heads = [b["text"]["text"] for b in raw if b["type"] == "section" and "ARR" in b["text"]["text"][:200]]
    assert len(heads) == 2 and all(h.count("ARR") == 1 for h in heads)
    assert ("≈ " in heads[0]) is False  # 60 currencies without rates: listed, never a total of some of them
    settings = [b for b in raw if b["type"] == "section" and "⚙️" in b["text"]["text"]]
    assert len(settings) == 1 and "`digest.channels`" in settings[0]["text"]["text"]
    assert "`BATON_ROADMAP_CHANNEL`" in settings[0]["text"]["text"]  # the last setting line is not cut
    assert raw[-1]["type"] == "section" and "Baton" in raw[-1]["text"]["text"]  # the help closes it


@pytest.mark.parametrize(
    ("arr", "fx", "locale", "expected"),
    [
        (MIXED, FX, "en", "*🚨 At risk in your book* · 1 · ARR ≈ $1.1M ($240K + ₩1.2B)"),
        (MIXED, FX, "ko", "*🚨 담당 고객 중 위험* · 1곳 · ARR ≈ $1.1M ($240K + 12억 원)"),
        (MIXED, None, "en", "*🚨 At risk in your book* · 1 · ARR $240K · ₩1.2B"),
        (MIXED, None, "ko", "*🚨 담당 고객 중 위험* · 1곳 · ARR $240K · 12억 원"),
        ({**MIXED, "CHF": Decimal("5000")}, FX, "en", "*🚨 At risk in your book* · 1 · ARR $240K · ₩1.2B · 5K CHF"),
        ({"KRW": Decimal("1200000000")}, FX, "ko", "*🚨 담당 고객 중 위험* · 1곳 · ARR 12억 원"),
        ({}, FX, "en", "*🚨 At risk in your book* · 1"),  # nobody with an ARR: no total
    ],
)
def test_customer_sections_show_their_total_arr(arr, fx, locale, expected):
    """The at-risk (and renewals) heading adds up its customers' ARR: one total with the team's rates for every
    currency, the digest's way; listed without them or for a currency they lack."""
    home = vh.Home(user_id="U", today=TODAY, at_risk=(customer(1),), arr={"at_risk": arr}, fx=fx)
    heads = [b["text"]["text"] for b in view_of(home, locale)["blocks"] if b["type"] == "section"]
    assert heads[0].replace("\u200b", "") == expected


def test_renewals_heading_has_its_own_total():
    home = vh.Home(
        user_id="U",
        today=TODAY,
        renewals=(customer(1),),
        arr={"at_risk": MIXED, "renewals": {"USD": Decimal("80000")}},
        fx=FX,
    )
    heads = [b["text"]["text"].replace("\u200b", "") for b in view_of(home, "en")["blocks"] if b["type"] == "section"]
    assert heads[0] == "*📅 Renewing in 90 days* · 1 · ARR $80K"


def _settings_text(a: vh.AdminSettings, locale: str) -> str:
    raw = json.loads(json.dumps([b.to_dict() for b in hb.admin_blocks(a, locale)]))
    check_blocks(raw)
    return "\n".join(b["text"]["text"] if "text" in b else b["elements"][0]["text"] for b in raw).replace("\u200b", "")


def test_settings_summary_in_english():
    """Each setting readable, with the key (or variable) that changes it; how to change them closes it."""
    text = _settings_text(admin(), "en")
    for line in (
        "• *Handoff channel:* <#C0CS> · `BATON_HANDOFF_CHANNEL`",
        "• *Weekly digest:* <#C0CS>, <#C0LEAD> · every Monday, 9:00 AM · `digest.channels` `digest.schedule`",
        "• *Renewal ladder:* 120, 90, 60, 30 days before the renewal date, the AE too at 60, 30, at 9:00 AM",
        "• *Cross-team meeting:* every other Thursday, 3:00 PM · reminder in <#C0SYNC> · `meeting.channel`",
        "• *Time zone and language:* Asia/Seoul · channel posts in Korean · `timezone` `locale`",
        "• *Exchange rates:* `USD: KRW=0.00072, EUR=1.08` · ARR in several currencies adds up in USD · `fx.rates`",
        "• *CRM:* HubSpot token set · HubSpot webhook secret set · other CRMs' webhook secret not set",
        "• *Health score settings:* `/etc/baton/health.toml` · `BATON_HEALTH_CONFIG`",
        "• *Roadmap channel:* not set · `BATON_ROADMAP_CHANNEL`",
        "`python -m bot config set KEY VALUE`",
    ):
        assert line in text


def test_settings_summary_in_korean():
    """Korean follows the glossary: renewals as D-n, never "n일 전"."""
    text = _settings_text(admin(meeting_cadence="monthly", locale="en"), "ko")
    for line in (
        "• *인계 채널:* <#C0CS>",
        "• *주간 다이제스트:* <#C0CS>, <#C0LEAD> · 매주 월요일 오전 9:00",
        "• *갱신 알림:* 갱신 D-120, D-90, D-60, D-30 (AE에게도 D-60, D-30), 오전 9:00",
        "• *협업 회의:* 매월 첫째 목요일 오후 3:00 · 알림 채널 <#C0SYNC>",
        "• *시간대와 언어:* Asia/Seoul · 채널 게시물은 영어",
        "• *환율:* `USD: KRW=0.00072, EUR=1.08` · 여러 통화의 ARR을 USD로 합산",
        "• *CRM:* HubSpot 토큰 설정됨 · HubSpot 웹훅 시크릿 설정됨 · 다른 CRM 웹훅 시크릿 설정 안 됨",
        "• *로드맵 채널:* 설정 안 됨",
        "`python -m bot config set KEY VALUE`",
    ):
        assert line in text
    assert "일 전" not in text


@pytest.mark.parametrize("locale", LOCALES)
def test_unset_settings_say_so(locale):
    """Nothing set: each says "not set" (or the built-in defaults), nothing is invented."""
    bare = admin(
        handoff_channel=None,
        digest_channels=(),
        meeting_channel=None,
        fx=None,
        hubspot_token=False,
        hubspot_webhooks=False,
        health_config=None,
        renewal_ae_days=(),
    )
    text = _settings_text(bare, locale)
    unset = {"en": "not set", "ko": "설정 안 됨"}[locale]
    assert text.count(unset) >= 8
    assert ("Baton's built-in defaults" if locale == "en" else "Baton 기본값") in text
    assert "<#" not in text and "AE" not in text


@pytest.mark.parametrize(
    ("cron", "expected"),
    [
        ("0 9 * * mon", "every Monday, 9:00 AM"),
        ("30 17 * * 5", "every Friday, 5:30 PM"),
        ("0 8 * * 0", "every Sunday, 8:00 AM"),
        ("0 9 1-7 * mon", "`0 9 1-7 * mon` (crontab)"),  # the first Monday of each month: shown as it is
        ("0 9 * * mon-fri", "`0 9 * * mon-fri` (crontab)"),
    ],
)
def test_digest_schedule_reads_as_a_day_and_time_when_it_can(cron, expected):
    assert expected in _settings_text(admin(digest_schedule=cron), "en")


def test_no_summary_without_admin_settings():
    """A Home without admin settings (everyone but admins and owners) has no settings section."""
    home = vh.Home(user_id="U", today=TODAY)
    text = json.dumps(view_of(home, "en"), ensure_ascii=False)
    assert "⚙️" not in text and "config set" not in text
    assert "⚙️" in json.dumps(view_of(replace(home, admin=admin()), "en"), ensure_ascii=False)


@pytest.mark.parametrize("locale", ["en", "ko"])
def test_the_kpi_summary_for_leads_stays_within_a_section(locale):
    """Sixty currencies of KPIs, a hostile segment: one section within 3,000 characters, the first five currencies
    listed and the rest counted, NPS and where /kpi is."""
    import dataclasses as dc

    from bot.blocks.kpi import SUMMARY_CURRENCIES, kpi_summary
    from tests.blocks.test_escaping import KPI_REPORT

    one = next(iter(KPI_REPORT.current.currencies.values()))
    many = {f"C{i:02d}"[:3].upper(): dc.replace(one, currency=f"C{i:02d}"[:3].upper()) for i in range(60)}
    report = dc.replace(KPI_REPORT, current=dc.replace(KPI_REPORT.current, currencies=many))
    text = kpi_summary(report, locale)
    assert len(text) <= 3000
    assert text.count("*C") == SUMMARY_CURRENCIES == 5
    assert ("and 55 more" if locale == "en" else "55") in text and "NPS" in text and "/kpi" in text
