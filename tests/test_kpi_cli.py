"""`python -m bot kpi show|cohorts` and the KPI settings: printed from the service on the README's example."""

import argparse
import io
from datetime import UTC, datetime

import pytest

from bot import cli_kpi
from bot.__main__ import main
from bot.models import ArrMovement
from bot.services import ledger, team_config
from bot.services.team_config import ConfigValueError
from tests import kpi_example
from tests.conftest import TEAM
from tests.test_cli import env  # noqa: F401 - the fixture


def run(baton, *argv: str) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser()
    cli_kpi.add_commands(parser.add_subparsers(dest="command"))
    out, err = io.StringIO(), io.StringIO()
    code = cli_kpi.run(parser.parse_args(["kpi", *argv]), baton.deps, TEAM, out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def example(baton, clock):
    clock.now = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
    return kpi_example.seed(baton.deps.sessions)


def test_show_prints_the_figures_and_their_inputs(baton, example):
    code, out, _ = run(baton, "show")
    assert code == 0
    assert out.startswith("KPIs for November 2026 (2026-11-01 – 2026-11-30), all customers; against October 2026")
    lines = [" ".join(line.split()) for line in out.splitlines()]
    for expected in (
        "USD 2026-11 2026-10",
        "customers with ARR at the start 4 4",
        "contraction / churn $50 / $400 $0 / $0",
        "Logo retention 75.0% 100.0%",
        "GRR 50.0% 100.0%",
        "NRR 60.0% 100.0%",
        "churn, trailing 6 months / annualised 25.0% / 43.8% 0.0% / 0.0%",
        "LTV $374.86 none (no churn)",
        "NPS (promoters/passives/detractors) 25.0 (2/1/1) - (no answers)",
    ):
        assert expected in lines


def test_show_a_segment_and_refusals(baton, example):
    code, out, _ = run(baton, "show", "2026-Q4", "--segment", "enterprise")
    assert code == 0 and "Enterprise; against Q3 2026" in out
    assert run(baton, "show", "November")[0] == 2
    code, _, err = run(baton, "show", "2027-02")
    assert code == 2 and "2027-02 has not started yet" in err
    code, _, err = run(baton, "show", "--segment", "Public sector")
    assert code == 2 and "Segments: Enterprise, SMB" in err


def test_cohorts_by_start_quarter(baton, example):
    """Q1 2026 (Acme, Birch, Cedar: $600): Q2 and Q3 100 %, Q4 to date $300 (Acme 150 + Birch 150) = 50 %;
    Q2 2026 (Delta, $100): 100 %, then 120 % after its reactivation; Q4 2026 (Elm) 100 %."""
    code, out, _ = run(baton, "cohorts")
    lines = [" ".join(line.split()) for line in out.splitlines()]
    assert code == 0
    assert lines[1] == "COHORT CUSTOMERS START ARR Q+0 Q+1 Q+2 Q+3"
    assert lines[2:] == ["2026-Q1 3 $600 100% 100% 100% 50%", "2026-Q2 1 $100 100% 100% 120%", "2026-Q4 1 $400 100%"]
    assert run(baton, "cohorts", "--currency", "krw")[1] == "no ARR movements yet\n"


def test_the_commands_through_python_m_bot(env, baton, capsys):  # noqa: F811
    with baton.deps.sessions.begin() as db:
        ledger.record(db, TEAM, kpi_example.seed(baton.deps.sessions)["Acme"], "expansion", 1, "USD",
                      datetime(2026, 6, 1).date(), source="csv", ref="x", by=None, now=baton.clock())  # fmt: skip
    assert main(["kpi", "show", "2026-11", "--team", TEAM]) == 0
    assert "Logo retention" in capsys.readouterr().out
    assert main(["kpi", "cohorts", "--team", TEAM]) == 0
    assert "2026-Q1" in capsys.readouterr().out
    assert len(baton.all(ArrMovement)) == 11


@pytest.mark.parametrize(("value", "stored"), [("0.8", "0.8"), ("80%", "0.8"), ("72.5 %", "0.725"), ("1", "1")])
def test_gross_margin_setting(value, stored):
    assert team_config.check_value("kpi.gross_margin", value) == stored


@pytest.mark.parametrize("value", ["0", "120%", "high", "-0.2"])
def test_bad_gross_margins_are_refused(value):
    with pytest.raises(ConfigValueError):
        team_config.check_value("kpi.gross_margin", value)


def test_kpi_channel_setting():
    assert team_config.check_value("kpi.channel", "C0KPI") == "C0KPI"
    assert team_config.check_value("kpi.channel", "none") == ""
    with pytest.raises(ConfigValueError):
        team_config.check_value("kpi.channel", "#kpis")
