"""The handoff form read from the field table (bot/viewdata/handoff.py): checked, parsed, counted, and the
CRM record the AE may name in it."""

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date

from bot.money import AmountError, parse_amount
from bot.services.parsing import (
    LineError,
    ParsedPromise,
    ParsedStakeholder,
    is_none_answer,
    parse_promises,
    parse_stakeholders,
    parse_success_criteria,
)
from bot.viewdata.handoff import FIELDS, FieldSpec, choices

REASON_MAX = 3000  # an Ask-AE question or a bad-fit reason


@dataclass(frozen=True)
class CrmRef:
    """A CRM record the AE named: `source` (None for an id typed alone: which CRM is not known), `kind`
    (company or deal) and the record's id as the CRM's API and webhooks give it."""

    source: str | None
    kind: str
    id: str


CRM_ID_MAX = 64  # Customer.crm_company_id, Handoff.crm_company_id / crm_deal_id
_CRM_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
# HubSpot record pages: /contacts/<portal>/record/0-2/<id> (0-2 companies, 0-3 deals) and the older
# /contacts/<portal>/company/<id> and /deal/<id>, on app.hubspot.com or a regional app-<region>.hubspot.com.
_HUBSPOT_RE = re.compile(
    r"https?://app(?:-[a-z0-9]+)?\.hubspot\.com/contacts/\d+/(?:record/(?P<type>0-[23])|(?P<name>company|deal))/"
    r"(?P<id>\d{1,20})(?:[/?#].*)?",
    re.IGNORECASE,
)
_HUBSPOT_KINDS = {"0-2": "company", "0-3": "deal", "company": "company", "deal": "deal"}
# Salesforce: Lightning /lightning/r/Account|Opportunity/<id>/view, or Classic /<id> (001... accounts, 006...
# opportunities), on *.force.com or *.salesforce.com.
_SALESFORCE_RE = re.compile(
    r"https?://[A-Za-z0-9.-]+\.(?:force|salesforce)\.com/(?:lightning/r/(?:(?:Account|Opportunity)/)?)?"
    r"(?P<id>(?:001|006)[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?)(?:[/?#].*)?",
)


def parse_crm_ref(text: str | None) -> CrmRef | None:
    """The CRM record in the form's "CRM id or link": a bare id (<= 64 of letters, digits, `._:-`), or a
    HubSpot / Salesforce company or deal link (its id is kept, the link is not). None for a blank or "none"
    answer (`n/a`, `-`, `없음`); ValueError("crm_bad_link" / "crm_bad_id") for anything else."""
    text = (text or "").strip()
    if not text or is_none_answer(text):
        return None
    if re.match(r"https?://", text, re.IGNORECASE):
        if m := _HUBSPOT_RE.fullmatch(text):
            return CrmRef("hubspot", _HUBSPOT_KINDS[(m.group("type") or m.group("name")).lower()], m.group("id"))
        if m := _SALESFORCE_RE.fullmatch(text):
            return CrmRef("salesforce", "deal" if m.group("id").startswith("006") else "company", m.group("id"))
        raise ValueError("crm_bad_link")
    if not _CRM_ID_RE.fullmatch(text):
        raise ValueError("crm_bad_id")
    return CrmRef(None, "company", text)


@dataclass(frozen=True)
class FieldError:
    field: str
    code: str
    params: dict = field(default_factory=dict)


@dataclass
class HandoffForm:
    """The checked form: the value of each Handoff column the table fills (`columns`), and what the lines and
    the CRM reference parsed to."""

    columns: dict[str, object] = field(default_factory=dict)
    stakeholders: list[ParsedStakeholder] = field(default_factory=list)
    promises: list[ParsedPromise] = field(default_factory=list)
    crm_ref: CrmRef | None = None

    def __getitem__(self, column: str) -> object:
        return self.columns.get(column)


@dataclass
class _Context:
    default_currency: str
    today: date
    form: HandoffForm
    errors: list[FieldError]


# --- one parser per FieldSpec.parse: reads the cleaned text, fills the form or adds an error ------------------


def _text(spec: FieldSpec, text: str, ctx: _Context) -> None:
    ctx.form.columns[spec.column] = text


def _amount(spec: FieldSpec, text: str, ctx: _Context) -> None:
    try:
        arr, currency = parse_amount(text, ctx.default_currency)
    except AmountError as exc:
        ctx.errors.append(FieldError(spec.name, f"amount_{exc.code}"))
        return
    ctx.form.columns[spec.column] = arr
    ctx.form.columns[spec.card.pair if spec.card and spec.card.pair else "currency"] = currency


def _date(spec: FieldSpec, text: str, ctx: _Context) -> None:
    try:
        ctx.form.columns[spec.column] = date.fromisoformat(text)
    except ValueError:
        ctx.errors.append(FieldError(spec.name, "bad_date"))


def _term(spec: FieldSpec, text: str, ctx: _Context) -> None:
    try:
        term = int(text)
        if not (spec.min_value or 1) <= term <= (spec.max_value or 120):
            raise ValueError
    except ValueError:
        ctx.errors.append(FieldError(spec.name, "bad_term"))
        return
    ctx.form.columns[spec.column] = term


def _user(spec: FieldSpec, text: str, ctx: _Context) -> None:
    if not text.startswith(("U", "W")):
        ctx.errors.append(FieldError(spec.name, "bad_user"))
        return
    ctx.form.columns[spec.column] = text


def _choice(spec: FieldSpec, text: str, ctx: _Context) -> None:
    if text not in choices(spec):
        ctx.errors.append(FieldError(spec.name, "bad_choice"))
        return
    ctx.form.columns[spec.column] = text


def _lines(parse: Callable[[str, _Context], list], into: str | None) -> Callable[[FieldSpec, str, _Context], None]:
    def parser(spec: FieldSpec, text: str, ctx: _Context) -> None:
        try:
            parsed = parse(text, ctx)
        except LineError as exc:
            ctx.errors.append(FieldError(spec.name, f"line_{exc.code}", {"line": exc.line_no, "value": exc.value}))
            return
        ctx.form.columns[spec.column] = text
        if into:
            setattr(ctx.form, into, parsed)

    return parser


def _crm_ref(spec: FieldSpec, text: str, ctx: _Context) -> None:
    try:
        ctx.form.crm_ref = parse_crm_ref(text)
    except ValueError as exc:
        ctx.errors.append(FieldError(spec.name, str(exc), {"limit": CRM_ID_MAX}))


PARSERS: dict[str, Callable[[FieldSpec, str, _Context], None]] = {
    "text": _text,
    "amount": _amount,
    "date": _date,
    "term": _term,
    "user": _user,
    "choice": _choice,
    "criteria": _lines(lambda text, _ctx: parse_success_criteria(text), None),
    "stakeholders": _lines(lambda text, _ctx: parse_stakeholders(text), "stakeholders"),
    "promises": _lines(lambda text, ctx: parse_promises(text, ctx.today), "promises"),
    "crm_ref": _crm_ref,
}


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def validate_handoff(
    raw: Mapping[str, str | None], *, default_currency: str, today: date
) -> tuple[HandoffForm | None, list[FieldError]]:
    """Check every field of the table whatever the client did; return the form, or the errors keyed by field."""
    ctx = _Context(default_currency, today, HandoffForm(), [])
    for spec in FIELDS:
        text = _clean(raw.get(spec.name))
        if spec.column:
            ctx.form.columns.setdefault(spec.column, None)
        if not text:
            if not spec.optional:
                ctx.errors.append(FieldError(spec.name, "required"))
            continue
        limit = spec.max_length if spec.kind in ("text", "multiline") else None
        if limit and len(text) > limit:
            ctx.errors.append(FieldError(spec.name, "too_long", {"limit": limit, "length": len(text)}))
            continue
        PARSERS[spec.parse](spec, text, ctx)
    _check_dates(ctx)
    if ctx.errors:
        return None, ctx.errors
    return ctx.form, []


def _check_dates(ctx: _Context) -> None:
    """The rules across fields: a renewal comes after the contract starts."""
    start, renewal = ctx.form["contract_start"], ctx.form["renewal_date"]
    if isinstance(start, date) and isinstance(renewal, date) and renewal <= start:
        ctx.errors.append(FieldError("renewal_date", "renewal_before_start", {"start": start.isoformat()}))


def completeness(h: object) -> tuple[int, int]:
    """(filled, total) over the table's completeness fields; an explicit "none" for promises or risks counts as
    filled."""
    specs = FIELDS.completeness()
    return sum(1 for s in specs if getattr(h, s.column, None) not in (None, "")), len(specs)


def missing_fields(h: object) -> list[str]:
    """The completeness fields left empty, in the form's order (their names: the card says which)."""
    return [s.name for s in FIELDS.completeness() if getattr(h, s.column, None) in (None, "")]
