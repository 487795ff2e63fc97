"""Layering (DESIGN §3): ``web`` is the last app, so no other package of ``src/tongban`` imports
from it (helpers that apps share, such as the QR codes, live in ``core``)."""

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "tongban"


def web_imports(path: Path) -> list[str]:
    """The ``tongban.web`` modules that ``path`` imports, as ``line: module``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            # ``from tongban.web.x import y`` names its module; ``from tongban import web`` its alias.
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
            names = names[:1] if names[0].startswith("tongban.web") else names[1:]
        else:
            continue
        found += [
            f"{node.lineno}: {name}"
            for name in names
            if name == "tongban.web" or name.startswith("tongban.web.")
        ]
    return found


def packages() -> list[Path]:
    return sorted(p for p in SRC.iterdir() if (p / "__init__.py").exists() and p.name != "web")


@pytest.mark.parametrize("package", packages(), ids=lambda p: p.name)
def test_no_app_but_web_imports_web(package):
    offenders = {
        str(path.relative_to(SRC)): hits
        for path in sorted(package.rglob("*.py"))
        if "migrations" not in path.parts and (hits := web_imports(path))
    }
    assert offenders == {}


def test_the_check_finds_an_import_of_web(tmp_path):
    """The check can fail: both import forms are caught, a look-alike name is not."""
    module = tmp_path / "m.py"
    module.write_text(
        "import tongban.web.views\nfrom tongban.web.qr import qr_svg\nfrom tongban import web\n"
        "import tongban.webhooks\n",
        encoding="utf-8",
    )
    assert web_imports(module) == ["1: tongban.web.views", "2: tongban.web.qr", "3: tongban.web"]
