"""Every outbox message kind has exactly one renderer and every renderer a kind; bot/ queues by kind constants.

Kinds are StrEnum subclasses of bot/services/outbox.py `OutboxKind`, owned by the feature that queues them;
their values are the `method` stored in outbox rows, so they never change (existing rows must still render)."""

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest

import bot
from bot import renderers
from bot.outbox import Renderers, Send
from bot.services.outbox import OutboxKind

BOT = Path(__file__).resolve().parent.parent / "bot"

# The stored values: renaming one would strand the rows already queued under it.
STORED = {
    "customer.share",
    "handoff.ask_ae",
    "handoff.bad_fit",
    "handoff.fill_request",
    "handoff_card.post",
    "handoff_card.update",
    "reply.help",
    "roadmap.parent.post",
    "roadmap.parent.update",
    "roadmap.shipped_dm",
    "roadmap.voc.delete",
    "roadmap.voc.post",
    "handoff.submitted_dm",
    "handoff.fill_request.done",
    "handoff.accepted_dm",
    "scheduled.post",
    "views.publish.home",
}


def _kind_enums() -> list[type[OutboxKind]]:
    """Every OutboxKind subclass in bot/ (each module imported, so none is missed)."""
    for info in pkgutil.walk_packages(bot.__path__, "bot."):
        if info.name != "bot.__main__":
            importlib.import_module(info.name)
    found, todo = [], list(OutboxKind.__subclasses__())
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


def _kinds() -> list[OutboxKind]:
    return [member for cls in _kind_enums() for member in cls]


def test_every_kind_has_exactly_one_renderer_and_every_renderer_a_kind():
    kinds = _kinds()
    assert len(kinds) == len(set(kinds)), "two kinds share a stored value"
    table = renderers.build(None, None, "en").table
    assert sorted(map(str, table)) == sorted(map(str, kinds))
    assert all(isinstance(kind, OutboxKind) for kind in table), "a renderer registered by a bare string"


def test_kind_values_are_the_stored_ones():
    assert {str(k) for k in _kinds()} == STORED


def test_a_kind_registered_twice_is_refused():
    r = Renderers()
    kind = _kinds()[0]
    r.register(kind)(lambda db, team_id, params: Send("chat.postMessage", {}))
    with pytest.raises(ValueError):
        r.register(kind)(lambda db, team_id, params: Send("chat.postMessage", {}))


def _kind_argument(call: ast.Call) -> ast.expr | None:
    """The `kind` of an `enqueue(db, team_id, idem_key, kind, params, now=...)` call."""
    for keyword in call.keywords:
        if keyword.arg == "kind":
            return keyword.value
    return call.args[3] if len(call.args) > 3 else None


def _bare_kinds(source: str) -> list[int]:
    """Lines of enqueue calls whose kind is a string literal (or an f-string) instead of a kind constant."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if name != "enqueue":
            continue
        kind = _kind_argument(node)
        if isinstance(kind, ast.JoinedStr) or (isinstance(kind, ast.Constant) and isinstance(kind.value, str)):
            lines.append(node.lineno)
    return lines


def test_no_enqueue_in_bot_passes_a_bare_string_kind():
    calls = 0
    bare = []
    for path in sorted(BOT.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        calls += source.count("enqueue(")
        bare += [f"{path.relative_to(BOT.parent)}:{line}" for line in _bare_kinds(source)]
    assert calls >= len(STORED)  # the scan sees the enqueue sites
    assert bare == []


def test_the_scan_catches_a_bare_kind():
    source = 'outbox.enqueue(db, t, "k", "handoff_card.post", {}, now=n)\nenqueue(db, t, "k", kind=f"x.{y}", params={})'
    assert _bare_kinds(source) == [1, 2]
    assert _bare_kinds("outbox.enqueue(db, t, 'k', HandoffKind.CARD_POST, {}, now=n)") == []
