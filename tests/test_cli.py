"""`python -m bot import ...` and `python -m bot tokens ...` run in-process: exit codes, reports, what is stored."""

import io
import re
import textwrap
from pathlib import Path

import pytest
from sqlmodel import select

from bot.__main__ import main
from bot.cli import ProgressLine
from bot.db import Sessions, make_engine
from bot.models import ApiToken, Customer, HealthSnapshot
from bot.services import tokens
from tests.conftest import TEAM


@pytest.fixture
def env(monkeypatch, settings):
    """The process environment `python -m bot` would see, pointing at the test database and the fake Slack."""
    for name in ("SLACK_APP_TOKEN", "BATON_DEFAULT_CURRENCY", "HUBSPOT_CLIENT_SECRET", "HUBSPOT_ACCESS_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SLACK_BOT_TOKEN", settings.slack_bot_token)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", settings.slack_signing_secret)
    monkeypatch.setenv("SLACK_API_URL", settings.slack_api_url)
    return settings


@pytest.fixture
def sessions(database_url):
    engine = make_engine(database_url)
    yield Sessions(engine)
    engine.dispose()


def write(tmp_path: Path, text: str, name: str = "in.csv") -> str:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return str(path)


def rows(sessions: Sessions, model) -> list:
    with sessions.begin() as db:
        return list(db.exec(select(model)))


CUSTOMERS = """
    external_id,name,domain,arr,owner_email,ae_email,stage
    crm-1,Acme Corp,acme.com,"$120,000",csm@example.com,ae@example.com,adoption
    crm-2,Globex,globex.io,50000,new.hire@example.com,,onboarding
"""


def test_import_customers_resolves_owners_and_prints_a_summary(env, sessions, slack, tmp_path, capsys):
    """Exit 0, a summary line on stdout, owners resolved through users.lookupByEmail, unknown emails warned."""
    code = main(["import", "customers", write(tmp_path, CUSTOMERS), "--team", TEAM])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert re.match(r"customers: inserted 2, updated 0, unchanged 0, skipped 0 \(2 rows in ", out)
    assert "line 3: warning: owner_email: no Slack user with email new.hire@example.com (email kept)" in err
    by_name = {c.name: c for c in rows(sessions, Customer)}
    assert (by_name["Acme Corp"].owner_user_id, by_name["Acme Corp"].ae_user_id) == ("U_CSM", "U_AE")
    assert (by_name["Globex"].owner_user_id, by_name["Globex"].owner_email) == (None, "new.hire@example.com")
    assert len(slack.calls_to("users.lookupByEmail")) == 3


def test_import_customers_again_reports_unchanged(env, sessions, tmp_path, capsys):
    """Re-running the same file changes nothing and says so."""
    path = write(tmp_path, CUSTOMERS)
    assert main(["import", "customers", path, "--team", TEAM]) == 0
    assert main(["import", "customers", path, "--team", TEAM]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1].startswith("customers: inserted 0, updated 0, unchanged 2, skipped 0")


def test_team_defaults_to_the_installed_workspace(env, sessions, slack, tmp_path, capsys):
    """Without --team the team comes from auth.test."""
    assert main(["import", "customers", write(tmp_path, CUSTOMERS)]) == 0
    assert slack.calls_to("auth.test")
    assert {c.team_id for c in rows(sessions, Customer)} == {TEAM}


def test_invalid_rows_exit_1_and_write_nothing(env, sessions, tmp_path, capsys):
    """A file with bad rows is refused: exit 1, each bad line with its reason on stderr, nothing stored."""
    csv = """
        name,arr,contract_start,renewal_date
        Acme,100,2026-01-01,2027-01-01
        Globex,lots,2026-01-01,2027-01-01
        Initech,100,2026-06-01,2026-01-01
    """
    code = main(["import", "customers", write(tmp_path, csv), "--team", TEAM])
    out, err = capsys.readouterr()
    assert code == 1 and out == ""
    assert "line 3: bad amount 'lots' (invalid)" in err
    assert "line 4: renewal_date 2026-01-01 is before contract_start 2026-06-01" in err
    assert "rejected: 2 invalid row(s), nothing imported" in err
    assert rows(sessions, Customer) == []


def test_skip_invalid_exits_0_and_lists_the_skipped_rows(env, sessions, tmp_path, capsys):
    """--skip-invalid imports the good rows, reports the others and exits 0."""
    csv = "name,stage\nAcme,adoption\nGlobex,sleeping\n"
    code = main(["import", "customers", write(tmp_path, csv), "--team", TEAM, "--skip-invalid"])
    out, err = capsys.readouterr()
    assert code == 0
    assert "line 3: unknown stage 'sleeping'" in err
    assert out.startswith("customers: inserted 1, updated 0, unchanged 0, skipped 1")
    assert [c.name for c in rows(sessions, Customer)] == ["Acme"]


def test_import_health_long_then_again(env, sessions, tmp_path, capsys):
    """import health stores the snapshots; the same file again is all unchanged; no progress noise off a TTY."""
    with sessions.begin() as db:
        db.add(Customer(team_id=TEAM, name="Acme", name_key="acme", external_id="crm-1"))
    path = write(
        tmp_path, "customer,date,signal,value,source\ncrm-1,2026-11-20,nps,9,delighted\nacme,2026-11-20,csat,4,\n"
    )
    assert main(["import", "health", path, "--team", TEAM]) == 0
    assert main(["import", "health", path, "--team", TEAM]) == 0
    out, err = capsys.readouterr()
    first, second = [line for line in out.splitlines() if line.startswith("health snapshots")]
    assert "merged in" in out and "health of 1 customer refreshed" in out  # the phases' times
    assert first.startswith("health snapshots: inserted 2, updated 0, unchanged 0, skipped 0 (2 rows in ")
    assert second.startswith("health snapshots: inserted 0, updated 0, unchanged 2, skipped 0")
    assert "\r" not in err and "rows/s" not in err
    assert sorted((s.signal, s.source) for s in rows(sessions, HealthSnapshot)) == [
        ("csat", "csv"),
        ("nps", "delighted"),
    ]


def test_import_health_wide_with_source(env, sessions, tmp_path, capsys):
    """The wide format takes its source from --source."""
    with sessions.begin() as db:
        db.add(Customer(team_id=TEAM, name="Acme", name_key="acme", domain="acme.com"))
    path = write(tmp_path, "customer,date,nps,open_tickets\nacme.com,2026-11-20,9,\n")
    assert main(["import", "health", path, "--team", TEAM, "--source", "gainsight"]) == 0
    assert [(s.signal, s.value, s.source) for s in rows(sessions, HealthSnapshot)] == [("nps", 9.0, "gainsight")]


def test_import_health_bad_rows_exit_1(env, sessions, tmp_path, capsys):
    """Unknown customers and out-of-range values are reported by line; exit 1; nothing stored."""
    path = write(tmp_path, "customer,date,signal,value\nnobody,2026-11-20,nps,9\n")
    assert main(["import", "health", path, "--team", TEAM]) == 1
    err = capsys.readouterr().err
    assert "line 2: unknown customer 'nobody'" in err and "nothing imported" in err
    assert rows(sessions, HealthSnapshot) == []


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["import", "health", "{missing}", "--team", TEAM], 1, "cannot open"),
        (["import", "health", "{header}", "--team", TEAM], 1, "line 1: missing column 'date'"),
        (["import", "customers", "{header}", "--team", TEAM], 1, "line 1: missing column 'name'"),
        (["import", "health", "{header}", "--team", "not a team"], 2, "--team must be a Slack team id"),
        (["import", "health", "{header}", "--team", TEAM, "--source", "x" * 40], 2, "--source must be"),
        (["tokens", "revoke", "baton_nothing", "--team", TEAM], 1, "no token 'baton_nothing'"),
    ],
)
def test_command_errors(env, tmp_path, capsys, args, code, message):
    """File, header and argument problems give a one-line reason and exit 1 (input) or 2 (usage)."""
    header = write(tmp_path, "customer,signal,value\n", "header.csv")
    missing = str(tmp_path / "missing.csv")
    argv = [a.format(missing=missing, header=header) for a in args]
    assert main(argv) == code
    assert message in capsys.readouterr().err


def test_team_needed_without_a_slack_token(env, monkeypatch, tmp_path, capsys):
    """Without SLACK_BOT_TOKEN the team cannot be asked from Slack: exit 2 asking for --team."""
    monkeypatch.delenv("SLACK_BOT_TOKEN")
    assert main(["tokens", "list"]) == 2
    assert "pass --team" in capsys.readouterr().err


def test_tokens_create_shows_the_token_once_and_stores_its_hash(env, sessions, capsys):
    """tokens create prints baton_<random> once; only its SHA-256 and prefix are stored; list never shows it."""
    assert main(["tokens", "create", "--name", "zapier", "--team", TEAM]) == 0
    out = capsys.readouterr().out
    found = re.findall(r"baton_[A-Za-z0-9_-]+", out)
    assert len(found) == 1 and len(found[0]) >= len("baton_") + 43
    token = found[0]
    (row,) = rows(sessions, ApiToken)
    assert (row.team_id, row.name, row.token_hash) == (TEAM, "zapier", tokens.hash_token(token))
    assert row.prefix == token[: tokens.PREFIX_CHARS] and row.revoked_at is None

    assert main(["tokens", "list", "--team", TEAM]) == 0
    listing = capsys.readouterr().out
    assert "zapier" in listing and row.prefix in listing and token not in listing
    assert listing.splitlines()[0].split() == ["ID", "NAME", "PREFIX", "CREATED", "LAST", "USED", "REVOKED"]


def test_tokens_revoke_by_prefix_or_id(env, sessions, capsys):
    """tokens revoke takes the prefix or the id; revoking twice says it already was."""
    assert main(["tokens", "create", "--name", "one"]) == 0
    assert main(["tokens", "create", "--name", "two"]) == 0
    first, second = sorted(rows(sessions, ApiToken), key=lambda t: t.id)
    assert main(["tokens", "revoke", first.prefix]) == 0
    assert main(["tokens", "revoke", str(second.id)]) == 0
    assert main(["tokens", "revoke", str(second.id)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-3:] == [
        f"revoked token {first.id} ({first.prefix}, 'one')",
        f"revoked token {second.id} ({second.prefix}, 'two')",
        f"was already revoked: token {second.id} ({second.prefix}, 'two')",
    ]
    assert all(t.revoked_at is not None for t in rows(sessions, ApiToken))


def test_tokens_of_other_teams_are_not_listed_or_revoked(env, sessions, capsys):
    """tokens list and revoke only see the chosen team's tokens."""
    assert main(["tokens", "create", "--name", "theirs", "--team", "T222"]) == 0
    (theirs,) = rows(sessions, ApiToken)
    assert main(["tokens", "list", "--team", TEAM]) == 0
    assert "no API tokens" in capsys.readouterr().out
    assert main(["tokens", "revoke", str(theirs.id), "--team", TEAM]) == 1
    assert rows(sessions, ApiToken)[0].revoked_at is None


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_line_draws_rows_percent_and_rate():
    """On a terminal, progress is one redrawn line per phase: rows, % of the file, rows per second."""
    now = [0.0]
    stream = FakeTTY()
    progress = ProgressLine(stream, total_bytes=1000, clock=lambda: now[0])
    progress("checking", 0, 0)
    now[0] = 2.0
    progress("checking", 10_000, 500)
    now[0] = 2.05
    progress("checking", 12_000, 600)  # within 0.1 s of the last draw: skipped
    progress("checking", 20_000, 1000)  # the end of the file is always drawn
    progress("writing", 20_000, 1000)
    progress.finish()
    lines = stream.getvalue().split("\n")
    assert [d.rstrip() for d in lines[0].split("\r")[1:]] == [
        "checking: 0 rows, 0% of the file, 0 rows/s",
        "checking: 10,000 rows, 50% of the file, 5,000 rows/s",
        "checking: 20,000 rows, 100% of the file, 9,756 rows/s",
    ]
    assert lines[1].startswith("\rwriting: 20,000 rows, 100% of the file") and lines[2] == ""
