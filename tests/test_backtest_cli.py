"""`python -m bot health backtest` and `health backtest-data` run in-process: the report, --json, the empty case,
bad arguments."""

import json

import pytest

from bot.__main__ import main
from tests.conftest import TEAM


@pytest.fixture
def env(monkeypatch, settings):
    """The process environment `python -m bot` would see, pointing at the test database."""
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "BATON_HEALTH_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    return settings


def test_no_outcomes_prints_a_clear_message(env, capsys):
    """An empty database: a one-line answer and exit 0, not a traceback."""
    assert main(["health", "backtest"]) == 0
    assert capsys.readouterr().out.strip() == "No renewal outcomes recorded: nothing to backtest."
    assert main(["health", "backtest", "--team", TEAM]) == 0
    assert "no renewal outcomes recorded: nothing to backtest" in capsys.readouterr().out.lower()


def test_backtest_data_then_report_and_json(env, capsys):
    """backtest-data fills an empty team (and refuses a second time); the report names every part; --json parses
    and carries the same AUC."""
    assert main(["health", "backtest-data", "--team", TEAM, "--customers", "40", "--years", "2"]) == 0
    assert "synthetic customers" in capsys.readouterr().out
    assert main(["health", "backtest-data", "--team", TEAM, "--customers", "40"]) == 1
    assert "already has 40 customers" in capsys.readouterr().err
    assert main(["health", "backtest", "--team", TEAM, "--horizon", "90"]) == 0
    text = capsys.readouterr().out
    for part in (
        "== 90 days before renewal ==",
        "AUC (low score -> churn)",
        "precision@",
        "ARR recall (USD)",
        "Healthy",
        "license_utilisation",
        "[health.weights]",
    ):
        assert part in text
    assert "== 60 days" not in text
    assert main(["health", "backtest", "--team", TEAM, "--json", "--k", "5"]) == 0
    data = json.loads(capsys.readouterr().out)
    (team,) = data["teams"]
    assert [h["horizon"] for h in team["horizons"]] == [90, 60]
    assert team["horizons"][0]["k"] == 5
    assert f"{team['horizons'][0]['auc']:.3f}" in text


@pytest.mark.parametrize("horizon", ["90,abc", "0", "90,90", "-5"])
def test_bad_horizon_is_refused(env, capsys, horizon):
    """A horizon that is not a list of distinct day counts: exit 2 with the reason."""
    assert main(["health", "backtest", f"--horizon={horizon}"]) == 2
    assert "--horizon" in capsys.readouterr().err
