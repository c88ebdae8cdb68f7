"""The daily CRM reconcile: ask each CRM with API credentials for the deals won in the last N days and queue the
ones that have no handoff yet, so a lost webhook (Salesforce drops undelivered outbound messages after 24 hours)
never leaves a deal without its handoff.

Queued deals are inbox rows (source `reconcile`, key `<crm>:deal:<id>`, unique): the inbox reads each from its
CRM and drafts it through the same path as a webhook, and create_draft_from_deal keeps one handoff per deal, so
a deal that a webhook and the reconcile both bring, or two reconciles, gets one draft and one fill request.
Transactions stay short: the CRM is asked outside any, each write is a batch of at most BATCH rows.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select

from bot.crm.http import CrmApiError
from bot.crm.hubspot import HubSpotError
from bot.inbox import store
from bot.models import Handoff, Occurrence, WebhookEvent

log = logging.getLogger("baton.reconcile")
BATCH = 200
REARM = ("failed", "ignored")  # a queued deal that did not become a handoff then is tried again


@dataclass
class CrmReport:
    crm: str
    found: int = 0  # won in the window
    with_handoff: int = 0
    missing: list[str] = field(default_factory=list)  # deal ids without a handoff
    queued: int = 0  # new inbox rows
    requeued: int = 0  # earlier reconcile rows that had failed or been ignored, queued again
    error: str | None = None


def _listers(deps) -> list[tuple[str, Callable[[datetime], list[str]]]]:
    """(crm, list won deal ids since) for every CRM whose API this process can read."""
    out: list[tuple[str, Callable[[datetime], list[str]]]] = []
    stages = deps.settings.hubspot_closed_won_stages

    def hubspot(since: datetime) -> list[str]:
        with deps.hubspot_factory() as client:
            return client.closed_won_since(stages, since)

    def salesforce(since: datetime) -> list[str]:
        with deps.salesforce_factory() as client:
            return [d.deal_id for d in client.won_since(since.date())]

    def pipedrive(since: datetime) -> list[str]:
        with deps.pipedrive_factory() as client:
            return client.won_since(since)

    for crm, lister in (("hubspot", hubspot), ("salesforce", salesforce), ("pipedrive", pipedrive)):
        if crm in deps.inbox.configured_crms():
            out.append((crm, lister))
    return out


def _with_handoff(deps, team_id: str, crm: str, ids: list[str]) -> set[str]:
    found: set[str] = set()
    for i in range(0, len(ids), BATCH):
        with deps.sessions.begin() as db:
            found |= set(
                db.exec(
                    select(Handoff.crm_deal_id).where(
                        Handoff.team_id == team_id,
                        Handoff.crm_source == crm,
                        col(Handoff.crm_deal_id).in_(ids[i : i + BATCH]),
                    )
                )
            )
    return found


def _queue(deps, crm: str, missing: list[str], now: datetime) -> tuple[int, int]:
    """Queue the missing deals as reconcile rows; (new rows, earlier rows queued again)."""
    added = rearmed = 0
    for i in range(0, len(missing), BATCH):
        chunk = missing[i : i + BATCH]
        keys = [f"{crm}:deal:{deal_id}" for deal_id in chunk]
        with deps.sessions.begin() as db:
            added += store(
                db, "reconcile", [(k, {"crm": crm, "deal_id": d}) for k, d in zip(keys, chunk, strict=True)], now
            )
            rearmed += db.exec(  # type: ignore[call-overload]
                update(WebhookEvent)
                .where(WebhookEvent.source == "reconcile", col(WebhookEvent.event_key).in_(keys))
                .where(col(WebhookEvent.status).in_(REARM))
                .values(status="pending", attempts=0, next_attempt_at=now, last_error=None)
            ).rowcount
    return added, rearmed


def reconcile(deps, team_id: str, *, days: int, dry_run: bool = False) -> list[CrmReport]:
    """What each configured CRM says was won in the last `days` days, and what had no handoff (queued unless
    `dry_run`). A CRM that cannot be read is reported with its error; the others go on."""
    now = deps.clock()
    since = now - timedelta(days=days)
    reports = []
    for crm, lister in _listers(deps):
        report = CrmReport(crm)
        reports.append(report)
        try:
            ids = list(dict.fromkeys(lister(since)))
        except (HubSpotError, CrmApiError) as exc:
            report.error = exc.message
            log.error("reconcile: cannot list %s's won deals: %s", crm, exc.message)
            continue
        have = _with_handoff(deps, team_id, crm, ids)
        report.found, report.with_handoff = len(ids), len(have)
        report.missing = [i for i in ids if i not in have]
        if report.missing and not dry_run:
            report.queued, report.requeued = _queue(deps, crm, report.missing, now)
            deps.inbox.wake()
        log.info(
            "reconcile %s: %d won since %s, %d without a handoff, %d queued, %d queued again",
            crm,
            report.found,
            since.date(),
            len(report.missing),
            report.queued,
            report.requeued,
        )
    return reports


def run_daily(deps) -> int:
    """The worker's job (hourly tick): reconcile once per UTC day, claimed as a schedule occurrence so two workers
    or a restart never run it twice; a day on which every CRM failed is released to be tried on the next tick."""
    if not deps.inbox.configured_crms():
        return 0
    team_id, now = deps.team_id(), deps.clock()
    key = f"crm.reconcile:{now.date().isoformat()}"
    insert = pg_insert if deps.sessions.engine.dialect.name == "postgresql" else sqlite_insert
    with deps.sessions.begin() as db:
        claimed = db.exec(  # type: ignore[call-overload]
            insert(Occurrence)
            .values(team_id=team_id, key=key, schedule="crm", kind="crm.reconcile", due_at=now, created_at=now)
            .on_conflict_do_nothing(index_elements=["team_id", "key"])
            .returning(Occurrence.id)
        ).all()
    if not claimed:
        return 0
    reports = reconcile(deps, team_id, days=deps.settings.reconcile_days)
    if reports and all(r.error for r in reports):
        with deps.sessions.begin() as db:
            db.exec(delete(Occurrence).where(Occurrence.team_id == team_id, Occurrence.key == key))  # type: ignore[call-overload]
        return 0
    with deps.sessions.begin() as db:
        db.exec(  # type: ignore[call-overload]
            update(Occurrence)
            .where(Occurrence.team_id == team_id, Occurrence.key == key)
            .values(status="sent", sent_at=deps.clock())
        )
    return sum(r.queued + r.requeued for r in reports)
