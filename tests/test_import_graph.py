"""Import graph of bot/: no cycles, and imports point one way (issue 11 item 3).

Every module under bot/ is parsed with ast; module- and function-level imports count,
`if TYPE_CHECKING:` blocks do not. PENDING lists known violations left for later
merges; the test fails when an entry no longer violates, so the set can only shrink.
bot.viewdata.* may import only the stdlib and bot.viewdata (bot.money/bot.text are not
allowed: they stay out so view data has no dependency on formatting code).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BOT = ROOT / "bot"

FORBIDDEN = {
    "bot.services": (
        "slack_sdk",
        "slack_bolt",
        "bot.blocks",
        "bot.handlers",
        "bot.renderers",
        "bot.outbox",
        "bot.jobs",
    ),
    "bot.blocks": ("bot.services", "bot.db", "bot.handlers", "bot.jobs", "bot.renderers", "sqlalchemy", "sqlmodel"),
    "bot.models": ("bot.services", "bot.handlers", "bot.blocks", "bot.jobs"),
    # The sending engine is feature-blind: renderers are handed to it (bot/renderers/), it imports none.
    "bot.outbox": ("bot.services", "bot.blocks", "bot.renderers", "bot.handlers", "bot.jobs"),
}
# (layer, forbidden prefix) -> the modules under that prefix the layer may still import.
ALLOWED: dict[tuple[str, str], tuple[str, ...]] = {
    ("bot.outbox", "bot.services"): ("bot.services.queue", "bot.services.outbox"),  # claiming and enqueueing rows
}

# (module, forbidden prefix) -> reason. Known violations to be removed; may only shrink.
PENDING: dict[tuple[str, str], str] = {}
# Import cycles still present (each as the sorted tuple of its modules); may only shrink.
PENDING_CYCLES: dict[tuple[str, ...], str] = {}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(BOT.rglob("*.py"))}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _walk(node: ast.AST):
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child):
            for sub in child.orelse:
                yield sub
                yield from _walk(sub)
            continue
        yield child
        yield from _walk(child)


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in _walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                full = f"{base}.{alias.name}"
                found.add(full if full in modules else base)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def _matches(target: str, prefix: str) -> bool:
    return target == prefix or target.startswith(prefix + ".")


def _violations(graph: dict[str, set[str]]) -> dict[tuple[str, str], list[str]]:
    stdlib = set(sys.stdlib_module_names)
    out: dict[tuple[str, str], list[str]] = {}
    for module, targets in graph.items():
        for layer, banned in FORBIDDEN.items():
            if not _matches(module, layer):
                continue
            for prefix in banned:
                allowed = ALLOWED.get((layer, prefix), ())
                hits = sorted(t for t in targets if _matches(t, prefix) and not any(_matches(t, a) for a in allowed))
                if hits:
                    out[(module, prefix)] = hits
        if _matches(module, "bot.viewdata"):
            bad = sorted(
                t
                for t in targets
                if t != "__future__" and t.split(".")[0] not in stdlib and not _matches(t, "bot.viewdata")
            )
            if bad:
                out[(module, "non-stdlib")] = bad
    return out


def _cycles(graph: dict[str, set[str]]) -> list[tuple[str, ...]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    result: list[tuple[str, ...]] = []
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10000))

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in graph:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1 or v in graph.get(v, ()):
                result.append(tuple(sorted(component)))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return result


def test_no_import_cycles_among_bot_modules():
    """bot modules form no import cycle beyond the PENDING_CYCLES still to be broken."""
    cycles = _cycles(_graph())
    new = [c for c in cycles if c not in PENDING_CYCLES]
    assert not new, "import cycles: " + "; ".join(" <-> ".join(c) for c in new)


def test_pending_cycles_still_exist():
    """Each PENDING_CYCLES entry is still a cycle, so the set can only shrink."""
    cycles = set(_cycles(_graph()))
    gone = [c for c in PENDING_CYCLES if c not in cycles]
    assert not gone, f"remove from PENDING_CYCLES (fixed): {gone}"


def test_layers_import_one_way():
    """services, blocks, models and viewdata import only what their layer allows."""
    violations = _violations(_graph())
    new = {k: v for k, v in violations.items() if k not in PENDING}
    assert not new, "forbidden imports: " + "; ".join(f"{m} imports {', '.join(v)}" for (m, _), v in new.items())


def test_pending_entries_still_violate():
    """Each PENDING entry still violates, so the set can only shrink."""
    violations = _violations(_graph())
    gone = [k for k in PENDING if k not in violations]
    assert not gone, f"remove from PENDING (fixed): {gone}"


def test_graph_sees_function_level_imports_and_skips_type_checking(tmp_path):
    """The parser counts imports inside functions and ignores `if TYPE_CHECKING:` blocks."""
    source = tmp_path / "m.py"
    source.write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import bot.db\n"
        "def f():\n    from bot.services import x\n"
    )
    found = _imports("bot.blocks.m", source, {})
    assert "bot.services" in found
    assert "bot.db" not in found


def test_outbox_engine_may_import_only_the_queue_and_outbox_services():
    """bot.outbox importing a feature's service, blocks or renderers is a violation; the queue helpers are not."""
    graph = {"bot.outbox": {"bot.services.queue", "bot.services.outbox", "bot.services.handoff", "bot.renderers"}}
    violations = _violations(graph)
    assert violations == {
        ("bot.outbox", "bot.services"): ["bot.services.handoff"],
        ("bot.outbox", "bot.renderers"): ["bot.renderers"],
    }
