"""The folder layout is the architecture: no module imports a higher layer, and storage and
analysis, side by side, do not import each other (imports under TYPE_CHECKING excepted)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "postpress_frames"

#: The layers from the bottom up (CONTRIBUTING.md draws them); equal ranks may not mix.
RANKS: dict[str, int] = {
    "_version": 0,
    "_exceptions": 0,
    "_args": 1,
    "_outputs": 1,
    "_pandera": 1,
    "api": 2,
    "testing": 2,
    "_progress": 2,
    "tables": 3,
    "storage": 4,
    "analysis": 4,
    "pipeline": 5,
    "schemas": 6,
    "stats": 6,
    "charts": 6,
    "spark": 6,
    "cli": 7,
    "__init__": 8,
    "__main__": 8,
}


def _part(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _runtime_imports(tree: ast.Module) -> list[str]:
    """Modules of the package imported when the file runs (TYPE_CHECKING blocks skipped)."""
    found: list[str] = []

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING"):
                visit(node.orelse)
                continue
            for child in ast.walk(node):
                if isinstance(child, ast.ImportFrom) and (child.module or "").startswith(
                    "postpress_frames"
                ):
                    found.append(child.module or "")
                elif isinstance(child, ast.Import):
                    found.extend(
                        a.name for a in child.names if a.name.startswith("postpress_frames")
                    )

    visit(tree.body)
    return found


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", _modules(), ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_no_module_imports_a_higher_or_sibling_layer(path: Path) -> None:
    own = _part(".".join(("postpress_frames", *path.relative_to(PACKAGE).with_suffix("").parts)))
    assert own in RANKS, f"{path}: a new top-level module or folder needs a layer in RANKS"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    wrong = [
        module
        for module in _runtime_imports(tree)
        if _part(module) != own and RANKS[_part(module)] >= RANKS[own]
    ]
    assert not wrong, f"{path.relative_to(PACKAGE)} (layer {own}) imports {wrong}"
