"""The customers file: each row checked, matched to the customer it updates (or none: a new one) and checked
against the other rows, owners' emails resolved to Slack users, then written in the caller's transaction, all
or nothing unless skip-invalid."""

import hashlib
import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from bot.models import Customer
from bot.services.imports.formats import Problem, _show, domain_key
from bot.services.imports.parse import _parse_customer, read_customers_csv
from bot.services.imports.report import ImportResult
from bot.services.imports.write import _CustomerPlan, refused, write_customers


class UserLookupFailed(Exception):
    """The user directory could not answer (Slack down, rate limited): keep the owner id we had."""


def import_customers(
    db: Session,
    team_id: str,
    path: str | os.PathLike,
    *,
    now: datetime,
    find_user: Callable[[str], str | None] | None = None,
    skip_invalid: bool = False,
    default_currency: str = "USD",
) -> ImportResult:
    """Create or update the team's customers from a customers CSV, all or nothing unless `skip_invalid`.

    A row updates the customer with its external_id, else the one with its domain, else the one with its name
    key; otherwise it creates one. Emails are resolved to Slack users with `find_user` (cached for the run;
    returns None for nobody, raises UserLookupFailed when it cannot tell); unknown emails are warnings."""
    columns, rows, warnings = read_customers_csv(path)
    result = ImportResult(rows=len(rows), warnings=warnings)
    plans = _plan_rows(db, team_id, rows, default_currency, result)
    if refused(result, skip_invalid):
        return result
    users: dict[str, str | None] = {}
    for plan in plans:  # Slack lookups before any write, so no write lock is held while waiting on Slack
        _resolve_owners(plan, find_user, users, result)
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]
    write_customers(db, team_id, plans, now=now, result=result, source_ref=f"customers:{digest}")
    return result


class _Existing:
    """The team's customers by external id, name key and domain (several customers may share a domain)."""

    def __init__(self, db: Session, team_id: str):
        existing = list(db.exec(select(Customer).where(Customer.team_id == team_id)).scalars())
        self.by_ext = {c.external_id: c for c in existing if c.external_id}
        self.by_name = {c.name_key: c for c in existing}
        self.by_domain: dict[str, list[Customer]] = {}
        for c in existing:
            key = domain_key(c.domain)
            if key:
                self.by_domain.setdefault(key, []).append(c)


class _Claims:
    """The line that claimed each customer, external id and name key so far: a second row for one is refused."""

    def __init__(self) -> None:
        self.ids: dict[int, int] = {}
        self.ext: dict[str, int] = {}
        self.name: dict[str, int] = {}

    def conflicts(self, target: Customer | None, values: dict[str, Any]) -> list[Problem]:
        problems: list[Problem] = []
        ext, key = values.get("external_id"), values["name_key"]
        if target is not None and target.id in self.ids:
            problems.append(("duplicate", f"same customer as line {self.ids[target.id]}"))
        if ext and ext in self.ext:
            problems.append(("duplicate", f"external_id {_show(ext)} also on line {self.ext[ext]}"))
        if key in self.name:
            problems.append(("duplicate", f"name {_show(values['name'])} also on line {self.name[key]}"))
        return problems

    def claim(self, line: int, target: Customer | None, values: dict[str, Any]) -> None:
        if target is not None:
            self.ids[target.id] = line  # type: ignore[index]
        if values.get("external_id"):
            self.ext[values["external_id"]] = line
        self.name[values["name_key"]] = line


def _plan_rows(
    db: Session, team_id: str, rows: list[tuple[int, dict[str, str]]], default_currency: str, result: ImportResult
) -> list[_CustomerPlan]:
    """The plan of each valid row, in file order; each invalid row is rejected in `result` with its problems."""
    existing = _Existing(db, team_id)
    claims = _Claims()
    plans: list[_CustomerPlan] = []
    for line, cells in rows:
        if "__too_many__" in cells:
            result.reject_row(line, [("too_many_fields", f"{cells['__too_many__']} fields but the header has fewer")])
            continue
        values, problems = _parse_customer(cells, default_currency)
        target: Customer | None = None
        if not problems:
            target, problems = _match_customer(values, existing.by_ext, existing.by_domain, existing.by_name)
        if not problems:
            problems = claims.conflicts(target, values)
        if problems:
            result.reject_row(line, problems)
            continue
        claims.claim(line, target, values)
        plans.append(_CustomerPlan(line, target, values))
    return plans


def _match_customer(
    values: dict[str, Any],
    by_ext: dict[str, Customer],
    by_domain: dict[str, list[Customer]],
    by_name: dict[str, Customer],
) -> tuple[Customer | None, list[Problem]]:
    """The existing customer a row updates (external id, then domain, then name key), or None for a new one."""
    ext, domain, key = values.get("external_id"), values.get("domain"), values["name_key"]
    target = by_ext.get(ext) if ext else None
    if target is None and domain:
        # A customer that already has another external id is another company sharing the domain.
        candidates = [c for c in by_domain.get(domain, []) if not (ext and c.external_id)]
        if len(candidates) == 1:
            target = candidates[0]
    if target is None:
        named = by_name.get(key)
        if named is not None:
            if ext and named.external_id and named.external_id != ext:
                return None, [
                    (
                        "name_conflict",
                        f"name {_show(values['name'])} belongs to another customer "
                        f"(external_id {_show(named.external_id)})",
                    )
                ]
            target = named
    if target is not None and by_name.get(key, target) is not target:
        return None, [("name_conflict", f"name {_show(values['name'])} belongs to another customer")]
    return target, []


def _resolve_owners(
    plan: _CustomerPlan,
    find_user: Callable[[str], str | None] | None,
    cache: dict[str, str | None],
    result: ImportResult,
) -> None:
    """Set owner_user_id / ae_user_id from the row's emails; unknown emails stay in the *_email columns."""
    for email_col, user_col in (("owner_email", "owner_user_id"), ("ae_email", "ae_user_id")):
        if email_col not in plan.values:
            continue
        email = plan.values[email_col]
        if not email:
            plan.values[user_col] = None
            continue
        if find_user is None:
            continue
        if email not in cache:
            try:
                cache[email] = find_user(email)
            except UserLookupFailed as exc:
                result.warn(plan.line, "lookup_failed", f"{email_col}: could not look up {email} ({exc})")
                continue
        user_id = cache[email]
        if user_id is None:
            result.warn(plan.line, "unknown_user", f"{email_col}: no Slack user with email {email} (email kept)")
        plan.values[user_col] = user_id
