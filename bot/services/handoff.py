"""Handoff rules: validate the form, save a handoff with its customer, promises and stakeholders, act on it."""

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.errors import UserError
from bot.models import ACCEPTED, DRAFT, SUBMITTED, Customer, Handoff, Promise, Stakeholder
from bot.services import ledger, outbox, voc
from bot.services.handoff_form import (  # noqa: F401 - the form's names are the handoff service's too
    CRM_ID_MAX,
    REASON_MAX,
    CrmRef,
    FieldError,
    HandoffForm,
    completeness,
    missing_fields,
    parse_crm_ref,
    validate_handoff,
)
from bot.services.home_refresh import queue_refresh
from bot.text import normalize_key

MAX_ARR = Decimal("10000000000000000")  # NUMERIC(18, 2)
MANUAL_LINK_WINDOW = timedelta(days=30)  # a hand-made handoff this recent is the CRM deal's handoff


class HandoffKind(outbox.OutboxKind):
    """The outbox messages the handoff queues (drawn at send time by bot/renderers/handoff.py)."""

    CARD_POST = "handoff_card.post"
    CARD_UPDATE = "handoff_card.update"
    ASK_AE = "handoff.ask_ae"
    BAD_FIT = "handoff.bad_fit"
    FILL_REQUEST = "handoff.fill_request"  # queued by bot/inbox.py for a draft made from a CRM deal
    SUBMITTED_DM = "handoff.submitted_dm"  # to the submitter, once the card is up: where it is
    FILL_DONE = "handoff.fill_request.done"  # the fill request DM updated to ✅ Submitted
    ACCEPTED_DM = "handoff.accepted_dm"  # to the AE: who took the customer, and the kickoff


class HandoffError(UserError):
    """A handoff rule refused the action (`err.<code>`)."""


# --- reading ---------------------------------------------------------------------------------------


def get_handoff(db: Session, team_id: str, handoff_id: int) -> Handoff:
    """The team's handoff, or HandoffError("not_found") (never another team's)."""
    h = db.exec(select(Handoff).where(Handoff.id == handoff_id, Handoff.team_id == team_id)).first()
    if h is None:
        raise HandoffError("not_found")
    return h


def find_open_draft(db: Session, team_id: str, customer_name: str) -> Handoff | None:
    """The newest draft handoff for the customer with that name (the one /handoff NAME should prefill)."""
    key = normalize_key(customer_name)
    if not key:
        return None
    stmt = (
        select(Handoff)
        .join(Customer, col(Customer.id) == col(Handoff.customer_id), isouter=True)
        .where(Handoff.team_id == team_id, Handoff.status == DRAFT)
        .where((Customer.name_key == key) | (Handoff.customer_name == customer_name))
        .order_by(col(Handoff.id).desc())
    )
    return db.exec(stmt).first()


def promises_of(db: Session, handoff: Handoff) -> list[Promise]:
    stmt = select(Promise).where(Promise.handoff_id == handoff.id).order_by(col(Promise.position))
    return list(db.exec(stmt))


def stakeholders_of(db: Session, handoff: Handoff) -> list[Stakeholder]:
    stmt = select(Stakeholder).where(Stakeholder.handoff_id == handoff.id).order_by(col(Stakeholder.position))
    return list(db.exec(stmt))


# --- writing ---------------------------------------------------------------------------------------


def _customer_for(db: Session, team_id: str, name: str, now: datetime, current_id: int | None) -> Customer:
    """The handoff's customer renamed to `name`, or the team's customer of that name, created if new."""
    key = normalize_key(name) or name.casefold()
    existing = db.exec(select(Customer).where(Customer.team_id == team_id, Customer.name_key == key)).first()
    if current_id is not None:
        current = db.get(Customer, current_id)
        if existing is not None and existing.id != current_id:
            raise HandoffError("name_taken", name=existing.name)
        current.name, current.name_key = name, key
        return current
    if existing is not None:
        return existing
    customer = Customer(team_id=team_id, name=name, name_key=key, created_at=now, updated_at=now)
    try:
        with db.begin_nested():  # two people creating the same customer at once: one row
            db.add(customer)
            db.flush()
    except IntegrityError:
        return db.exec(select(Customer).where(Customer.team_id == team_id, Customer.name_key == key)).one()
    return customer


def _write_children(db: Session, h: Handoff, form: HandoffForm) -> None:
    """Replace stakeholders; merge promises by text so a tracked promise keeps its status across edits."""
    for s in stakeholders_of(db, h):
        db.delete(s)
    for i, s in enumerate(form.stakeholders):
        db.add(
            Stakeholder(
                team_id=h.team_id,
                handoff_id=h.id,
                customer_id=h.customer_id,
                position=i,
                role=s.role,
                role_key=s.role_key,
                name=s.name,
                title=s.title,
                email=s.email,
            )
        )
    old = {p.text.strip().casefold(): p for p in promises_of(db, h)}
    for i, p in enumerate(form.promises):
        row = old.pop(p.text.strip().casefold(), None) or Promise(team_id=h.team_id, handoff_id=h.id, text=p.text)
        row.customer_id, row.position, row.text = h.customer_id, i, p.text
        row.owner_user_id, row.owner_name, row.due_date = p.owner_user_id, p.owner_name, p.due_date
        db.add(row)
    for gone in old.values():
        db.delete(gone)


def _crm_conflict(db: Session, team_id: str, h: Handoff, customer: Customer, ref: CrmRef) -> HandoffError | None:
    """Why `ref` cannot be this handoff's: its company id is another customer's, or its deal another handoff's."""
    if ref.kind == "deal":
        stmt = select(Handoff).where(
            Handoff.team_id == team_id, Handoff.crm_source == ref.source, Handoff.crm_deal_id == ref.id
        )
        if h.id is not None:
            stmt = stmt.where(col(Handoff.id) != h.id)
        other = db.exec(stmt).first()
        if other is not None:
            return HandoffError("crm_deal_taken", field="crm_ref", id=ref.id, name=other.customer_name or "")
        return None
    stmt = select(Customer).where(Customer.team_id == team_id, Customer.crm_company_id == ref.id)
    if customer.id is not None:
        stmt = stmt.where(col(Customer.id) != customer.id)
    if ref.source is not None:  # a link names its CRM; an id typed alone may be any CRM's
        stmt = stmt.where(col(Customer.crm_source).in_((ref.source, "manual")))
    other_customer = db.exec(stmt).first()
    if other_customer is not None:
        return HandoffError("crm_id_taken", field="crm_ref", id=ref.id, name=other_customer.name)
    return None


def _link_crm(db: Session, team_id: str, h: Handoff, customer: Customer, ref: CrmRef | None) -> None:
    """Record the CRM record the AE named: a deal on the handoff (unless the CRM already gave it one), a company
    on the handoff and on its customer (unless the customer has another one from elsewhere). HandoffError on the
    crm_ref field when it belongs to another customer or handoff."""
    if ref is None or ref.id in (h.crm_company_id, h.crm_deal_id):
        return  # nothing typed, or what the form was prefilled with
    if ref.kind == "deal" and h.crm_deal_id is not None:
        return  # the deal the CRM created this handoff from stays
    conflict = _crm_conflict(db, team_id, h, customer, ref)
    if conflict is not None:
        raise conflict
    if ref.kind == "deal":
        h.crm_source, h.crm_deal_id = ref.source, ref.id
        return
    old, h.crm_company_id = h.crm_company_id, ref.id
    if customer.crm_company_id is None or (customer.crm_source == "manual" and customer.crm_company_id == old):
        customer.crm_source, customer.crm_company_id = ref.source or h.crm_source or "manual", ref.id
        db.add(customer)


def _flush_crm(db: Session, team_id: str, h: Handoff, customer: Customer, ref: CrmRef | None) -> None:
    """Flush in a savepoint: another submission that took the same CRM id a moment ago is refused on the field
    like one that took it before (the unique constraints decide), not a crash."""
    try:
        with db.begin_nested():
            db.flush()
    except IntegrityError:
        conflict = _crm_conflict(db, team_id, h, customer, ref) if ref is not None else None
        if conflict is None:
            raise
        raise conflict from None


@dataclass(frozen=True)
class SaveResult:
    handoff: Handoff
    customer: Customer
    created: bool  # a new handoff row
    first_submission: bool  # the card is being posted now
    duplicate: bool = False  # the same form was submitted before


def save_handoff(
    db: Session,
    team_id: str,
    user_id: str,
    form: HandoffForm,
    *,
    handoff_id: int | None,
    form_id: str | None,
    channel: str,
    now: datetime,
) -> SaveResult:
    """Save the form (new, a draft being completed, or an edit) in the caller's transaction; queue the card."""
    if handoff_id is not None:
        h = get_handoff(db, team_id, handoff_id)
        created = False
    else:
        if form_id:
            dup = db.exec(select(Handoff).where(Handoff.team_id == team_id, Handoff.form_id == form_id)).first()
            if dup is not None:
                return SaveResult(dup, db.get(Customer, dup.customer_id), False, False, duplicate=True)
        h = Handoff(team_id=team_id, form_id=form_id or uuid.uuid4().hex, status=DRAFT, created_at=now)
        created = True

    customer = _customer_for(db, team_id, form["customer_name"], now, h.customer_id)
    first = h.status == DRAFT
    arr_was = (h.arr, (h.currency or "").upper() or None)
    h.customer_id = customer.id
    for column, value in form.columns.items():  # every column the field table fills
        setattr(h, column, value)
    _link_crm(db, team_id, h, customer, form.crm_ref)
    if first:
        h.status, h.submitted_by, h.submitted_at = SUBMITTED, user_id, now
        h.card_channel = channel
    h.version += 1
    h.updated_at = now
    db.add(h)
    _flush_crm(db, team_id, h, customer, form.crm_ref)
    _update_customer(customer, h, form, now)
    # The ledger follows a handoff when it is submitted, and when an edit changes its ARR or currency: an edit
    # that leaves them alone (a stakeholder's email fixed) does not undo a later renewal outcome or import. The
    # movement is dated the contract start (a CRM deal's close date prefills it), else the deal's close date.
    if first or arr_was != (form["arr"], (form["currency"] or "").upper() or None):
        start = form["contract_start"] or h.crm_close_date or now.date()
        ref = f"handoff:{h.id}:v{h.version}"
        ledger.set_arr(
            db, customer, form["arr"], form["currency"], start, source="handoff", ref=ref, by=user_id, now=now
        )
    db.add(customer)
    _flush_crm(db, team_id, h, customer, form.crm_ref)
    _write_children(db, h, form)
    db.flush()
    # Feature requests raised during the sale become the customer's VoC, in this transaction; a resubmission
    # or an edit logs the same requests again, which adds nothing (one note per handoff and request text).
    voc.notes_from_handoff(db, team_id, h, user_id, now=now)

    if first:
        outbox.enqueue(db, team_id, f"handoff:{h.id}:card", HandoffKind.CARD_POST, {"handoff_id": h.id}, now=now)
        params = {"handoff_id": h.id, "user": user_id}
        outbox.enqueue(db, team_id, f"handoff:{h.id}:submitted_dm", HandoffKind.SUBMITTED_DM, params, now=now)
        if h.crm_deal_id:  # a CRM draft: its fill request (if it went out) says it is done
            outbox.enqueue(
                db, team_id, f"handoff:{h.id}:fill_done", HandoffKind.FILL_DONE, {"handoff_id": h.id}, now=now
            )
    else:
        queue_card_update(db, h, now)
    owners = {p.owner_user_id for p in promises_of(db, h)}
    queue_refresh(db, team_id, {user_id, h.ae_user_id, h.csm_user_id, customer.owner_user_id, *owners}, now=now)
    return SaveResult(h, customer, created, first)


def _update_customer(customer: Customer, h: Handoff, form: HandoffForm, now: datetime) -> None:
    """What the customer record takes from the handoff: the contract, the AE, a CSM and a CRM company if it
    has none yet (its ARR goes through the ledger)."""
    customer.contract_start, customer.renewal_date = form["contract_start"], form["renewal_date"]
    customer.ae_user_id = form["ae_user_id"]
    if form["csm_user_id"] and not customer.owner_user_id:
        customer.owner_user_id = form["csm_user_id"]
    if h.crm_company_id and not customer.crm_company_id:
        customer.crm_source, customer.crm_company_id = h.crm_source or "manual", h.crm_company_id
    customer.updated_at = now


def queue_card_update(db: Session, h: Handoff, now: datetime) -> None:
    """Queue a chat.update of the card drawn from the handoff's state at send time."""
    outbox.enqueue(
        db,
        h.team_id,
        f"handoff:{h.id}:card:v{h.version}",
        HandoffKind.CARD_UPDATE,
        {"handoff_id": h.id},
        now=now,
    )


@dataclass(frozen=True)
class AcceptOutcome:
    accepted: bool  # this click accepted it
    handoff: Handoff


def accept_handoff(db: Session, team_id: str, handoff_id: int, user_id: str, now: datetime) -> AcceptOutcome:
    """Make the clicking CSM the owner; exactly one of several concurrent clicks wins."""
    h = get_handoff(db, team_id, handoff_id)
    if h.status == DRAFT:
        raise HandoffError("not_submitted")
    result = db.exec(  # type: ignore[call-overload]
        update(Handoff)
        .where(col(Handoff.id) == handoff_id, col(Handoff.team_id) == team_id, col(Handoff.status) == SUBMITTED)
        .values(status=ACCEPTED, accepted_by=user_id, accepted_at=now, version=Handoff.version + 1, updated_at=now)
    )
    db.refresh(h)
    if result.rowcount != 1:
        return AcceptOutcome(False, h)
    customer = db.get(Customer, h.customer_id)
    if customer is not None:
        customer.owner_user_id, customer.updated_at = user_id, now
        db.add(customer)
    queue_card_update(db, h, now)
    outbox.enqueue(db, team_id, f"handoff:{h.id}:accepted_dm", HandoffKind.ACCEPTED_DM, {"handoff_id": h.id}, now=now)
    queue_refresh(db, team_id, {user_id, h.ae_user_id, h.csm_user_id}, now=now)
    return AcceptOutcome(True, h)


def ask_ae(
    db: Session, team_id: str, handoff_id: int, user_id: str, question: str, *, idem: str, now: datetime
) -> Handoff:
    """Queue the question for the card's thread, mentioning the AE; the same submission queues it once."""
    question = question.strip()
    if not question:
        raise HandoffError("required")
    if len(question) > REASON_MAX:
        raise HandoffError("too_long", limit=REASON_MAX, length=len(question))
    h = get_handoff(db, team_id, handoff_id)
    params = {"handoff_id": h.id, "asker": user_id, "question": question}
    outbox.enqueue(db, team_id, f"handoff:{h.id}:ask:{idem}", HandoffKind.ASK_AE, params, now=now)
    return h


def flag_bad_fit(
    db: Session, team_id: str, handoff_id: int, user_id: str, reason: str, *, idem: str, now: datetime
) -> Handoff:
    """Record why the customer is a bad fit, mark the card and post the reason in its thread."""
    reason = reason.strip()
    if not reason:
        raise HandoffError("required")
    if len(reason) > REASON_MAX:
        raise HandoffError("too_long", limit=REASON_MAX, length=len(reason))
    h = get_handoff(db, team_id, handoff_id)
    key = f"handoff:{h.id}:badfit:{idem}"
    params = {"handoff_id": h.id, "flagger": user_id, "reason": reason}
    if not outbox.enqueue(db, team_id, key, HandoffKind.BAD_FIT, params, now=now):
        return h  # this submission was already recorded
    h.bad_fit_by, h.bad_fit_reason, h.bad_fit_at = user_id, reason, now
    h.version += 1
    h.updated_at = now
    db.add(h)
    db.flush()
    queue_card_update(db, h, now)
    return h


# --- drafts from the CRM -----------------------------------------------------------------------------


@dataclass(frozen=True)
class DealFacts:
    """What a CRM knows about a closed deal."""

    source: str
    deal_id: str
    company: str
    deal_name: str | None = None
    company_id: str | None = None
    company_domain: str | None = None
    amount: Decimal | None = None
    currency: str | None = None
    close_date: date | None = None
    owner_email: str | None = None


def create_draft_from_deal(
    db: Session, team_id: str, deal: DealFacts, *, default_currency: str, now: datetime
) -> tuple[Handoff, bool]:
    """One draft handoff per CRM deal, prefilled from the CRM; returns (handoff, created)."""
    existing = db.exec(
        select(Handoff).where(
            Handoff.team_id == team_id, Handoff.crm_source == deal.source, Handoff.crm_deal_id == deal.deal_id
        )
    ).first()
    if existing is not None:
        return existing, False
    name = deal.company.strip()[:255]
    customer = None
    if deal.company_id:
        customer = db.exec(
            select(Customer).where(
                Customer.team_id == team_id,
                Customer.crm_source == deal.source,
                Customer.crm_company_id == deal.company_id,
            )
        ).first()
    if customer is None:
        customer = _customer_for(db, team_id, name, now, None)
        if deal.company_id and not customer.crm_company_id:
            customer.crm_source, customer.crm_company_id = deal.source, deal.company_id
        if deal.company_domain and not customer.domain:
            customer.domain = deal.company_domain
        db.add(customer)
    # The AE may have filled the handoff by hand before the CRM told us: link the deal to it, no second draft.
    manual = db.exec(
        select(Handoff)
        .where(Handoff.team_id == team_id, Handoff.customer_id == customer.id, col(Handoff.crm_deal_id).is_(None))
        .where(col(Handoff.created_at) >= now - MANUAL_LINK_WINDOW)
        .order_by(col(Handoff.id).desc())
    ).first()
    if manual is not None:
        manual.crm_source, manual.crm_deal_id = deal.source, deal.deal_id
        manual.crm_deal_name = deal.deal_name[:255] if deal.deal_name else None
        manual.crm_owner_email, manual.crm_close_date = deal.owner_email, deal.close_date
        db.add(manual)
        db.flush()
        return manual, False
    # A CRM amount Baton cannot store (negative, or beyond NUMERIC(18,2)) is left for the AE to type.
    amount = deal.amount if deal.amount is not None and 0 < deal.amount < MAX_ARR else None
    currency = (deal.currency or default_currency) if amount else None
    # A closed-won deal for a customer that already has ARR (an upsell, a renewal) is prefilled with the ARR on
    # record, not the deal's amount: the form's ARR is the customer's total after the deal, and an upsell's
    # amount is only the increment (submitting it would record a contraction). The AE types the new total;
    # the ledger records the difference (expansion or contraction) on the contract start / close date.
    held = ledger.balances(db, team_id, [customer.id]).get(customer.id) if customer.id else None  # type: ignore[list-item]
    if held is not None and held.amount > 0:
        amount, currency = held.amount, held.currency
    h = Handoff(
        team_id=team_id,
        customer_id=customer.id,
        status=DRAFT,
        form_id=f"{deal.source}:{deal.deal_id}"[:64],
        crm_source=deal.source,
        crm_deal_id=deal.deal_id,
        crm_deal_name=deal.deal_name[:255] if deal.deal_name else None,
        crm_company_id=deal.company_id,
        crm_owner_email=deal.owner_email,
        crm_close_date=deal.close_date,
        customer_name=customer.name,
        arr=amount,
        currency=currency,
        contract_start=deal.close_date,
        created_at=now,
        updated_at=now,
    )
    try:
        with db.begin_nested():  # the same deal processed twice at once: one draft
            db.add(h)
            db.flush()
    except IntegrityError:
        return db.exec(
            select(Handoff).where(
                Handoff.team_id == team_id,
                Handoff.crm_source == deal.source,
                Handoff.crm_deal_id == deal.deal_id,
            )
        ).one(), False
    return h, True
