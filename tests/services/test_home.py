"""App Home's service: the customer sections' total ARR per currency with the team's rates; the settings an
admin's tab sums up (team values over defaults, refused values named, secrets only as set or not); and who is an
admin, from users.info through the user cache (one Slack call per person, not per redraw)."""

import dataclasses
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest
from slack_sdk import WebClient

from bot.config import Settings
from bot.models import HealthSnapshot, TeamSetting
from bot.services import home, team_config
from bot.services.health_config import HealthRules
from bot.slack_users import ROLE_RETRY, TTL, UserDirectory
from tests.conftest import TEAM
from tests.services.conftest import add_customer

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
TODAY = NOW.date()
SETTINGS = Settings(
    slack_bot_token="xoxb-secret-token-value",
    slack_signing_secret="signing-secret-value",
    handoff_channel="C0CS",
    default_currency="USD",
    hubspot_access_token="pat-na1-secret-value",
    hubspot_client_secret=None,
    webhook_secret="webhook-secret-value-0123456789",
    roadmap_channel="C0ROADMAP",
    timezone="America/New_York",
)


def unhealthy(sessions, customer_id: int, team: str = TEAM) -> None:
    with sessions.begin() as db:
        db.add(HealthSnapshot(team_id=team, customer_id=customer_id, signal="nps", as_of=TODAY, value=0, source="t"))


def set_value(sessions, key: str, value: str, team: str = TEAM) -> None:
    with sessions.begin() as db:
        team_config.set_value(db, team, key, value, now=NOW)


def book(sessions, user: str = "U_CSM"):
    with sessions.begin() as db:
        return home.book(db, TEAM, user, TODAY, HealthRules())


def test_book_adds_up_each_customer_sections_arr_per_currency_and_carries_the_rates(sessions):
    """At risk and renewals each total every one of their customers' ARR (beyond the ten rows shown), per
    currency, the most common first; customers without an ARR or a currency are left out; the team's fx.rates
    come with it (another team's never)."""
    for i in range(12):
        cid = add_customer(sessions, f"Won {i}", owner_user_id="U_CSM", arr=Decimal("100000000"), currency="KRW")
        unhealthy(sessions, cid)
    cid = add_customer(sessions, "Dollar", owner_user_id="U_CSM", arr=Decimal("240000"), currency="USD")
    unhealthy(sessions, cid)
    unhealthy(sessions, add_customer(sessions, "No ARR", owner_user_id="U_CSM"))
    add_customer(
        sessions,
        "Renewing",
        ae_user_id="U_CSM",
        arr=Decimal("80000"),
        currency="EUR",
        renewal_date=TODAY + timedelta(days=30),
    )
    add_customer(sessions, "Not mine", owner_user_id="U_OTHER", arr=Decimal("5"), currency="USD")
    set_value(sessions, "fx.rates", "USD: EUR=1.08", team="T999")
    found = book(sessions)
    assert found.total("at_risk") == 14 and len(found.at_risk) == 10
    assert found.arr["at_risk"] == {"KRW": Decimal("1200000000"), "USD": Decimal("240000")}
    assert list(found.arr["at_risk"]) == ["KRW", "USD"]  # twelve customers in won, one in dollars
    assert found.arr["renewals"] == {"EUR": Decimal("80000")}
    assert found.fx is None
    set_value(sessions, "fx.rates", "USD: KRW=0.00075")
    assert book(sessions).fx == ("USD", (("KRW", "0.00075"),))


def test_book_of_someone_without_customers_has_no_totals(sessions):
    found = book(sessions, "U_NOBODY")
    assert found.arr == {"at_risk": {}, "renewals": {}} and found.admin is None


def test_admin_settings_resolve_team_values_over_the_defaults(sessions):
    """Defaults from the environment until the team sets its own; a stored value refused now gives way to its
    default and is named."""
    with sessions.begin() as db:
        plain = home.admin_settings(db, TEAM, SETTINGS)
    assert (plain.timezone, plain.locale, plain.digest_channels, plain.digest_schedule) == (
        "America/New_York",
        "en",
        ("C0CS",),
        "0 9 * * mon",
    )
    assert (plain.renewal_days, plain.renewal_ae_days, plain.reminders_time) == ((120, 90, 60, 30), (60, 30), time(9))
    assert (plain.meeting_channel, plain.fx, plain.health_config, plain.refused) == (None, None, None, ())
    for key, value in (
        ("digest.channels", "C0LEAD, C0CS"),
        ("meeting.channel", "C0SYNC"),
        ("meeting.cadence", "monthly"),
        ("renewal.ae_days", "none"),
        ("fx.rates", "usd: krw=0.00072"),
        ("locale", "ko"),
    ):
        set_value(sessions, key, value)
    with sessions.begin() as db:
        db.add(TeamSetting(team_id=TEAM, key="digest.schedule", value="* * * * *", updated_at=NOW))  # set by hand
    with sessions.begin() as db:
        mine = home.admin_settings(db, TEAM, SETTINGS)
    assert (mine.digest_channels, mine.meeting_channel, mine.meeting_cadence) == (
        ("C0LEAD", "C0CS"),
        "C0SYNC",
        "monthly",
    )
    assert (mine.renewal_ae_days, mine.fx, mine.locale) == ((), ("USD", (("KRW", "0.00072"),)), "ko")
    assert mine.digest_schedule == "0 9 * * mon" and mine.refused == ("digest.schedule",)


def test_admin_settings_say_whether_secrets_are_set_and_never_hold_them(sessions):
    """The CRM's token and the webhook secrets are only booleans: no field of the summary holds any secret."""
    with sessions.begin() as db:
        summary = home.admin_settings(db, TEAM, SETTINGS)
    assert (summary.hubspot_token, summary.hubspot_webhooks, summary.crm_webhook) == (True, False, True)
    assert (summary.handoff_channel, summary.roadmap_channel) == ("C0CS", "C0ROADMAP")
    values = repr(dataclasses.astuple(summary))
    for secret in ("xoxb-secret", "signing-secret", "pat-na1", "webhook-secret"):
        assert secret not in values


def test_refused_fx_rates_are_not_used(sessions):
    """A stored fx.rates the check refuses now (written by hand) adds nothing up."""
    with sessions.begin() as db:
        db.add(TeamSetting(team_id=TEAM, key="fx.rates", value="USD: KRW=-1", updated_at=NOW))
    with sessions.begin() as db:
        assert team_config.fx_rates(db, TEAM) is None


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def directory(sessions, slack):
    slack.add_user("U_ADMIN", name="Admin", is_admin=True)
    slack.add_user("U_OWNER", name="Owner", is_owner=True)
    clock = Clock()
    users = UserDirectory(WebClient(token="xoxb-test", base_url=slack.url), sessions, "en", clock)
    return users, clock


def test_admins_and_owners_are_known_from_users_info(directory, slack):
    """is_admin / is_owner from users.info; anyone else, or anyone Slack cannot find, is not an admin."""
    users, _clock = directory
    assert users.is_admin(TEAM, "U_ADMIN") and users.is_admin(TEAM, "U_OWNER")
    assert not users.is_admin(TEAM, "U_CSM") and not users.is_admin(TEAM, "U_NOBODY")


def test_admin_rights_cost_one_users_info_per_person_and_twelve_hours(directory, slack):
    """The locale look-up and the admin check share one users.info; redraws ask Slack nothing more until the
    cache is twelve hours old; a failed look-up says "not an admin" and is asked again after a few minutes."""
    users, clock = directory
    assert users.locale(TEAM, "U_ADMIN") == "en"
    for _ in range(3):
        assert users.is_admin(TEAM, "U_ADMIN")
    assert len(slack.calls_to("users.info")) == 1
    clock.now += TTL
    assert users.is_admin(TEAM, "U_ADMIN") and len(slack.calls_to("users.info")) == 2
    slack.fail_next("users.info", status=500)
    assert not users.is_admin(TEAM, "U_OWNER")
    assert not users.is_admin(TEAM, "U_OWNER") and len(slack.calls_to("users.info")) == 3
    clock.now += ROLE_RETRY
    assert users.is_admin(TEAM, "U_OWNER") and len(slack.calls_to("users.info")) == 4


def test_a_process_that_finds_the_user_in_the_database_asks_slack_once(directory, sessions, slack):
    """Another process cached the user in the database (no admin column there): this one asks users.info once
    for the admin check, then answers from memory."""
    users, clock = directory
    users.locale(TEAM, "U_ADMIN")
    other = UserDirectory(users.client, sessions, "en", clock)
    assert other.locale(TEAM, "U_ADMIN") == "en" and len(slack.calls_to("users.info")) == 1  # from the table
    assert other.is_admin(TEAM, "U_ADMIN") and other.is_admin(TEAM, "U_ADMIN")
    assert len(slack.calls_to("users.info")) == 2
