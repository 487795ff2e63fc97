"""docs/architecture.md tells the truth about the apps: its table lists every app under
src/tongban/ (a package with an apps.py) and no other, in an order the imports respect (an app
imports only from apps listed before it; imports for type annotations only are allowed)."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "tongban"
DOC = ROOT / "docs" / "architecture.md"
ROW = re.compile(r"^\|\s*`([a-z_.]+)`\s*\|")


def documented_apps(text: str) -> list[str]:
    """The app names in the first column of the table under "## Apps and their layering"."""
    section = text.split("## Apps and their layering", 1)[1].split("\n## ", 1)[0]
    return [match.group(1) for line in section.splitlines() if (match := ROW.match(line.strip()))]


def existing_apps() -> set[str]:
    """Every package under src/tongban with an apps.py, dotted (``identity.oidc``)."""
    return {
        ".".join(path.parent.relative_to(SRC).parts)
        for path in SRC.rglob("apps.py")
        if "migrations" not in path.parts and (path.parent / "__init__.py").exists()
    }


def app_of(module: str, apps: list[str]) -> str | None:
    """The app a ``tongban.…`` module belongs to (the longest matching app path)."""
    parts = module.split(".")
    if parts[0] != "tongban":
        return None
    for size in range(len(parts) - 1, 0, -1):
        name = ".".join(parts[1 : size + 1])
        if name in apps:
            return name
    return None


def _type_checking_block(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (
        (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
        or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")
    )


def imported_modules(tree: ast.AST) -> list[tuple[int, str]]:
    """``(line, module)`` of every absolute import, at any depth, except under ``if TYPE_CHECKING``."""
    found = []
    stack = [tree]
    while stack:
        node = stack.pop()
        if _type_checking_block(node):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
        stack.extend(ast.iter_child_nodes(node))
    return found


def layering_violations(order: list[str]) -> list[str]:
    """Imports of an app listed later in ``order``, as ``file:line imports app``."""
    rank = {app: index for index, app in enumerate(order)}
    problems = set()
    for app in order:
        package = SRC.joinpath(*app.split("."))
        for path in package.rglob("*.py"):
            if "migrations" in path.parts or app_of(_module_name(path), order) != app:
                continue  # a nested app's files are checked as that app
            for line, module in imported_modules(ast.parse(path.read_text(encoding="utf-8"))):
                target = app_of(module, order)
                if target is not None and rank[target] > rank[app]:
                    problems.add(f"{path.relative_to(SRC)}:{line} imports {target}")
    return sorted(problems)


def _module_name(path: Path) -> str:
    return ".".join(("tongban", *path.relative_to(SRC).with_suffix("").parts))


def test_the_table_lists_every_app_and_only_those():
    documented = documented_apps(DOC.read_text(encoding="utf-8"))
    assert len(documented) == len(set(documented)), "an app is listed twice"
    assert sorted(existing_apps() - set(documented)) == [], "apps missing from docs/architecture.md"
    assert sorted(set(documented) - existing_apps()) == [], (
        "docs/architecture.md names apps that do not exist"
    )


def test_apps_import_only_from_apps_listed_before_them():
    assert layering_violations(documented_apps(DOC.read_text(encoding="utf-8"))) == []


def test_the_checks_can_fail():
    """A table without an app, with an invented one, or in the wrong order is caught."""
    text = "## Apps and their layering\n\n| app | owns |\n|---|---|\n| `core` | x |\n| `invented` | y |\n\n## Next\n"
    assert documented_apps(text) == ["core", "invented"]
    assert "invented" not in existing_apps()
    assert "cases" in existing_apps() - set(documented_apps(text))
    assert any("imports catalog" in problem for problem in layering_violations(["core", "web", "catalog"]))


def test_type_only_imports_are_not_layering():
    tree = ast.parse(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from tongban.web import x\n"
        "def f():\n    from tongban.cases import y\n"
    )
    assert [module for _, module in imported_modules(tree) if module.startswith("tongban.")] == [
        "tongban.cases",
        "tongban.cases.y",
    ]
