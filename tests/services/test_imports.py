"""Customers and health-snapshot imports: matching, idempotency, all-or-nothing reports, streaming."""

import textwrap
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel import select

from bot.cli import import_health_file
from bot.db import Sessions
from bot.models import Customer, HealthSnapshot
from bot.services import imports
from tests.services.conftest import add_customer

TEAM, OTHER_TEAM = "T111", "T222"

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def write(tmp_path: Path, text: str, name: str = "in.csv") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def customers(sessions: Sessions, team: str = TEAM) -> list[Customer]:
    with sessions.begin() as db:
        return list(db.exec(select(Customer).where(Customer.team_id == team).order_by(Customer.id)))


def snapshots(sessions: Sessions) -> list[tuple]:
    with sessions.begin() as db:
        rows = db.exec(select(HealthSnapshot).order_by(HealthSnapshot.customer_id, HealthSnapshot.signal))
        return [(s.customer_id, s.signal, s.as_of, s.source, s.value) for s in rows]


def run_customers(sessions: Sessions, path: Path, **kwargs) -> imports.ImportResult:
    with sessions.begin() as db:
        return imports.import_customers(db, TEAM, path, now=NOW, **kwargs)


def run_health(sessions: Sessions, path: Path, **kwargs) -> imports.ImportResult:
    return import_health_file(sessions, path, TEAM, now=NOW, **kwargs)


def counts(result: imports.ImportResult) -> tuple[int, int, int, int]:
    return result.inserted, result.updated, result.unchanged, result.skipped


def codes(result: imports.ImportResult) -> list[tuple[int, str]]:
    return [(e.where, e.code) for e in result.errors]


CUSTOMERS_CSV = """
    External_ID,Name,Aliases,Domain,Segment,ARR,Currency,Contract_Start,Renewal_Date,Owner_Email,AE_Email,Stage
    crm-1,Acme Corp,ACME; Acme Inc ;,https://www.Acme.com/,Enterprise,"120,000",USD,2026-01-01,2027/01/01,csm@example.com,ae@example.com,Adoption
    crm-2,Globex,,globex.io,SMB,₩50000000,,2026-02-01,2027-02-01,,,
"""


# --- customers ----------------------------------------------------------------------------------------------


def test_customers_import_creates_every_column(sessions, tmp_path):
    """A new file creates one customer per row with every documented column parsed and normalised."""
    result = run_customers(sessions, write(tmp_path, CUSTOMERS_CSV))
    assert counts(result) == (2, 0, 0, 0) and result.written and result.errors == []
    acme, globex = customers(sessions)
    assert (acme.external_id, acme.name, acme.name_key) == ("crm-1", "Acme Corp", "acme")
    assert acme.aliases == "ACME\nAcme Inc"
    assert (acme.domain, acme.segment, acme.stage) == ("acme.com", "Enterprise", "adoption")
    assert (acme.arr, acme.currency) == (Decimal("120000"), "USD")
    assert (acme.contract_start, acme.renewal_date) == (date(2026, 1, 1), date(2027, 1, 1))
    assert (acme.owner_email, acme.ae_email) == ("csm@example.com", "ae@example.com")
    assert (globex.arr, globex.currency, globex.stage, globex.owner_email) == (
        Decimal(50000000),
        "KRW",
        "onboarding",
        None,
    )


def test_customers_reimport_changes_nothing(sessions, tmp_path):
    """Importing the same file again reports every row unchanged and leaves updated_at alone."""
    path = write(tmp_path, CUSTOMERS_CSV)
    run_customers(sessions, path)
    before = [(c.id, c.updated_at) for c in customers(sessions)]
    with sessions.begin() as db:
        result = imports.import_customers(db, TEAM, path, now=NOW + timedelta(days=1))
    assert counts(result) == (0, 0, 2, 0)
    assert [(c.id, c.updated_at) for c in customers(sessions)] == before


def test_customers_update_by_external_id(sessions, tmp_path):
    """A changed row updates the customer with the same external id, even when its name changed."""
    cid = add_customer(sessions, "Acme", external_id="crm-1", segment="SMB")
    result = run_customers(sessions, write(tmp_path, "external_id,name,segment\ncrm-1,Acme Holdings,Enterprise\n"))
    assert counts(result) == (0, 1, 0, 0)
    (acme,) = customers(sessions)
    assert (acme.id, acme.name, acme.name_key, acme.segment, acme.updated_at) == (
        cid,
        "Acme Holdings",
        "acmeholdings",
        "Enterprise",
        NOW,
    )


def test_customers_update_by_domain_then_name(sessions, tmp_path):
    """Without an external id match, a row updates the customer with its domain, else the one with its name key."""
    by_domain = add_customer(sessions, "Initech", domain="initech.com")
    by_name = add_customer(sessions, "Globex Corporation")
    csv = """
        external_id,name,domain
        crm-7,Initech Software,https://initech.com
        crm-8,"GLOBEX, Inc.",
    """
    result = run_customers(sessions, write(tmp_path, csv))
    assert counts(result) == (0, 2, 0, 0)
    rows = {c.id: (c.external_id, c.name) for c in customers(sessions)}
    assert rows == {by_domain: ("crm-7", "Initech Software"), by_name: ("crm-8", "GLOBEX, Inc.")}


def test_customers_other_teams_are_untouched(sessions, tmp_path):
    """Matching is per team: another team's customer with the same external id is neither updated nor a conflict."""
    other = add_customer(sessions, "Acme", team=OTHER_TEAM, external_id="crm-1")
    result = run_customers(sessions, write(tmp_path, "external_id,name\ncrm-1,Acme\n"))
    assert counts(result) == (1, 0, 0, 0)
    assert [c.id for c in customers(sessions, OTHER_TEAM)] == [other]
    assert len(customers(sessions)) == 1


def test_customers_owners_resolved_by_email_once_per_run(sessions, tmp_path):
    """Owner and AE emails become Slack user ids; each email is looked up once; unknown ones are warnings."""
    directory = {"csm@example.com": "U_CSM", "ae@example.com": "U_AE"}
    asked: list[str] = []

    def find_user(email: str) -> str | None:
        asked.append(email)
        return directory.get(email)

    csv = """
        name,owner_email,ae_email
        Acme,CSM@example.com,ae@example.com
        Globex,csm@example.com,nobody@example.com
    """
    result = run_customers(sessions, write(tmp_path, csv), find_user=find_user)
    assert counts(result) == (2, 0, 0, 0)
    assert sorted(asked) == ["ae@example.com", "csm@example.com", "nobody@example.com"]
    assert [(w.where, w.code) for w in result.warnings] == [(3, "unknown_user")]
    acme, globex = customers(sessions)
    assert (acme.owner_user_id, acme.ae_user_id) == ("U_CSM", "U_AE")
    assert (globex.owner_user_id, globex.ae_user_id, globex.ae_email) == ("U_CSM", None, "nobody@example.com")


def test_customers_lookup_failure_keeps_the_previous_owner(sessions, tmp_path):
    """When the directory cannot answer, the stored owner id stays and the row is still imported."""
    add_customer(sessions, "Acme", owner_email="csm@example.com", owner_user_id="U_CSM")

    def find_user(email: str) -> str | None:
        raise imports.UserLookupFailed("ratelimited")

    result = run_customers(sessions, write(tmp_path, "name,owner_email\nAcme,csm@example.com\n"), find_user=find_user)
    assert counts(result) == (0, 0, 1, 0)
    assert [w.code for w in result.warnings] == ["lookup_failed"]
    assert customers(sessions)[0].owner_user_id == "U_CSM"


@pytest.mark.parametrize(
    ("row", "code"),
    [
        (" ,acme.com,100,USD,2026-01-01,2027-01-01,x@example.com,onboarding", "missing_name"),
        ("Acme,not-a-domain,abc,USD,2026-01-01,2027-01-01,x@example.com,onboarding", "bad_amount"),
        ("Acme,acme.com,100,USD,2026-13-01,2027-01-01,x@example.com,onboarding", "bad_date"),
        ("Acme,acme.com,100,USD,2026-01-01,2025-12-31,x@example.com,onboarding", "renewal_before_start"),
        ("Acme,acme.com,100,USD,2026-01-01,2027-01-01,not-an-email,onboarding", "bad_email"),
        ("Acme,acme.com,100,USD,2026-01-01,2027-01-01,x@example.com,happy", "bad_stage"),
        ("Acme,acme.com,100,US,2026-01-01,2027-01-01,x@example.com,onboarding", "bad_currency"),
        ("Acme,acme..com,100,USD,2026-01-01,2027-01-01,x@example.com,onboarding", "bad_domain"),
        ("Acme,acme.com,€100,USD,2026-01-01,2027-01-01,x@example.com,onboarding", "bad_amount"),
        ("Acme,acme.com,100,USD,2026-01-01,2027-01-01,x@example.com,onboarding,extra", "too_many_fields"),
    ],
)
def test_customers_bad_row_rejects_the_whole_file(sessions, tmp_path, row, code):
    """One bad row: nothing is written and the report names its line and reason."""
    header = "name,domain,arr,currency,contract_start,renewal_date,owner_email,stage"
    good = "Good Co,good.com,100,USD,2026-01-01,2027-01-01,x@example.com,onboarding"
    result = run_customers(sessions, write(tmp_path, f"{header}\n{good}\n{row}\n"))
    assert not result.written and (result.inserted, result.error_rows) == (0, 1)
    assert (3, code) in codes(result)
    assert customers(sessions) == []


def test_customers_report_names_every_bad_line(sessions, tmp_path):
    """Every bad line is reported with its own number and reason, duplicates included."""
    csv = """
        external_id,name,owner_email
        a,Acme,ok@example.com
        b,Globex,bad-email
        a,Initech,
        c,ACME Inc.,
    """
    result = run_customers(sessions, write(tmp_path, csv))
    assert not result.written
    assert codes(result) == [(3, "bad_email"), (4, "duplicate"), (5, "duplicate")]
    assert "line 4: external_id 'a' also on line 2" in [str(e) for e in result.errors]


def test_customers_skip_invalid_imports_the_good_rows(sessions, tmp_path):
    """With skip_invalid the valid rows go in and the others are counted as skipped and reported."""
    csv = """
        name,stage
        Acme,adoption
        Globex,dreaming
        Initech,
    """
    result = run_customers(sessions, write(tmp_path, csv), skip_invalid=True)
    assert counts(result) == (2, 0, 0, 1) and codes(result) == [(3, "bad_stage")]
    assert [c.name for c in customers(sessions)] == ["Acme", "Initech"]


def test_customers_name_conflict_with_another_external_id(sessions, tmp_path):
    """A new external id with a name another customer (with its own external id) has is a conflict, not a merge."""
    add_customer(sessions, "Acme", external_id="crm-1")
    result = run_customers(sessions, write(tmp_path, "external_id,name\ncrm-2,ACME Corp\n"))
    assert codes(result) == [(2, "name_conflict")]


@pytest.mark.parametrize(
    ("header", "code"),
    [("external_id,domain", "missing_column"), ("name,name", "duplicate_column"), ("", "empty_file")],
)
def test_customers_bad_header_is_a_file_error(sessions, tmp_path, header, code):
    """A header without `name` (or a repeated column, or no header) rejects the file before any row."""
    with pytest.raises(imports.FileError) as exc:
        run_customers(sessions, write(tmp_path, f"{header}\n" if header else ""))
    assert [e.code for e in exc.value.errors] == [code]


def test_customers_unknown_column_is_a_warning(sessions, tmp_path):
    """Columns Baton does not know are ignored with a warning on line 1."""
    result = run_customers(sessions, write(tmp_path, "name,notes\nAcme,likes us\n"))
    assert result.inserted == 1 and [(w.where, w.code) for w in result.warnings] == [(1, "ignored_column")]


# --- health files -----------------------------------------------------------------------------------------


@pytest.fixture
def acme(sessions) -> int:
    return add_customer(
        sessions, "Acme Corp", external_id="crm-1", crm_source="hubspot", crm_company_id="5011", domain="acme.com"
    )


def test_health_long_format(sessions, tmp_path, acme):
    """customer,date,signal,value,source rows are stored with canonical signal names and their sources."""
    csv = """
        Customer,Date,Signal,Value,Source
        crm-1,2026-11-20,NPS,9,delighted
        crm-1,2026/11/21,license utilization,72.5,
        crm-1,2026-11-21,active_users,40,product
    """
    result = run_health(sessions, write(tmp_path, csv))
    assert counts(result) == (3, 0, 0, 0) and result.rows == 3
    assert snapshots(sessions) == [
        (acme, "active_users", date(2026, 11, 21), "product", 40.0),
        (acme, "license_utilisation", date(2026, 11, 21), "csv", 72.5),
        (acme, "nps", date(2026, 11, 20), "delighted", 9.0),
    ]


def test_health_wide_format(sessions, tmp_path, acme):
    """customer,date,<signal>... rows give one snapshot per filled cell, with the --source given."""
    csv = """
        customer,date,nps,csat,open_tickets
        Acme Corp,2026-11-20,8,,3
        acme.com,2026-11-21,,4.5,
    """
    result = run_health(sessions, write(tmp_path, csv), source="survey")
    assert counts(result) == (3, 0, 0, 0)
    assert snapshots(sessions) == [
        (acme, "csat", date(2026, 11, 21), "survey", 4.5),
        (acme, "nps", date(2026, 11, 20), "survey", 8.0),
        (acme, "open_tickets", date(2026, 11, 20), "survey", 3.0),
    ]


@pytest.mark.parametrize("ref", ["crm-1", "5011", "acme.com", "https://www.ACME.com", "ACME Corp.", "acme, inc"])
def test_health_customer_matches_every_key(sessions, tmp_path, acme, ref):
    """`customer` is an external id, a CRM company id, a domain or the name (normalize_key)."""
    result = run_health(sessions, write(tmp_path, f'customer,date,signal,value\n"{ref}",2026-11-20,nps,7\n'))
    assert result.inserted == 1 and snapshots(sessions)[0][0] == acme


def test_health_same_snapshot_twice_is_stored_once(sessions, tmp_path, acme):
    """A key repeated in a file and a file imported twice give one row; the second run is all unchanged."""
    path = write(tmp_path, "customer,date,signal,value\ncrm-1,2026-11-20,nps,7\ncrm-1,2026-11-20,nps,7\n")
    assert counts(run_health(sessions, path)) == (1, 0, 1, 0)
    assert counts(run_health(sessions, path)) == (0, 0, 2, 0)
    assert len(snapshots(sessions)) == 1


def test_health_changed_value_updates(sessions, tmp_path, acme):
    """Same key with a new value updates the stored row instead of adding one."""
    run_health(sessions, write(tmp_path, "customer,date,signal,value\ncrm-1,2026-11-20,nps,7\n"))
    result = run_health(sessions, write(tmp_path, "customer,date,signal,value\ncrm-1,2026-11-20,nps,9\n"))
    assert counts(result) == (0, 1, 0, 0)
    assert snapshots(sessions) == [(acme, "nps", date(2026, 11, 20), "csv", 9.0)]


@pytest.mark.parametrize(
    ("row", "code"),
    [
        ("nobody,2026-11-20,nps,7", "unknown_customer"),
        (",2026-11-20,nps,7", "missing_customer"),
        ("crm-1,20/11/2026,nps,7", "bad_date"),
        ("crm-1,2026-02-30,nps,7", "bad_date"),
        ("crm-1,2026-11-20,happiness,7", "unknown_signal"),
        ("crm-1,2026-11-20,nps,11", "out_of_range"),
        ("crm-1,2026-11-20,nps,-1", "out_of_range"),
        ("crm-1,2026-11-20,nps,seven", "not_a_number"),
        ("crm-1,2026-11-20,nps,nan", "not_a_number"),
        ("crm-1,2026-11-20,active_users,12.5", "not_whole"),
        ("crm-1,2026-11-20,nps,", "missing_value"),
        ("crm-1,2026-11-20,nps,7,x,y", "too_many_fields"),
    ],
)
def test_health_bad_row_rejects_the_whole_file(sessions, tmp_path, acme, row, code):
    """One bad row: nothing is written and the report names its line and reason."""
    path = write(tmp_path, f"customer,date,signal,value\ncrm-1,2026-11-19,nps,8\n{row}\n")
    result = run_health(sessions, path)
    assert not result.written and result.error_rows == 1
    assert (3, code) in codes(result)
    assert snapshots(sessions) == []


def test_health_report_lists_every_problem_of_every_line(sessions, tmp_path, acme):
    """A line with several problems reports each; line numbers count the header and blank lines."""
    csv = "customer,date,signal,value\n\nnobody,yesterday,nps,7\ncrm-1,2026-11-20,nps,7\ncrm-1,2026-11-20,csat,9\n"
    result = run_health(sessions, write(tmp_path, csv))
    assert codes(result) == [(3, "unknown_customer"), (3, "bad_date"), (5, "out_of_range")]
    assert str(result.errors[2]) == "line 5: csat value 9 is out of range (1..5)"


def test_health_other_teams_customer_is_unknown(sessions, tmp_path, acme):
    """Customers of another team do not match."""
    add_customer(sessions, "Umbrella", team=OTHER_TEAM, external_id="crm-9")
    result = run_health(sessions, write(tmp_path, "customer,date,signal,value\ncrm-9,2026-11-20,nps,7\n"))
    assert codes(result) == [(2, "unknown_customer")]


def test_health_skip_invalid_writes_the_good_rows(sessions, tmp_path, acme):
    """With skip_invalid the good rows go in; skipped counts the bad lines, which are reported."""
    csv = "customer,date,signal,value\ncrm-1,2026-11-20,nps,7\nnobody,2026-11-20,nps,7\ncrm-1,2026-11-21,nps,8\n"
    result = run_health(sessions, write(tmp_path, csv), skip_invalid=True)
    assert counts(result) == (2, 0, 0, 1) and codes(result) == [(3, "unknown_customer")]
    assert len(snapshots(sessions)) == 2


def test_health_wide_line_with_one_bad_cell_is_skipped_whole(sessions, tmp_path, acme):
    """In the wide format a line is the unit: one bad cell skips the whole line."""
    csv = "customer,date,nps,csat\ncrm-1,2026-11-20,7,9\ncrm-1,2026-11-21,8,4\n"
    result = run_health(sessions, write(tmp_path, csv), skip_invalid=True)
    assert counts(result) == (2, 0, 0, 1) and codes(result) == [(2, "out_of_range")]


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ("customer,signal,value", "missing_column"),
        ("customer,date,signal", "missing_column"),
        ("customer,date,nps,happiness", "unknown_signal"),
        ("customer,date,logins,logins_30d", "duplicate_column"),
        ("customer,date", "missing_column"),
        ("", "empty_file"),
    ],
)
def test_health_bad_header_is_a_file_error(sessions, tmp_path, acme, header, code):
    """A header that is neither format (or names an unknown signal column) rejects the file."""
    with pytest.raises(imports.FileError) as exc:
        run_health(sessions, write(tmp_path, f"{header}\ncrm-1,2026-11-20,7,8\n" if header else ""))
    assert code in [e.code for e in exc.value.errors]


def test_health_missing_file_is_a_file_error(sessions, tmp_path):
    """A path that cannot be opened is reported, not raised as an OSError."""
    with pytest.raises(imports.FileError, match="cannot open"):
        run_health(sessions, tmp_path / "missing.csv")


def test_health_progress_reports_both_passes(sessions, tmp_path, acme):
    """The progress callback hears about the checking pass and the writing pass, ending at the file size."""
    path = write(tmp_path, "customer,date,signal,value\n" + "crm-1,2026-11-20,nps,7\n" * 3)
    calls: list[tuple[str, int, int]] = []
    run_health(sessions, path, progress=lambda *a: calls.append(a))
    size = path.stat().st_size
    assert calls == [("checking", 0, 0), ("checking", 3, size), ("writing", 0, 0), ("writing", 3, size)]


def test_upsert_counts_in_row_order(sessions, acme):
    """Within one batch a repeated key counts once as inserted and then as updated/unchanged; the last value wins."""
    day = date(2026, 11, 20)
    rows = [(acme, "nps", day, "csv", 7.0), (acme, "nps", day, "csv", 7.0), (acme, "nps", day, "csv", 8.0)]
    with sessions.begin() as db:
        c = imports.upsert_snapshots(db, TEAM, rows, now=NOW)
    assert (c.inserted, c.updated, c.unchanged, c.customer_ids) == (1, 1, 1, {acme})
    assert snapshots(sessions) == [(acme, "nps", day, "csv", 8.0)]


def test_health_large_file_streams(sessions, tmp_path):
    """A 200,000-row file imports with small peak memory: it is read line by line, never held whole."""
    ids = [add_customer(sessions, f"Customer {i}", external_id=f"c{i}") for i in range(50)]
    path = tmp_path / "big.csv"
    signals = ("nps", "csat", "active_users", "open_tickets")
    start = date(2025, 1, 1)
    with path.open("w") as f:
        f.write("customer,date,signal,value\n")
        for i in range(200_000):
            day = start + timedelta(days=i // (50 * len(signals)))
            f.write(f"c{i % 50},{day.isoformat()},{signals[(i // 50) % len(signals)]},{(i % 5) + 1}\n")
    tracemalloc.start()
    try:
        result = run_health(sessions, path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert counts(result) == (200_000, 0, 0, 0)
    assert peak < 50 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"
    with sessions.begin() as db:
        stored = db.exec(select(HealthSnapshot.customer_id).distinct()).all()
    assert sorted(stored) == sorted(ids)


# --- control characters (bot/inputs.py): the row is refused with code control_char, on both databases ------


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("crm-1\x00,2026-11-20,nps,7", "customer contains a control character (U+0000)"),
        ("crm-1,2026-11-20\x00,nps,7", "date contains a control character (U+0000)"),
        ("crm-1,2026-11-20,nps\x1b,7", "signal contains a control character (U+001B)"),
        ("crm-1,2026-11-20,nps,7\x7f", "value contains a control character (U+007F)"),
        ("crm-1,2026-11-20,nps,7,zen\x00desk", "source contains a control character (U+0000)"),
    ],
    ids=["customer", "date", "signal", "value", "source"],
)
def test_health_control_character_rejects_the_row(sessions, tmp_path, acme, row, reason):
    """A NUL or other control character in a health CSV cell is reported on its line (not a PostgreSQL error
    half-way) and nothing is written; with skip_invalid only that line is skipped."""
    path = write(tmp_path, f"customer,date,signal,value,source\ncrm-1,2026-11-19,nps,8\n{row}\n")
    result = run_health(sessions, path)
    assert not result.written and [str(e) for e in result.errors] == [f"line 3: {reason}"]
    assert codes(result) == [(3, "control_char")] and snapshots(sessions) == []
    result = run_health(sessions, path, skip_invalid=True)
    assert counts(result) == (1, 0, 0, 1) and len(snapshots(sessions)) == 1


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("x-1,Acme\x00 Corp,acme.com,Enterprise,ACME", "name contains a control character (U+0000)"),
        ("x\x00-1,Acme Corp,acme.com,Enterprise,ACME", "external_id contains a control character (U+0000)"),
        ("x-1,Acme Corp,acme.com\x0b,Enterprise,ACME", "domain contains a control character (U+000B)"),
        ("x-1,Acme Corp,acme.com,Enter\x85prise,ACME", "segment contains a control character (U+0085)"),
        ("x-1,Acme Corp,acme.com,Enterprise,AC\x00ME;Acme Inc", "aliases contains a control character (U+0000)"),
    ],
    ids=["name", "external-id", "domain", "segment", "aliases"],
)
def test_customers_control_character_rejects_the_row(sessions, tmp_path, row, reason):
    """A control character in any cell of a customers CSV row refuses that row, naming the column."""
    path = write(tmp_path, f"external_id,name,domain,segment,aliases\ng-1,Good Co,good.com,SMB,\n{row}\n")
    result = run_customers(sessions, path)
    assert not result.written and [str(e) for e in result.errors] == [f"line 3: {reason}"]
    assert customers(sessions) == []
    result = run_customers(sessions, path, skip_invalid=True)
    assert counts(result) == (1, 0, 0, 1) and [c.name for c in customers(sessions)] == ["Good Co"]


def test_tab_inside_a_quoted_cell_is_text(sessions, tmp_path):
    """Tab and line breaks are not control characters: a name with a tab and a two-line segment import as is."""
    path = write(tmp_path, 'name,segment\n"Acme\tCorp","Enterprise\nEMEA"\n')
    result = run_customers(sessions, path)
    assert result.written and [(c.name, c.segment) for c in customers(sessions)] == [("Acme\tCorp", "Enterprise\nEMEA")]


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_file_without_bom_is_a_file_error(sessions, tmp_path, acme, encoding):
    """A UTF-16 file without a BOM decodes as UTF-8 full of NULs: it is refused as not UTF-8, not read."""
    path = tmp_path / "in.csv"
    path.write_bytes("customer,date,signal,value\ncrm-1,2026-11-19,nps,8\n".encode(encoding))
    with pytest.raises(imports.FileError) as err:
        run_health(sessions, path)
    assert [(e.code, e.reason) for e in err.value.errors] == [
        ("not_utf8", "the file is not UTF-8 text (it looks like UTF-16)")
    ]
    with pytest.raises(imports.FileError):
        run_customers(sessions, path)
    assert snapshots(sessions) == [] and [c.name for c in customers(sessions)] == ["Acme Corp"]
