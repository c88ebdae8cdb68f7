"""Settings.from_env: defaults, normalisation, one-line errors naming the variable, no secrets in repr."""

import re
from pathlib import Path

import pytest
from dotenv import dotenv_values

from bot.config import WHERE, ConfigError, Settings

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "xoxb-1111-2222-abcdefSECRETTOKEN"
SIGNING = "0123456789abcdefSIGNINGSECRET"
BASE = {"SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SIGNING}


def _settings(**env: str) -> Settings:
    return Settings.from_env({**BASE, **env})


def _variables_read() -> set[str]:
    """Every variable bot/config.py reads: `get("NAME")` and `integer("NAME", ...)` calls."""
    source = (ROOT / "bot" / "config.py").read_text(encoding="utf-8")
    return set(re.findall(r"""\b(?:get|integer)\(\s*"([A-Z][A-Z0-9_]*)\"""", source))


def test_defaults():
    """With only the two Slack secrets set, every other setting takes its documented default."""
    s = Settings.from_env(dict(BASE))
    assert (s.slack_bot_token, s.slack_signing_secret) == (TOKEN, SIGNING)
    assert s.slack_app_token is None
    assert s.slack_api_url == "https://slack.com/api/"
    assert s.database_url == "sqlite:///baton.db"
    assert s.port == 3000
    assert s.handoff_channel is None
    assert (s.default_locale, s.default_currency) == ("en", "USD")
    assert (s.hubspot_client_secret, s.hubspot_access_token) == (None, None)
    assert s.hubspot_api_url == "https://api.hubapi.com"
    assert s.hubspot_closed_won_stages == frozenset({"closedwon"})
    assert (s.webhook_secret, s.public_url) == (None, None)
    assert (s.web_concurrency, s.listener_threads) == (1, 32)


def test_blank_values_count_as_unset():
    """Empty or whitespace-only values (as in a fresh .env) fall back to the defaults."""
    blank = {name: "  " for name in _variables_read() if name not in BASE}
    assert Settings.from_env({**BASE, **blank}) == Settings.from_env(dict(BASE))


@pytest.mark.parametrize(
    ("env", "attr", "expected"),
    [
        ({"SLACK_APP_TOKEN": "xapp-1-A1-abc"}, "slack_app_token", "xapp-1-A1-abc"),
        ({"SLACK_API_URL": "http://127.0.0.1:9000/api"}, "slack_api_url", "http://127.0.0.1:9000/api/"),
        ({"PORT": " 8080 "}, "port", 8080),
        ({"BATON_HANDOFF_CHANNEL": "C0123ABCD"}, "handoff_channel", "C0123ABCD"),
        ({"BATON_HANDOFF_CHANNEL": "G0PRIVATE"}, "handoff_channel", "G0PRIVATE"),
        ({"BATON_DEFAULT_LOCALE": "KO"}, "default_locale", "ko"),
        ({"BATON_DEFAULT_CURRENCY": "krw"}, "default_currency", "KRW"),
        ({"HUBSPOT_API_URL": "https://api.hubapi.com/"}, "hubspot_api_url", "https://api.hubapi.com"),
        ({"HUBSPOT_CLOSED_WON_STAGES": "closedwon, 123456 ,"}, "hubspot_closed_won_stages", {"closedwon", "123456"}),
        ({"BATON_WEBHOOK_SECRET": "x" * 16}, "webhook_secret", "x" * 16),
        ({"BATON_PUBLIC_URL": "https://baton.example.com/"}, "public_url", "https://baton.example.com"),
        ({"WEB_CONCURRENCY": "4"}, "web_concurrency", 4),
        ({"BATON_LISTENER_THREADS": "64"}, "listener_threads", 64),
        ({"HUBSPOT_CLIENT_SECRET": "hs-secret"}, "hubspot_client_secret", "hs-secret"),
        ({"HUBSPOT_ACCESS_TOKEN": "pat-na1-abc"}, "hubspot_access_token", "pat-na1-abc"),
    ],
)
def test_values_are_read_and_normalised(env, attr, expected):
    """Each setting is read from its variable, trimmed and normalised."""
    assert getattr(_settings(**env), attr) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgres://baton:pw@db.example.com:5432/baton", "postgresql+psycopg://baton:pw@db.example.com:5432/baton"),
        ("postgresql://baton@localhost/baton", "postgresql+psycopg://baton@localhost/baton"),
        ("postgresql+psycopg://baton@localhost/baton", "postgresql+psycopg://baton@localhost/baton"),
        ("sqlite:///baton.db", "sqlite:///baton.db"),
        ("sqlite:////var/lib/baton/baton.db", "sqlite:////var/lib/baton/baton.db"),
    ],
)
def test_database_url_normalised(url, expected):
    """Heroku's postgres:// and bare postgresql:// become postgresql+psycopg://; SQLite is untouched."""
    assert _settings(DATABASE_URL=url).database_url == expected


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"SLACK_BOT_TOKEN": ""}, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": "   "}, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": "xoxp-user-token"}, "SLACK_BOT_TOKEN"),
        ({"SLACK_SIGNING_SECRET": ""}, "SLACK_SIGNING_SECRET"),
        ({"SLACK_SIGNING_SECRET": "short"}, "SLACK_SIGNING_SECRET"),
        ({"SLACK_SIGNING_SECRET": "has spaces in it!"}, "SLACK_SIGNING_SECRET"),
        ({"SLACK_APP_TOKEN": "xoxb-not-an-app-token"}, "SLACK_APP_TOKEN"),
        ({"SLACK_API_URL": "slack.com/api"}, "SLACK_API_URL"),
        ({"DATABASE_URL": "mysql://root@localhost/baton"}, "DATABASE_URL"),
        ({"PORT": "http"}, "PORT"),
        ({"PORT": "0"}, "PORT"),
        ({"PORT": "65536"}, "PORT"),
        ({"PORT": "-1"}, "PORT"),
        ({"BATON_HANDOFF_CHANNEL": "#customer-success"}, "BATON_HANDOFF_CHANNEL"),
        ({"BATON_HANDOFF_CHANNEL": "U0123ABCD"}, "BATON_HANDOFF_CHANNEL"),
        ({"BATON_DEFAULT_LOCALE": "fr"}, "BATON_DEFAULT_LOCALE"),
        ({"BATON_DEFAULT_CURRENCY": "US$"}, "BATON_DEFAULT_CURRENCY"),
        ({"HUBSPOT_API_URL": "api.hubapi.com"}, "HUBSPOT_API_URL"),
        ({"HUBSPOT_CLOSED_WON_STAGES": " , ,"}, "HUBSPOT_CLOSED_WON_STAGES"),
        ({"BATON_WEBHOOK_SECRET": "too-short"}, "BATON_WEBHOOK_SECRET"),
        ({"BATON_PUBLIC_URL": "baton.example.com"}, "BATON_PUBLIC_URL"),
        ({"WEB_CONCURRENCY": "0"}, "WEB_CONCURRENCY"),
        ({"WEB_CONCURRENCY": "65"}, "WEB_CONCURRENCY"),
        ({"BATON_LISTENER_THREADS": "2"}, "BATON_LISTENER_THREADS"),
        ({"BATON_LISTENER_THREADS": "1.5"}, "BATON_LISTENER_THREADS"),
    ],
)
def test_bad_values_raise_one_line_error(env, variable):
    """A missing or malformed value raises ConfigError: one line naming the variable and where to get it."""
    with pytest.raises(ConfigError) as info:
        _settings(**env)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(variable + " ")
    assert f"(where to get it: {WHERE[variable]})" in message


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SLACK_BOT_TOKEN", "xoxp-LEAKED-user-token"),
        ("SLACK_SIGNING_SECRET", "LEAKED secret!"),
        ("SLACK_APP_TOKEN", "xoxb-LEAKED-app-token"),
        ("BATON_WEBHOOK_SECRET", "LEAKED-short"),
        ("DATABASE_URL", "mysql://root:LEAKED@localhost/baton"),
    ],
)
def test_errors_never_echo_secrets(variable, value):
    """The error for a malformed secret names the variable but does not print its value."""
    with pytest.raises(ConfigError) as info:
        _settings(**{variable: value})
    assert "LEAKED" not in str(info.value)


def test_slack_not_required_for_migrate():
    """`require_slack=False` (used by `python -m bot migrate`) needs no Slack credentials."""
    s = Settings.from_env({"DATABASE_URL": "postgres://u@h/db"}, require_slack=False)
    assert s.database_url == "postgresql+psycopg://u@h/db" and s.slack_bot_token == ""


def test_every_variable_has_a_where_hint():
    """Each variable the loader reads has its 'where to get it' text for the one-line error."""
    assert _variables_read() == set(WHERE)


def test_secrets_never_in_repr():
    """repr()/str() of fully configured settings shows no token, secret or database password."""
    secrets = {
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING,
        "SLACK_APP_TOKEN": "xapp-1-A111-SECRETAPPTOKEN",
        "HUBSPOT_CLIENT_SECRET": "SECRET-hubspot-client",
        "HUBSPOT_ACCESS_TOKEN": "pat-na1-SECRET-access",
        "BATON_WEBHOOK_SECRET": "SECRET-webhook-0123456789",
    }
    s = Settings.from_env({**secrets, "DATABASE_URL": "postgres://baton:SECRETPASSWORD@db.example.com:5432/baton"})
    for text in (repr(s), str(s), f"{s}", f"{s!r}"):
        for value in [*secrets.values(), "SECRETPASSWORD"]:
            assert value not in text
    assert "db.example.com" in repr(s)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://:SECRETPASSWORD@db.example.com/baton",
        "postgresql://baton@db.example.com/baton?password=SECRETPASSWORD",
    ],
)
def test_password_without_user_or_in_query_not_in_repr(url):
    """A password with an empty user name or in the query string is not shown by repr() either."""
    assert "SECRETPASSWORD" not in repr(_settings(DATABASE_URL=url))


def test_non_ascii_digits_raise_config_error():
    """A number with a superscript digit is a ConfigError naming PORT, not a ValueError traceback."""
    with pytest.raises(ConfigError, match=r"^PORT "):
        _settings(PORT="3²")


def _env_example() -> dict[str, str | None]:
    return dotenv_values(ROOT / ".env.example")


def test_every_variable_is_in_env_example():
    """.env.example assigns every variable Settings reads, each under a one-line comment."""
    example = _env_example()
    assert _variables_read() <= set(example)
    assert set(example) <= _variables_read(), "variables in .env.example that nothing reads"
    lines = (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        if re.match(r"[A-Z][A-Z0-9_]*=", line):
            assert i > 0 and lines[i - 1].startswith("# "), f"no comment above {line}"


def test_env_example_is_valid_once_slack_is_filled_in():
    """The example values load cleanly: only the Slack credentials (and the channel) are left to fill in."""
    example = {k: v or "" for k, v in _env_example().items()}
    s = Settings.from_env({**example, **BASE})
    assert s == Settings.from_env(dict(BASE))


def test_every_variable_is_in_readme():
    """README.md documents every variable Settings reads."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert sorted(v for v in _variables_read() if f"`{v}`" not in readme) == []
