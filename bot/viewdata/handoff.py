"""The handoff form's one field table, and the card's data: what services fill in and builders draw.

Each field is declared once in FIELDS: its block id, its input, whether it is required, how the services parse
it, the Handoff column it is saved to and prefilled from, where the card shows it, and whether it counts in the
card's completeness. The modal (bot/blocks/handoff.py), the validator (bot/services/handoff_form.py), the save
(bot/services/handoff.py) and the card read it, so a new field is a row here plus its column (model and
migration) and its catalog strings; see README "Adding a handoff field".
"""

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

ICP_FITS = ("strong", "good", "partial", "bad")

# Input kinds the modal draws, and how the services parse a field (bot/services/handoff_form.py: PARSERS).
KINDS = ("text", "multiline", "date", "user", "amount", "number", "icp")
PARSES = ("text", "amount", "date", "term", "user", "choice", "criteria", "stakeholders", "promises", "crm_ref")
# Where the card shows a field: a fact in its top section, a section of its own in the body, or a line of the
# last section (the extras). How: a plain text, an amount, a date, a date and its term, a user, an ICP fit, or
# the promise checklist / stakeholder list (drawn from the handoff's rows, not from the column).
PLACES = ("fact", "body", "extra")
SHOWS = ("text", "amount", "date", "renewal", "user", "icp", "promises", "stakeholders")


@dataclass(frozen=True)
class CardSpot:
    """Where and how the card shows a field."""

    place: str  # one of PLACES
    order: int  # position among the spots of its place
    show: str = "text"  # one of SHOWS
    label: str | None = None  # catalog key of its heading; None: the field's label
    always: bool = False  # a fact shown even when empty ("—"); other facts only when set
    pair: str | None = None  # a second column it is drawn with: an amount's currency, a renewal's term


@dataclass(frozen=True)
class FieldSpec:
    """One field of the handoff form."""

    name: str  # the modal's block id and the field's name in errors
    kind: str  # the input (KINDS)
    optional: bool
    max_length: int | None = None  # the input's max_length; text fields are checked again on the server
    parse: str = "text"  # how the services read it (PARSES)
    column: str | None = None  # the Handoff column it is saved to and prefilled from (None: not a column)
    card: CardSpot | None = None  # None: not on the card (or drawn elsewhere, like the customer in the header)
    complete: bool = False  # counts in the card's "n/total fields"
    prefill_fallback: str | None = None  # a column that prefills the input when `column` is empty
    min_value: int | None = None  # number inputs
    max_value: int | None = None

    @property
    def label_key(self) -> str:
        return "handoff.field." + self.name

    @property
    def placeholder_key(self) -> str:
        return "handoff.field." + self.name + ".placeholder"

    @property
    def hint_key(self) -> str:
        """Shown under the input when the catalog has it."""
        return "handoff.field." + self.name + ".hint"


class FieldTable:
    """The form's fields in modal order. Everything that needs the fields iterates this object when it runs,
    so a test can add a field by setting `specs` on it."""

    def __init__(self, *specs: FieldSpec):
        self.specs: tuple[FieldSpec, ...] = specs

    def __iter__(self) -> Iterator[FieldSpec]:
        return iter(self.specs)

    def __len__(self) -> int:
        return len(self.specs)

    def __contains__(self, spec: object) -> bool:
        return spec in self.specs

    def __getitem__(self, name: str) -> FieldSpec:
        for spec in self.specs:
            if spec.name == name:
                return spec
        raise KeyError(name)

    def on_card(self, place: str) -> list[FieldSpec]:
        """The fields the card shows in `place`, in card order."""
        return sorted((s for s in self.specs if s.card and s.card.place == place), key=lambda s: s.card.order)

    def completeness(self) -> list[FieldSpec]:
        """The fields counted in the card's completeness: the things a CSM needs from the domain's list."""
        return [s for s in self.specs if s.complete]


def _text(name: str, limit: int, *, optional: bool, kind: str = "multiline", **more) -> FieldSpec:
    return FieldSpec(name, kind, optional, limit, column=more.pop("column", name), **more)


FIELDS = FieldTable(
    _text("customer_name", 255, optional=False, kind="text", complete=True),  # the card's header
    # A pasted record link may be long; only its id is kept (services/handoff_form.py: parse_crm_ref).
    FieldSpec("crm_ref", "text", True, 1000, parse="crm_ref"),
    _text(
        "products_sold",
        3000,
        optional=False,
        card=CardSpot("body", 1, label="handoff.card.products_sold"),
        complete=True,
        prefill_fallback="crm_deal_name",
    ),
    FieldSpec(
        "arr",
        "amount",
        False,
        50,
        parse="amount",
        column="arr",
        card=CardSpot("fact", 1, "amount", "handoff.card.arr", always=True, pair="currency"),
        complete=True,
    ),
    FieldSpec(
        "contract_start",
        "date",
        False,
        parse="date",
        column="contract_start",
        card=CardSpot("fact", 4, "date", "handoff.card.contract_start", always=True),
    ),
    FieldSpec("term_months", "number", True, parse="term", column="term_months", min_value=1, max_value=120),
    FieldSpec(
        "renewal_date",
        "date",
        False,
        parse="date",
        column="renewal_date",
        card=CardSpot("fact", 2, "renewal", "handoff.card.renewal", always=True, pair="term_months"),
        complete=True,
    ),
    _text("why_bought", 3000, optional=False, card=CardSpot("body", 2, label="handoff.card.why_bought"), complete=True),
    _text(
        "business_goals",
        3000,
        optional=False,
        card=CardSpot("body", 3, label="handoff.card.business_goals"),
        complete=True,
    ),
    _text(
        "success_criteria",
        3000,
        optional=False,
        parse="criteria",
        card=CardSpot("body", 4, label="handoff.card.success_criteria"),
        complete=True,
    ),
    _text(
        "stakeholders",
        3000,
        optional=False,
        parse="stakeholders",
        column="stakeholders_text",
        card=CardSpot("body", 7, "stakeholders", "handoff.card.stakeholders"),
        complete=True,
    ),
    _text(
        "promises",
        3000,
        optional=True,
        parse="promises",
        column="promises_text",
        card=CardSpot("body", 5, "promises", "handoff.card.promises"),
        complete=True,
    ),
    _text("risks", 3000, optional=True, card=CardSpot("body", 6, label="handoff.card.risks"), complete=True),
    FieldSpec(
        "kickoff_date",
        "date",
        True,
        parse="date",
        column="kickoff_date",
        card=CardSpot("fact", 5, "date", "handoff.card.kickoff", always=True),
        complete=True,
    ),
    FieldSpec(
        "ae_user",
        "user",
        False,
        parse="user",
        column="ae_user_id",
        card=CardSpot("fact", 3, "user", "handoff.card.ae", always=True),
    ),
    FieldSpec(
        "se_user", "user", True, parse="user", column="se_user_id", card=CardSpot("fact", 6, "user", "handoff.card.se")
    ),
    FieldSpec(
        "csm_user",
        "user",
        True,
        parse="user",
        column="csm_user_id",
        card=CardSpot("fact", 7, "user", "handoff.card.csm"),
    ),
    FieldSpec(
        "icp_fit", "icp", True, parse="choice", column="icp_fit", card=CardSpot("fact", 8, "icp", "handoff.card.icp")
    ),
    _text("competitors", 1000, optional=True, card=CardSpot("extra", 1, label="handoff.card.competitors")),
    _text("tech_requirements", 3000, optional=True, card=CardSpot("extra", 2, label="handoff.card.tech_requirements")),
    _text("links", 3000, optional=True, card=CardSpot("extra", 3, label="handoff.card.links")),
    _text("feature_requests", 3000, optional=True, card=CardSpot("extra", 4, label="handoff.card.feature_requests")),
)


def choices(spec: FieldSpec) -> tuple[str, ...]:
    """The values a choice field accepts."""
    return ICP_FITS if spec.kind == "icp" else ()


def card_columns() -> list[str]:
    """Every column the card draws from the table (fields and their pairs), for whoever builds CardData."""
    out: list[str] = []
    for spec in FIELDS:
        for name in (spec.column if spec.card else None, spec.card.pair if spec.card else None):
            if name and name not in out:
                out.append(name)
    return out


def field_values(row: object) -> dict[str, object]:
    """The card's column values read off a handoff row (CardData.values)."""
    return {name: getattr(row, name, None) for name in card_columns()}


# --- the card's data ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PromiseLine:
    text: str
    owner_user_id: str | None
    owner_name: str | None
    due_date: date | None
    done: bool


@dataclass(frozen=True)
class StakeholderLine:
    role: str | None
    name: str
    title: str | None
    email: str | None


@dataclass(frozen=True)
class CardData:
    """Everything the card shows, read from the database by the caller. A column the table shows on the card
    is read from `values` when it is there (field_values(row) fills it for every field), else from the
    attribute of the same name."""

    handoff_id: int
    customer: str
    status: str
    version: int
    arr: object | None
    currency: str | None
    contract_start: date | None
    term_months: int | None
    renewal_date: date | None
    kickoff_date: date | None
    ae_user_id: str | None
    se_user_id: str | None
    csm_user_id: str | None
    submitted_by: str | None
    submitted_at: datetime | None
    accepted_by: str | None
    accepted_at: datetime | None
    bad_fit_by: str | None
    bad_fit_reason: str | None
    bad_fit_at: datetime | None
    products_sold: str | None
    why_bought: str | None
    business_goals: str | None
    success_criteria: str | None
    risks: str | None
    icp_fit: str | None
    competitors: str | None
    tech_requirements: str | None
    links: str | None
    feature_requests: str | None
    promises: Sequence[PromiseLine]
    stakeholders: Sequence[StakeholderLine]
    filled: int
    total: int
    values: Mapping[str, object] = field(default_factory=dict)
    missing: Sequence[str] = ()  # the completeness fields left empty (field names), in the form's order

    def value(self, column: str) -> object:
        """A column's value for the card."""
        return self.values[column] if column in self.values else getattr(self, column, None)
