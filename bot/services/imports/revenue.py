"""The revenue ledger's feeds from other systems: ARR movements, renewal outcomes and NPS responses, from a CSV
file (`python -m bot import movements|outcomes|nps`) or the API (`POST /api/v1/arr-movements`,
`/renewal-outcomes`, `/nps-responses`), checked whole and written all or nothing in the caller's transaction.

Each row has a key, so a file or request replayed adds nothing: a movement its required `id` (unique per
team across files and the API), an outcome its (customer, renewal_date), a response its (customer,
respondent, date). A key seen before with the same values is `unchanged`; with other values it is an error
(a movement, an outcome) or an update (a response: survey tools correct answers). Customers are found like
the health import's (external id, CRM company id, domain, name). Movements go through `ledger.record` and
keep `customers.arr` equal to the ledger balance (no row may take a balance below zero); outcomes through
`renewal_outcomes.record_outcome`, exactly as the Slack answer; responses refresh each affected customer's
`nps` health signal (source `nps_responses`): on each day a response was given, the mean score of each
respondent's latest answer within the NPS_WINDOW_DAYS before it.
"""

import os
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from bot import inputs
from bot.models import ArrMovement, Customer, HealthSnapshot, NpsResponse, RenewalOutcome
from bot.models.revenue import MOVEMENT_KINDS, OUTCOMES
from bot.money import AmountError, parse_amount
from bot.services import ledger
from bot.services import renewal_outcomes as ro
from bot.services.health_config import HealthRules
from bot.services.imports.check import _AMBIGUOUS, CustomerResolver
from bot.services.imports.formats import _CURRENCY_RE, Problem, _show, column_key, parse_date
from bot.services.imports.parse import _CsvFile
from bot.services.imports.report import FileError, ImportResult, RowError
from bot.services.imports.score import after_snapshots_written
from bot.services.imports.write import upsert_snapshots

KINDS = ("movements", "outcomes", "nps")
REQUIRED = {
    "movements": ("id", "customer", "date", "kind", "amount"),
    "outcomes": ("customer", "renewal_date", "outcome"),
    "nps": ("customer", "respondent", "score", "date"),
}
OPTIONAL = {
    "movements": ("currency", "note"),
    "outcomes": ("arr_after", "arr_before", "currency", "reason"),
    "nps": ("comment",),
}
MAX_TEXT = {"id": 128, "customer": 255, "respondent": 255, "note": 2000, "reason": 2000, "comment": 5000}
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_FILE_ROWS = 200_000
NPS_SOURCE = "nps_responses"  # the health snapshots derived from responses
NPS_WINDOW_DAYS = 90
FEED_SOURCES = ("csv", "api")
CHUNK = 500


def columns(kind: str) -> tuple[str, ...]:
    return REQUIRED[kind] + OPTIONAL[kind]


# --------------------------------------------------------------------------------------------- reading files


def read_file(path: str | os.PathLike, kind: str) -> tuple[list[tuple[int, dict[str, str]]], list[RowError]]:
    """(rows as (line, {column: cell}), header warnings); FileError for a missing or unusable file or header,
    or one over MAX_FILE_BYTES / MAX_FILE_ROWS."""
    try:
        size = os.path.getsize(path)
    except OSError as exc:
        raise FileError([RowError(0, "unreadable", f"cannot open {os.fspath(path)}: {exc.strerror or exc}")]) from exc
    if size > MAX_FILE_BYTES:
        raise FileError([RowError(0, "too_large", f"the file is larger than {MAX_FILE_BYTES:,} bytes; split it")])
    f = _CsvFile(path)
    try:
        first = f.next_record()
        if first is None:
            raise FileError([RowError(1, "empty_file", "the file is empty (expected a header row)")])
        line, header = first
        keys = [column_key(h) for h in header]
        errors = [RowError(line, "missing_column", f"missing column {c!r}") for c in REQUIRED[kind] if c not in keys]
        warnings = []
        for i, key in enumerate(keys):
            if key in keys[:i]:
                errors.append(RowError(line, "duplicate_column", f"column {key!r} appears twice"))
            elif key not in columns(kind):
                warnings.append(RowError(line, "ignored_column", f"column {header[i].strip()!r} ignored"))
        if errors:
            raise FileError(errors)
        known = [(i, k) for i, k in enumerate(keys) if k in columns(kind)]
        rows: list[tuple[int, dict[str, str]]] = []
        while (record := f.next_record()) is not None:
            n, cells = record
            if len(rows) >= MAX_FILE_ROWS:
                raise FileError([RowError(n, "too_many_rows", f"more than {MAX_FILE_ROWS:,} rows; split the file")])
            if len(cells) > len(keys) and any(c.strip() for c in cells[len(keys) :]):
                rows.append((n, {"__too_many__": str(len(cells))}))
                continue
            rows.append((n, {k: cells[i] if i < len(cells) else "" for i, k in known}))
        return rows, warnings
    finally:
        f.close()


# --------------------------------------------------------------------------------------------- checking


class _Cells:
    """One row's cells (a file's strings or an API item's JSON values), read field by field with every problem
    collected under the field's name."""

    def __init__(self, raw: Mapping[str, Any], problems: list[Problem]):
        self.raw, self.problems = raw, problems

    def text(self, name: str, *, required: bool = False) -> str | None:
        value = self.raw.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.problems.append(("missing_" + name, f"{name} is empty"))
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.problems.append(("bad_" + name, f"{name} must be text, not {type(value).__name__}"))
            return None
        text = str(value).strip()
        if name in MAX_TEXT and len(text) > MAX_TEXT[name]:
            self.problems.append(("too_long", f"{name} is longer than {MAX_TEXT[name]} characters"))
            return None
        return text

    def day(self, name: str) -> date | None:
        text = self.text(name, required=True)
        if text is None:
            return None
        day = parse_date(text)
        if day is None:
            self.problems.append(("bad_date", f"{name}: unparseable date {_show(text)} (use YYYY-MM-DD)"))
        return day

    def amount(self, name: str, currency: str | None, *, required: bool) -> tuple[Decimal | None, str | None]:
        text = self.text(name, required=required)
        if text is None:
            return None, currency
        try:
            amount, parsed = parse_amount(text, currency or "USD")
        except AmountError as exc:
            self.problems.append(("bad_amount", f"{name}: bad amount {_show(text)} ({exc.code.replace('_', ' ')})"))
            return None, currency
        if currency and parsed != currency:
            self.problems.append(("bad_amount", f"{name} {_show(text)} is in {parsed}, currency says {currency}"))
            return None, currency
        if amount > ledger.MAX_AMOUNT:
            self.problems.append(("bad_amount", f"{name} is larger than {ledger.MAX_AMOUNT}"))
            return None, currency
        return amount, parsed if (currency or _has_currency(text, parsed)) else None

    def currency(self) -> str | None:
        text = self.text("currency")
        if text is None:
            return None
        code = text.upper()
        if not _CURRENCY_RE.fullmatch(code):
            self.problems.append(("bad_currency", f"bad currency {_show(text)} (use a code such as USD)"))
            return None
        return code


def _has_currency(text: str, parsed: str) -> bool:
    """Whether the amount's text named its currency itself (a symbol or code), rather than the default."""
    try:
        return parse_amount(text, "XXX")[1] == parsed
    except AmountError:
        return False


@dataclass
class _Row:
    where: int
    customer_id: int
    values: dict[str, Any]


def _controls(raw: Mapping[str, Any]) -> list[Problem]:
    return [
        ("control_char", f"{name} contains a control character ({inputs.describe(char)})")
        for name, value in raw.items()
        if isinstance(value, str) and (char := inputs.find_control(value)) is not None
    ]


def _customer(cells: _Cells, resolver: CustomerResolver) -> int | None:
    ref = cells.text("customer", required=True)
    if ref is None:
        return None
    found = resolver.resolve(ref)
    if found is None:
        cells.problems.append(("unknown_customer", f"customer: no customer matches {_show(ref)}"))
    elif found == _AMBIGUOUS:
        cells.problems.append(("ambiguous_customer", f"customer: {_show(ref)} matches several customers"))
        return None
    return found


def _check_row(kind: str, raw: Mapping[str, Any], resolver: CustomerResolver, currencies: dict[int, str | None]):
    problems = _controls(raw)
    if "__too_many__" in raw:
        return None, [("too_many_cells", "the row has more cells than the header")]
    if problems:
        return None, problems  # refused first and alone (bot/inputs.py)
    cells = _Cells(raw, problems)
    cid = _customer(cells, resolver)
    values: dict[str, Any] = {}
    if kind == "movements":
        values["ref"] = cells.text("id", required=True)
        values["on"] = cells.day("date")
        move = (cells.text("kind", required=True) or "").lower()
        if move and move not in MOVEMENT_KINDS:
            problems.append(("bad_kind", f"kind: unknown movement {_show(move)} (one of {', '.join(MOVEMENT_KINDS)})"))
        values["kind"] = move
        currency = cells.currency()
        values["amount"], values["currency"] = cells.amount("amount", currency, required=True)
        values["note"] = cells.text("note")
    elif kind == "outcomes":
        values["renewal_date"] = cells.day("renewal_date")
        outcome = (cells.text("outcome", required=True) or "").lower()
        if outcome and outcome not in OUTCOMES:
            problems.append(
                ("bad_outcome", f"outcome: unknown outcome {_show(outcome)} (one of {', '.join(OUTCOMES)})")
            )
        values["outcome"] = outcome
        currency = cells.currency()
        need = outcome in ("expanded", "contracted")
        values["arr_after"], currency = cells.amount("arr_after", currency, required=need)
        values["arr_before"], currency = cells.amount("arr_before", currency, required=False)
        if outcome == "churned" and values["arr_after"] is not None:
            problems.append(("bad_amount", "arr_after: a churned outcome has no ARR after (leave it empty)"))
        if need and values["arr_after"] is not None and values["arr_before"] is not None:
            up = values["arr_after"] > values["arr_before"]
            if up != (outcome == "expanded") or values["arr_after"] == values["arr_before"]:
                problems.append(("bad_amount", f"arr_after: {outcome} needs an ARR after that is "
                                 f"{'above' if outcome == 'expanded' else 'below'} arr_before"))  # fmt: skip
        values["currency"] = currency
        values["reason"] = cells.text("reason")
    else:
        values["respondent"] = cells.text("respondent", required=True)
        values["on"] = cells.day("date")
        score = raw.get("score")
        text = cells.text("score", required=True)
        number = None
        if text is not None:
            if isinstance(score, float) and score.is_integer():
                text = str(int(score))
            if not text.isdigit() or not 0 <= int(text) <= 10:
                problems.append(("bad_score", f"score: {_show(text)} is not a whole number from 0 to 10"))
            else:
                number = int(text)
        values["score"] = number
        values["comment"] = cells.text("comment")
    if problems or cid is None:
        return None, problems
    return _Row(0, cid, values), []


def import_revenue(
    db: Session,
    team_id: str,
    kind: str,
    rows: Sequence[tuple[int, Mapping[str, Any]]],
    *,
    source: str,
    recorded_by: str | None,
    now: datetime,
    default_currency: str = "USD",
    rules: HealthRules | None = None,
) -> ImportResult:
    """Check every row ((line or index, {field: value})) and, when all are valid, write them in the caller's
    transaction; nothing is written when any row is refused (`result.written` False, `result.errors` say why,
    each naming its field)."""
    if kind not in KINDS or source not in FEED_SOURCES:
        raise ValueError(f"unknown feed {kind!r} / source {source!r}")
    result = ImportResult(rows=len(rows))
    resolver = CustomerResolver(db, team_id, preload=len(rows) > 50)
    good: list[_Row] = []
    for where, raw in rows:
        if not isinstance(raw, Mapping):
            result.reject_row(where, [("not_an_object", "each item must be a JSON object")])
            continue
        row, problems = _check_row(kind, raw, resolver, {})
        if problems:
            result.reject_row(where, problems)
        else:
            row.where = where  # type: ignore[union-attr]
            good.append(row)  # type: ignore[arg-type]
    if result.error_rows:
        return result
    customers = _customers(db, team_id, {r.customer_id for r in good})
    # Each feed finds every conflict with what is stored before it writes anything (no savepoint: pysqlite
    # would commit a SAVEPOINT opened before the transaction's first write when it is released).
    if kind == "movements":
        _movements(db, team_id, good, customers, result, source, recorded_by, now, default_currency)
    elif kind == "outcomes":
        _outcomes(db, team_id, good, customers, result, source, recorded_by, now)
    else:
        _responses(db, team_id, good, result, source, now, rules)
    if result.error_rows:  # a conflict with what is stored: nothing was written
        result.inserted = result.updated = result.unchanged = 0
        return result
    result.written = True
    return result


def _customers(db: Session, team_id: str, ids: set[int]) -> dict[int, Customer]:
    out: dict[int, Customer] = {}
    ordered = sorted(ids)
    for i in range(0, len(ordered), CHUNK):
        stmt = select(Customer).where(Customer.team_id == team_id, col(Customer.id).in_(ordered[i : i + CHUNK]))
        out.update({c.id: c for c in db.exec(stmt)})  # type: ignore[misc]
    return out


# --------------------------------------------------------------------------------------------- movements


def _movements(db, team_id, good, customers, result, source, by, now, default_currency) -> None:
    refs = sorted({r.values["ref"] for r in good})
    stored: dict[str, ArrMovement] = {}
    for i in range(0, len(refs), CHUNK):
        stmt = select(ArrMovement).where(
            ArrMovement.team_id == team_id,
            col(ArrMovement.source).in_(FEED_SOURCES),
            col(ArrMovement.ref).in_(refs[i : i + CHUNK]),
        )
        stored.update({m.ref: m for m in db.exec(stmt)})
    seen: dict[str, tuple] = {}
    fresh: list[_Row] = []
    for r in good:
        v = r.values
        if v["currency"] is None:
            held = customers[r.customer_id].currency
            v["currency"] = held or default_currency
        same = (r.customer_id, v["kind"], v["amount"].quantize(Decimal("0.01")), v["currency"], v["on"])
        old = stored.get(v["ref"])
        if old is not None:
            if (old.customer_id, old.kind, old.amount, old.currency, old.effective_on) == same:
                result.unchanged += 1
            else:
                result.reject_row(r.where, [("id_conflict", f"id: {_show(v['ref'])} was recorded before with "
                                             "other values (customer, kind, amount, currency or date)")])  # fmt: skip
            continue
        if v["ref"] in seen:
            if seen[v["ref"]] == same:
                result.unchanged += 1
            else:
                result.reject_row(r.where, [("id_conflict", f"id: {_show(v['ref'])} appears twice with other values")])
            continue
        seen[v["ref"]] = same
        fresh.append(r)
    if result.error_rows or not fresh:
        return
    _check_balances(db, team_id, fresh, customers, result)
    if result.error_rows:
        return
    touched: set[int] = set()
    for r in fresh:
        v = r.values
        ledger.record(
            db, team_id, r.customer_id, v["kind"], v["amount"], v["currency"], v["on"],
            source=source, ref=v["ref"], by=by, now=now, note=v["note"],
        )  # fmt: skip
        result.inserted += 1
        touched.add(r.customer_id)
    balances = ledger.balances(db, team_id, sorted(touched))
    for cid in touched:
        c, b = customers[cid], balances.get(cid)
        if b is None:
            continue
        if b.amount > 0:
            c.arr, c.currency = b.amount, b.currency
            if c.stage == ledger.CHURNED:
                c.stage = "onboarding"  # a reactivated customer starts again
        elif c.stage != ledger.CHURNED:
            c.stage = ledger.CHURNED  # the ledger says churned: Baton stops reminding about its renewal
        c.updated_at = now
        db.add(c)
    db.flush()


def _check_balances(db, team_id, fresh: list[_Row], customers, result: ImportResult) -> None:
    """No movement may take a customer's balance in a currency below zero, replayed in date order with the
    movements already recorded."""
    by_customer: dict[int, list[tuple]] = defaultdict(list)
    for order, r in enumerate(fresh):
        v = r.values
        by_customer[r.customer_id].append((v["on"], 1, order, ledger.signed(v["kind"], v["amount"]), v["currency"], r))
    ids = sorted(by_customer)
    m = ArrMovement.__table__
    for i in range(0, len(ids), CHUNK):
        stmt = sa_select(m.c.customer_id, m.c.effective_on, m.c.id, m.c.kind, m.c.amount, m.c.currency).where(
            m.c.team_id == team_id, m.c.customer_id.in_(ids[i : i + CHUNK])
        )
        for cid, on, mid, kind, amount, currency in db.connection().execute(stmt):
            by_customer[cid].append((on, 0, mid, ledger.signed(kind, Decimal(amount)), currency, None))
    for cid, items in by_customer.items():
        running: dict[str, Decimal] = defaultdict(Decimal)
        for on, _new, _order, amount, currency, row in sorted(items, key=lambda x: x[:3]):
            running[currency] += amount
            if running[currency] < 0 and row is not None:
                name = customers[cid].name
                reason = (
                    f"amount: this {row.values['kind']} takes {_show(name)}'s ARR in {currency} below zero on "
                    f"{on.isoformat()} (balance {running[currency] - amount} before it)"
                )
                result.reject_row(row.where, [("below_zero", reason)])
                break


# --------------------------------------------------------------------------------------------- outcomes


def _outcomes(db, team_id, good, customers, result, source, by, now) -> None:
    keys = {(r.customer_id, r.values["renewal_date"]) for r in good}
    stored: dict[tuple[int, date], RenewalOutcome] = {}
    ids = sorted({k[0] for k in keys})
    for i in range(0, len(ids), CHUNK):
        stmt = select(RenewalOutcome).where(
            RenewalOutcome.team_id == team_id, col(RenewalOutcome.customer_id).in_(ids[i : i + CHUNK])
        )
        stored.update({(o.customer_id, o.renewal_date): o for o in db.exec(stmt)})
    seen: dict[tuple, tuple] = {}
    fresh: list[_Row] = []
    for r in good:
        v = r.values
        key = (r.customer_id, v["renewal_date"])
        same = (v["outcome"], v["arr_after"])
        old = stored.get(key)
        if old is not None:
            if old.outcome == v["outcome"] and (v["arr_after"] is None or old.arr_after == v["arr_after"]):
                result.unchanged += 1
            else:
                when = old.recorded_at.date().isoformat() if old.recorded_at else "?"
                reason = (f"outcome: the renewal of {v['renewal_date']} is already recorded as {old.outcome} "
                          f"(by {old.recorded_by or '?'} on {when})")  # fmt: skip
                result.reject_row(r.where, [("already_recorded", reason)])
            continue
        if key in seen:
            if seen[key] == same:
                result.unchanged += 1
            else:
                result.reject_row(r.where, [("duplicate", "renewal_date: the same renewal appears twice, differently")])
            continue
        seen[key] = same
        fresh.append(r)
    if result.error_rows:
        return
    for r in sorted(fresh, key=lambda r: (r.customer_id, r.values["renewal_date"])):
        v = r.values
        done = ro.record_outcome(
            db, customers[r.customer_id], v["renewal_date"], v["outcome"],
            arr_after=v["arr_after"], arr_before=v["arr_before"], currency=v["currency"], reason=v["reason"],
            source=source, by=by, now=now,
        )  # fmt: skip
        if done.status == "ok":
            result.inserted += 1
        else:
            result.unchanged += 1


# --------------------------------------------------------------------------------------------- NPS responses


def _responses(db, team_id, good, result, source, now, rules) -> None:
    ids = sorted({r.customer_id for r in good})
    stored: dict[tuple, NpsResponse] = {}
    for i in range(0, len(ids), CHUNK):
        stmt = select(NpsResponse).where(
            NpsResponse.team_id == team_id, col(NpsResponse.customer_id).in_(ids[i : i + CHUNK])
        )
        stored.update({(n.customer_id, n.respondent, n.responded_on): n for n in db.exec(stmt)})
    seen: dict[tuple, tuple] = {}
    changed: dict[int, set[date]] = defaultdict(set)
    writes: list = []
    for r in good:
        v = r.values
        key = (r.customer_id, v["respondent"], v["on"])
        same = (v["score"], v["comment"])
        if key in seen:
            if seen[key] == same:
                result.unchanged += 1
            else:
                result.reject_row(r.where, [("duplicate", "respondent: the same answer appears twice, differently")])
            continue
        seen[key] = same
        old = stored.get(key)
        if old is None:
            writes.append(NpsResponse(team_id=team_id, customer_id=r.customer_id, respondent=v["respondent"],
                                      score=v["score"], comment=v["comment"], responded_on=v["on"],
                                      source=source, created_at=now))  # fmt: skip
            result.inserted += 1
        elif (old.score, old.comment) == same:
            result.unchanged += 1
            continue
        else:
            writes.append((old, v["score"], v["comment"]))
            result.updated += 1
        changed[r.customer_id].add(v["on"])
    if result.error_rows:
        return
    for w in writes:
        if isinstance(w, tuple):
            w[0].score, w[0].comment = w[1], w[2]
            w = w[0]
        db.add(w)
    db.flush()
    refresh_nps_signal(db, team_id, changed, now=now, rules=rules)


def account_nps(db: Session, team_id: str, customer_id: int, day: date) -> float | None:
    """The account's `nps` signal on `day`: the mean score (0-10) of each respondent's latest answer within the
    NPS_WINDOW_DAYS up to `day`; None without answers. (NPS itself, % promoters − % detractors, is computed over
    respondents by the KPIs, never from this per-account value.)"""
    rows = db.exec(
        select(NpsResponse.respondent, NpsResponse.responded_on, NpsResponse.score).where(
            NpsResponse.team_id == team_id,
            NpsResponse.customer_id == customer_id,
            col(NpsResponse.responded_on) <= day,
            col(NpsResponse.responded_on) > day - timedelta(days=NPS_WINDOW_DAYS),
        )
    ).all()
    latest: dict[str, tuple[date, int]] = {}
    for respondent, on, score in rows:
        if respondent not in latest or on > latest[respondent][0]:
            latest[respondent] = (on, score)
    if not latest:
        return None
    return round(sum(s for _, s in latest.values()) / len(latest), 2)


def refresh_nps_signal(
    db: Session, team_id: str, changed: Mapping[int, set[date]], *, now: datetime, rules: HealthRules | None
) -> int:
    """Write each affected customer's `nps` snapshot (source nps_responses) for every day an answer changed and
    every later derived day within the window, then refresh their health state; returns snapshots written."""
    hs = HealthSnapshot.__table__
    rows = []
    for cid, days in changed.items():
        start, end = min(days), max(days) + timedelta(days=NPS_WINDOW_DAYS)
        later = db.connection().execute(
            sa_select(hs.c.as_of)
            .distinct()
            .where(
                hs.c.team_id == team_id,
                hs.c.customer_id == cid,
                hs.c.signal == "nps",
                hs.c.source == NPS_SOURCE,
                hs.c.as_of >= start,
                hs.c.as_of < end,
            )  # fmt: skip
        )
        for day in sorted(set(days) | {d for (d,) in later}):
            value = account_nps(db, team_id, cid, day)
            if value is not None:
                rows.append((cid, "nps", day, NPS_SOURCE, value))
    counts = upsert_snapshots(db, team_id, rows, now=now, recorded_by=NPS_SOURCE)
    after_snapshots_written(db, team_id, counts.changed, now.date(), now=now, rules=rules)
    return counts.inserted + counts.updated
