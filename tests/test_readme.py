"""README.md stays true to the tree: its architecture map names every module under bot/ and every CLI command,
and its endpoint list names every path the WSGI app routes."""

import fnmatch
import re
from pathlib import Path

import pytest

from bot.__main__ import main

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## )", README, re.S | re.M)
    assert match, f"README has no '## {title}' section"
    return match.group(1)


def _architecture_map() -> list[str]:
    """The map's entries: a line starting in the first column plus its indented continuation lines."""
    [block] = re.findall(r"```\n(.*?)```", _section("Architecture"), re.S)
    entries: list[str] = []
    for line in block.splitlines():
        if line[:1].strip():
            entries.append(line)
        elif entries and line.strip():
            entries[-1] += "\n" + line
    return entries


def _modules() -> list[Path]:
    """Every module under bot/, except empty package markers."""
    return sorted(
        p.relative_to(ROOT)
        for p in (ROOT / "bot").rglob("*.py")
        if "__pycache__" not in p.parts and not (p.name == "__init__.py" and not p.read_text(encoding="utf-8").strip())
    )


def _named(module: Path, entries: list[str]) -> bool:
    """The module's path is in the map, or its directory's entry names its file (or a pattern matching it)."""
    text = "\n".join(entries)
    if re.search(rf"(?<![\w/]){re.escape(module.as_posix())}\b", text):
        return True
    folder = module.parent.as_posix() + "/"
    for entry in entries:
        head = entry.split("\n")[0].split("  ")[0]
        if folder in re.split(r"[,\s]+", head):
            words = set(re.findall(r"[\w*]+\.py", entry))
            if any(fnmatch.fnmatchcase(module.name, w) for w in words):
                return True
    return False


def test_architecture_map_names_every_module():
    """Each module under bot/ appears in README's architecture map (by path, or by name in its folder's entry)."""
    entries = _architecture_map()
    assert sorted(str(m) for m in _modules() if not _named(m, entries)) == []


def test_architecture_map_names_every_cli_command(capsys):
    """Every `python -m bot` subcommand is named on the map's entry-point line."""
    with pytest.raises(SystemExit):
        main(["--help"])
    usage = capsys.readouterr().out
    commands = set(re.search(r"\{([a-z,]+)\}", usage).group(1).split(","))
    [entry] = [e for e in _architecture_map() if e.startswith("bot/__main__.py")]
    assert sorted(c for c in commands if not re.search(rf"\b{c}\b", entry)) == []


def test_endpoint_list_names_every_route():
    """Each path bot/web.py routes is in README's list of HTTP endpoints."""
    source = (ROOT / "bot" / "web.py").read_text(encoding="utf-8")
    routes = set(re.findall(r"""["'](/(?:slack|webhooks|api|healthz)[\w/.-]*)["']""", source))
    assert "/api/v1/health-snapshots" in routes and "/slack/events" in routes
    endpoints = _section("Run modes").split("HTTP endpoints:", 1)[1]
    assert sorted(r for r in routes if f"{r}`" not in endpoints) == []


_PATH = r"(?:bot|tests|migrations|bench|docs|\.ci)/[\w./*-]*\w"
_REF = re.compile(rf"`({_PATH})`(?:\s+`([A-Za-z_][\w.]*)(?:\([^`]*\))?`)?")


def _defines(path: Path, dotted: str) -> bool:
    """`dotted` (NAME or Class.method) is defined at the top of the module: a def, a class, an assignment or an
    import; for Class.method, a def or assignment in the class body."""
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    scope: list[ast.stmt] = tree.body
    for part in dotted.split("."):
        found = None
        for node in scope:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and node.name == part:
                found = node
            elif isinstance(node, ast.Assign) and any(getattr(t, "id", None) == part for t in node.targets):
                found = node
            elif isinstance(node, ast.AnnAssign) and getattr(node.target, "id", None) == part:
                found = node
            elif isinstance(node, ast.ImportFrom | ast.Import) and any(
                (a.asname or a.name) == part for a in node.names
            ):
                found = node
        if found is None:
            return False
        scope = getattr(found, "body", [])
    return True


def test_every_path_and_name_the_readme_cites_exists():
    """Each `path` the README cites exists, and each `path` `name` pair (a file, then a function, class or
    constant in it, e.g. in the request flows) names something that file defines, so the flows cannot go stale."""
    generated = [line.rstrip("/") for line in (ROOT / ".gitignore").read_text().splitlines() if "/" in line[:-1]]
    missing, undefined = [], []
    for path_text, name in _REF.findall(README):
        if path_text in generated:  # made by a command, not in the tree
            continue
        if "*" in path_text:
            if not list(ROOT.glob(path_text)):
                missing.append(path_text)
            continue
        path = ROOT / path_text
        if not path.exists():
            missing.append(path_text)
        elif name and path.suffix == ".py" and not _defines(path, name):
            undefined.append(f"{path_text} {name}")
    assert (missing, undefined) == ([], [])
