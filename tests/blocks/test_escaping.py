"""Every builder in bot/blocks, found by introspection, drawn with hostile text in every string it takes: no
mrkdwn text and no notification (fallback) text it returns can ping a channel, mention someone or forge a link.

Values are made from each builder's type hints, so a new builder (or a new field of its data) is covered
without touching this test; a builder the factory cannot feed fails here until it is fed or listed below."""

import dataclasses
import importlib
import inspect
import json
import pkgutil
import re
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, time
from decimal import Decimal

import pytest
from pydantic import BaseModel
from slack_sdk.models.basic_objects import JsonObject
from sqlmodel import SQLModel

import bot.blocks
from bot.viewdata import reminders as reminder_data
from bot.viewdata.kpi import CurrencyKpis, KpiReport, Kpis, Nps, Period
from bot.viewdata.kpi import Filter as KpiFilter

EVIL = "<!channel> <@U1> <https://evil.example|x> &lt;"
# What Slack would act on, if it reached mrkdwn or a notification text unescaped (in any case); and the typed
# `&lt;`, which Slack shows as `<` unless its `&` is escaped too.
UNSAFE = ("<!channel>", "<@u1>", "<https://evil", "x&gt; &lt;")

# Parameters and fields that hold Slack ids, timestamps, codes or URLs Baton made itself (never user text):
# fed a valid value, so the hostile text goes only where text goes.
SLACK_IDS = re.compile(
    r"(^|_)(user|users|user_id|user_ids|by|author|channel|ts|reporter|reporters|recipient|ae|se|csm|asker|"
    r"flagger|first_reporter|tagged_by|accepted_by|submitted_by|owner|owners|shared_by|handed_to|thread_ts|"
    r"csm_user_id|ae_user_id|se_user_id|owner_user_id|team_id|trigger_id|response_url)$"
)
CODES: dict[str, object] = {
    "locale": None,  # the locale under test
    "code": "required",
    "action": "acknowledged",
    "kind": "renewal",
    "status": "planned",
    "unit": "day",
    "currency": "USD",
    "band": "at_risk",
    "signal": "usage",
    "emoji": "speech_balloon",
    "domain": "acme",
    "permalink": "https://acme.slack.com/archives/C1/p1700000000000100",
    "url": "https://acme.slack.com/archives/C1/p1700000000000100",
    "link": "https://acme.slack.com/archives/C1/p1700000000000100",
    "key": "renewal:1:90",
    "buttons": ("ack", "snooze", "hand_ae", "done"),
    "sparkline": "▁▃▅▇",  # drawn by the health service from numbers
    "icp_fit": "good",  # one of ICP_FITS, checked by the form
    "tz": "Asia/Seoul",  # a ZoneInfo name, checked by the team settings
}
NUMBERS = {"arr", "amount_value"}  # typed `object`: whatever the database returned for a NUMERIC

_NOV = Period("month", 2026, 11)
_USD = CurrencyKpis("USD", 4, 3, Decimal(700), Decimal(420), Decimal(50), Decimal(50), Decimal(400), Decimal(120),
                    Decimal(350), 1, Decimal(400), 4, Decimal(820), 4, 3)  # fmt: skip
# A KPI report of a segment named with hostile text (periods are numbers Baton checked).
KPI_REPORT = KpiReport(
    "T1",
    KpiFilter(segment=EVIL),
    Kpis(_NOV, date(2026, 11, 30), {"USD": _USD}, Nps(2, 1, 1)),
    Kpis(_NOV.previous(), date(2026, 10, 31), {"USD": _USD}, Nps()),
)

# Parameters that are codes in one builder only (elsewhere the same name is user text: a bad-fit reason, a
# stakeholder's role).
PER_BUILDER = {
    "reminders.refusal": {"reason": "no_ae"},
    "reminders.renewal_reminder": {"role": "csm"},
    "reminders.unmuted": {"kind": None},  # the customer's answer (a kind is drawn from the catalog)
    "outcomes.refusal": {"reason": "not_yours"},
    "outcomes.outcome_note": {"outcome": "expanded"},
    "kpi.kpi_message": {"report": KPI_REPORT},
    "kpi.period_label": {"period": _NOV},
}

# Functions of bot/blocks that draw no Slack text from user data, or take text their caller already escaped.
NOT_DRAWN_HERE = {
    "customer_modals.error_text": "an inline modal error: plain text, its params are service codes and numbers",
    "voc.error_text": "an inline modal error: plain text, its params are service codes and numbers",
    "roadmap.error_text": "a RoadmapError's text: its params are numbers",
    "voc.prefill": "a plain_text input's initial value",
    "roadmap.first_line": "a plain_text input's initial value",
    "voc.customer_options": "options of a select: plain_text",
    "handoff.initial_values": "plain_text input values",
    "voc.left_unchanged": "a comparison",
    "kpi.refusal": "a KpiError's text, escaped by its caller (handlers/messages.error_text)",
    "reminders.parse_value": "reads a button value",
    "reminders.buttons_of": "reads blocks",
    "reminders.key_value": "a button value",
    "reminders.mute_value": "a button value",
    "kit.metadata": "private_metadata",
    "kit.button_value": "a button value",
    "kit.plain": "plain_text",
    "kit.mrkdwn": "takes mrkdwn its caller escaped",
    "kit.section": "takes mrkdwn its caller escaped",
    "kit.notice_modal": "takes mrkdwn its caller escaped",
    "voc.notice": "takes mrkdwn its caller escaped",
    "voc.split_mrkdwn": "takes mrkdwn its caller escaped",
    "roadmap.info_modal": "takes mrkdwn its caller escaped",
    "reminders.settled": "takes blocks and a note its caller drew",
    "outcomes.answered": "takes blocks and a note its caller drew",
    "outcomes.error_text": "an inline modal error: plain text, its code is a service code",
    "handoff.dumps_blocks": "serializes blocks",
    "handoff.view_json": "serializes a view",
    "roadmap.thread_link": "a URL from a domain, a channel id and a ts",
    "roadmap.amount": "a number",
    "nudges.plural": "a number and a unit",
}


def _builders() -> dict[str, Callable]:
    found = {}
    for info in pkgutil.iter_modules(bot.blocks.__path__):
        module = importlib.import_module(f"bot.blocks.{info.name}")
        for name, fn in vars(module).items():
            if inspect.isfunction(fn) and fn.__module__ == module.__name__ and not name.startswith("_"):
                found[f"{info.name}.{name}"] = fn
    return found


BUILDERS = _builders()
DRAWN = sorted(set(BUILDERS) - set(NOT_DRAWN_HERE))


class Factory:
    """Makes a value for a type hint: hostile text for every str, valid ids and codes by name."""

    def __init__(self, locale: str):
        self.locale = locale

    def named(self, name: str, hint: object) -> object:
        if name == "locale":
            return self.locale
        if name in NUMBERS and not _is_str(hint):
            return Decimal("120000")
        if name in NUMBERS and typing.get_origin(hint) is tuple:
            return (("USD", Decimal("120000")),)  # ARR per currency code
        if name in CODES and _is_str(hint):
            return CODES[name]
        if SLACK_IDS.search(name) and _is_str(hint):
            text = "C_OK" if "channel" in name else ("1700000000.000100" if name.endswith("ts") else "U_OK")
            return self.make(hint, name, text)
        return self.make(hint, name)

    def make(self, hint: object, name: str = "", text: str = EVIL) -> object:
        origin, args = typing.get_origin(hint), typing.get_args(hint)
        if hint is str:
            return text
        if hint is bool:
            return True
        if hint is int:
            return 30
        if hint is float:
            return 0.5
        if hint is Decimal:
            return Decimal("120000")
        if hint is datetime:
            return datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
        if hint is date:
            return date(2026, 3, 2)
        if hint is time:
            return time(9, 30)
        if hint is KpiReport:  # a month is 1-12: the hostile texts are in its filter's segment
            return KPI_REPORT
        if hint is dict or hint is typing.Any or hint is object:
            return {}
        if origin in (types.UnionType, typing.Union):
            options = [a for a in args if a is not type(None)]
            return self.make(options[0], name, text) if options else None
        if origin is typing.Literal:
            return args[0]
        if origin in (list, Sequence):
            return [self.make(args[0], name, text)] if args else []
        if origin in (set, frozenset):
            return frozenset()  # redaction sets: nothing hidden, everything drawn
        if origin is tuple:
            if len(args) == 2 and args[1] is Ellipsis:
                return (self.make(args[0], name, text),)
            return tuple(self.make(a, name, text) for a in args)
        if origin in (dict, Mapping):
            return {}
        if isinstance(hint, type) and issubclass(hint, SQLModel):
            return hint(**self.fields(hint, {n: f.annotation for n, f in hint.model_fields.items()}))
        if isinstance(hint, type) and issubclass(hint, BaseModel):
            hints = {n: f.annotation for n, f in hint.model_fields.items()}
            return hint(**self.fields(hint, hints))
        if dataclasses.is_dataclass(hint):
            hints = typing.get_type_hints(hint)
            return hint(**self.fields(hint, {f.name: hints[f.name] for f in dataclasses.fields(hint) if f.init}))
        raise TypeError(f"no value for {hint!r} ({name})")

    def fields(self, owner: type, hints: dict) -> dict:
        return {n: self.named(n, h) for n, h in hints.items() if not n.startswith("_")}

    def call(self, fn: Callable, overrides: dict) -> object:
        module = inspect.getmodule(fn)
        ns = {
            **vars(module),
            "RenewalState": reminder_data.RenewalState,
            "OnboardingState": reminder_data.OnboardingState,
        }
        hints = typing.get_type_hints(fn, globalns=ns)
        kwargs = {}
        for p in inspect.signature(fn).parameters.values():
            if p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL):
                continue
            given = overrides.get(p.name, inspect.Parameter.empty)
            kwargs[p.name] = self.named(p.name, hints.get(p.name, str)) if given is inspect.Parameter.empty else given
        return fn(**kwargs)


def _is_str(hint: object) -> bool:
    """A str, or a union or collection of them."""
    return hint is str or any(_is_str(a) for a in typing.get_args(hint))


def _texts(out: object) -> list[str]:
    """The strings Slack parses as mrkdwn in a builder's output, and its notification text."""
    if isinstance(out, JsonObject):
        out = out.to_dict()
    if dataclasses.is_dataclass(out) and not isinstance(out, type):
        out = dataclasses.asdict(out)
    if isinstance(out, str):
        return [out]
    found: list[str] = []

    def walk(node: object, key: str = "") -> None:
        if isinstance(node, JsonObject):
            node = node.to_dict()
        if dataclasses.is_dataclass(node) and not isinstance(node, type):
            node = dataclasses.asdict(node)
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn" and isinstance(node.get("text"), str):
                found.append(node["text"])
            for k, v in node.items():
                if k == "text" and isinstance(v, str) and node.get("type") != "plain_text" and "type" not in node:
                    found.append(v)  # a message's (or a part's) notification text
                elif k in ("blocks", "text", "fields", "elements", "accessory", "parts", "view") or isinstance(
                    v, list | dict | JsonObject
                ):
                    walk(v, k)
        elif isinstance(node, list | tuple):
            for item in node:
                if isinstance(item, str) and key == "":
                    found.append(item)  # the fallback text of a (blocks, text) pair
                else:
                    walk(item, key)

    walk(out)
    return found


def test_every_function_of_bot_blocks_is_drawn_or_says_why_not():
    """The list of exceptions names only functions that exist (a renamed one cannot hide a new builder)."""
    assert set(NOT_DRAWN_HERE) <= set(BUILDERS)
    assert len(DRAWN) >= 40


@pytest.mark.parametrize("locale", ["en", "ko"])
@pytest.mark.parametrize("name", DRAWN)
def test_hostile_text_in_every_field_is_escaped(name, locale):
    """No mrkdwn or notification text a builder returns carries user or CRM text unescaped."""
    out = Factory(locale).call(BUILDERS[name], PER_BUILDER.get(name, {}))
    texts = _texts(out)
    leaks = [t for t in texts if any(u in t.casefold() for u in UNSAFE)]
    assert not leaks, json.dumps(leaks, ensure_ascii=False, indent=1)
