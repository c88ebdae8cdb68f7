"""CRM webhook deliveries: stored before answering (inbox), processed afterwards with retries."""

import json
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from slack_sdk.errors import SlackApiError
from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col

from bot.background import BackgroundLoop
from bot.config import Settings
from bot.crm.events import PayloadError, is_closed_won, parse_generic_deal, parse_hubspot_events
from bot.crm.http import CrmApiError, CrmNotConfigured, WonDeal
from bot.crm.hubspot import HubSpotClient, HubSpotError
from bot.crm.pipedrive import PipedriveClient
from bot.crm.salesforce import SalesforceClient, deal_from_fields
from bot.db import Sessions
from bot.models import WebhookEvent
from bot.services import handoff as hs
from bot.services import outbox
from bot.services.queue import backoff, claim, due_ids
from bot.slack_users import UserDirectory

log = logging.getLogger("baton.inbox")
LEASE = timedelta(minutes=2)
MAX_ATTEMPTS = 30  # with the 5-minute cap: about two hours of retrying
HELD = "held"  # waiting for a CRM's API credentials; replayed by the first inbox pass of a process that has them


def store(db: Session, source: str, items: list[tuple[str, dict]], now: datetime) -> int:
    """Insert (event_key, payload) rows once each; a redelivered key is ignored. Returns rows added."""
    if not items:
        return 0
    insert = pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    rows = [
        {
            "source": source,
            "event_key": key[:255],
            "payload": json.dumps(payload, default=str),
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "received_at": now,
        }
        for key, payload in items
    ]
    stmt = (
        insert(WebhookEvent)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["source", "event_key"])
        .returning(WebhookEvent.id)
    )
    return len(db.exec(stmt).all())  # type: ignore[call-overload]


def _retry_after(exc: Exception) -> timedelta:
    """How long the failing service asked us to wait (HubSpot's or Slack's Retry-After), else zero."""
    seconds: object = None
    if isinstance(exc, HubSpotError | CrmApiError):
        seconds = exc.retry_after
    elif isinstance(exc, SlackApiError) and exc.response is not None and exc.response.status_code == 429:
        headers = exc.response.headers or {}
        seconds = headers.get("Retry-After", headers.get("retry-after"))
    try:
        return timedelta(seconds=max(float(seconds or 0), 0.0))
    except (TypeError, ValueError, OverflowError):
        return timedelta(0)


class Inbox(BackgroundLoop):
    """Turns stored CRM events into draft handoffs and fill requests."""

    THREAD, IDLE = "baton-inbox", 2.0

    def __init__(
        self,
        settings: Settings,
        sessions: Sessions,
        users: UserDirectory,
        team_id: Callable[[], str],
        clock: Callable[[], datetime],
        hubspot: Callable[[], HubSpotClient | None],
        on_enqueued: Callable[[], None] = lambda: None,
        salesforce: Callable[[], SalesforceClient | None] = lambda: None,
        pipedrive: Callable[[], PipedriveClient | None] = lambda: None,
    ):
        self.settings = settings
        self.sessions = sessions
        self.users = users
        self.team_id = team_id
        self.clock = clock
        self.hubspot = hubspot
        self.salesforce = salesforce
        self.pipedrive = pipedrive
        self.on_enqueued = on_enqueued
        self._released = False
        super().__init__(log)

    def configured_crms(self) -> list[str]:
        """The CRMs whose API this process can read (their held events can be replayed)."""
        s = self.settings
        flags = {"hubspot": bool(s.hubspot_access_token), "salesforce": s.salesforce_api, "pipedrive": s.pipedrive_api}
        return [crm for crm, ok in flags.items() if ok]

    def release_held(self) -> int:
        """Put events held for a CRM whose credentials are now set back in the queue; returns how many."""
        crms = self.configured_crms()
        if not crms:
            return 0
        sources = [*crms, "reconcile"]  # a reconcile row names its CRM in its payload: held again if still unset
        with self.sessions.begin() as db:
            result = db.exec(  # type: ignore[call-overload]
                update(WebhookEvent)
                .where(col(WebhookEvent.status) == HELD, col(WebhookEvent.source).in_(sources))
                .values(status="pending", attempts=0, next_attempt_at=self.clock(), last_error=None)
            )
        if result.rowcount:
            log.info("inbox: %d held events replayed (API credentials now set for %s)", result.rowcount, crms)
        return result.rowcount

    def run_once(self) -> int:
        """Process every due event once; returns how many were attempted."""
        if not self._released:  # once per process: settings (the CRM tokens) only change with a restart
            self.release_held()
            self._released = True
        with self.sessions.begin() as db:
            ids = due_ids(db, WebhookEvent, self.clock())
        for row_id in ids:
            with self.sessions.begin() as db:
                if not claim(db, WebhookEvent, row_id, self.clock(), LEASE):
                    continue
                row = db.get(WebhookEvent, row_id)
                source, payload, attempts = row.source, json.loads(row.payload), row.attempts
            try:
                outcome = self._process(source, payload)
            except CrmNotConfigured as exc:  # kept, not failed: replayed once the token is set
                self._hold(row_id, exc)
                continue
            except Exception as exc:  # retried: CRM down, Slack down, a bug fixed by a deploy
                # A body that no longer parses (stored before a stricter rule, e.g. a NUL) never will: fail it now.
                retryable = not isinstance(exc, PayloadError) and (
                    not isinstance(exc, HubSpotError | CrmApiError) or exc.retryable
                )
                self._retry_or_fail(row_id, attempts, exc, retryable)
                continue
            self._done(row_id, outcome)
        return len(ids)

    def _done(self, row_id: int, outcome: str) -> None:
        with self.sessions.begin() as db:
            row = db.get(WebhookEvent, row_id)
            row.status, row.processed_at, row.lease_until = outcome, self.clock(), None
            db.add(row)

    def _hold(self, row_id: int, exc: CrmNotConfigured) -> None:
        log.warning("inbox %s held: %s", row_id, exc)
        with self.sessions.begin() as db:
            row = db.get(WebhookEvent, row_id)
            row.status, row.lease_until, row.last_error = HELD, None, str(exc)[:2000]
            db.add(row)

    def _retry_or_fail(self, row_id: int, attempts: int, exc: Exception, retryable: bool) -> None:
        give_up = not retryable or attempts >= MAX_ATTEMPTS
        (log.error if give_up else log.warning)("inbox %s attempt %s failed: %s", row_id, attempts, exc)
        with self.sessions.begin() as db:
            row = db.get(WebhookEvent, row_id)
            row.last_error, row.lease_until = f"{type(exc).__name__}: {exc}"[:2000], None
            if give_up:
                row.status = "failed"
            else:  # never sooner than the CRM or Slack asked (Retry-After): platform rules
                row.next_attempt_at = self.clock() + max(backoff(attempts), _retry_after(exc))
            db.add(row)

    # -- turning events into drafts ----------------------------------------------------------------
    def _process(self, source: str, payload: dict) -> str:
        if source == "hubspot":
            deal = self._hubspot_deal(payload)
        elif source == "salesforce":  # an Outbound Message notification
            won = deal_from_fields(payload["fields"]) or self.read_deal("salesforce", str(payload["fields"]["Id"]))
            deal = _facts(won)
        elif source == "pipedrive":
            deal = _facts(self.read_deal("pipedrive", str(payload["deal_id"])))
        elif source == "reconcile":
            deal = _facts(self.read_deal(str(payload["crm"]), str(payload["deal_id"])))
        else:
            g = parse_generic_deal(json.dumps(payload).encode())
            deal = hs.DealFacts(
                source=g.source,
                deal_id=g.deal_id,
                company=g.company,
                deal_name=g.deal_name,
                company_id=g.company_id,
                company_domain=g.company_domain,
                amount=g.amount,
                currency=g.currency,
                close_date=g.close_date,
                owner_email=g.owner_email,
            )
        if deal is None:
            return "ignored"
        self.start_handoff(deal)
        return "done"

    def read_deal(self, crm: str, deal_id: str) -> WonDeal | None:
        """The deal as the CRM's API tells it now (None when it is gone); CrmNotConfigured without credentials."""
        if crm == "hubspot":
            return self._hubspot_won(deal_id)
        if crm == "salesforce":
            client = self.salesforce()
            if client is None:
                raise CrmNotConfigured(crm, "SALESFORCE_INSTANCE_URL, SALESFORCE_CLIENT_ID and _SECRET are")
            with client:
                return client.opportunity(deal_id)
        if crm == "pipedrive":
            client = self.pipedrive()
            if client is None:
                raise CrmNotConfigured(crm, "PIPEDRIVE_API_URL and PIPEDRIVE_API_TOKEN are")
            with client:
                return client.deal(deal_id)
        raise PayloadError(f"unknown CRM {crm[:32]!r}")

    def _hubspot_client(self) -> HubSpotClient:
        client = self.hubspot()
        if client is None:
            raise CrmNotConfigured("hubspot", "HUBSPOT_ACCESS_TOKEN is")
        return client

    def _hubspot_won(self, deal_id: str) -> WonDeal:
        with self._hubspot_client() as client:
            info = client.fetch_deal_info(deal_id)
        return WonDeal(
            source="hubspot",
            deal_id=info.deal_id,
            company=info.company_name or info.name or f"HubSpot deal {info.deal_id}",
            won=info.stage in self.settings.hubspot_closed_won_stages,
            deal_name=info.name,
            company_id=info.company_id,
            company_domain=info.company_domain,
            amount=info.amount,
            currency=info.currency,
            close_date=info.close_date,
            owner_email=info.owner_email,
        )

    def _hubspot_deal(self, payload: dict) -> hs.DealFacts | None:
        event = parse_hubspot_events(json.dumps([payload]).encode())[0]
        won = is_closed_won(event, set(self.settings.hubspot_closed_won_stages))
        if won is False:
            return None
        # a creation not (yet) won, or a stage moved back before we read it: None
        return _facts(self._hubspot_won(event.object_id))

    def start_handoff(self, deal: hs.DealFacts) -> None:
        """Create the draft once and queue one fill request: a DM to the owner, or a post asking who fills it."""
        team_id = self.team_id()
        owner = self.users.find_by_email(deal.owner_email) if deal.owner_email else None
        now = self.clock()
        with self.sessions.begin() as db:
            h, _created = hs.create_draft_from_deal(
                db, team_id, deal, default_currency=self.settings.default_currency, now=now
            )
            if h.status != hs.DRAFT:
                return
            if owner and not h.ae_user_id:
                h.ae_user_id = owner
                db.add(h)
            params = {"handoff_id": h.id, "owner_user_id": owner, "channel": self.settings.handoff_channel}
            outbox.enqueue(db, team_id, f"handoff:{h.id}:fill", hs.HandoffKind.FILL_REQUEST, params, now=now)
        self.on_enqueued()


def _facts(deal: WonDeal | None) -> hs.DealFacts | None:
    """The handoff service's DealFacts for a deal the CRM says is won; None for one gone or not won."""
    if deal is None or not deal.won:
        return None
    return hs.DealFacts(
        source=deal.source,
        deal_id=deal.deal_id,
        company=deal.company,
        deal_name=deal.deal_name,
        company_id=deal.company_id,
        company_domain=deal.company_domain,
        amount=deal.amount,
        currency=deal.currency,
        close_date=deal.close_date,
        owner_email=deal.owner_email,
    )
