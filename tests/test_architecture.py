"""The layout of docs/architecture.md, checked: no import cycles (lazy imports included), no module over
500 lines but the ones still to split."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

from tests.conftest import ROOT

PACKAGE = ROOT / "cxaudit"
"""Modules over 500 lines that issue 24 splits; the list only shrinks."""


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imports(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The cxaudit modules ``name`` imports, at its top or inside functions, but not for type checking."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {
        id(node)
        for branch in ast.walk(tree)
        if isinstance(branch, ast.If) and "TYPE_CHECKING" in ast.unparse(branch.test)
        for node in ast.walk(branch)
    }

    def resolve(dotted: str) -> str | None:
        while dotted and dotted not in known:
            dotted = dotted.rpartition(".")[0]
        return dotted or None

    out = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.module:
            base = node.module
            if node.level:
                package = name if path.name == "__init__.py" else name.rpartition(".")[0]
                for _ in range(node.level - 1):
                    package = package.rpartition(".")[0]
                base = f"{package}.{node.module}"
            if base.split(".")[0] == "cxaudit":
                out |= {resolve(f"{base}.{alias.name}") for alias in node.names}
        elif isinstance(node, ast.Import):
            out |= {resolve(alias.name) for alias in node.names if alias.name.split(".")[0] == "cxaudit"}
    return {target for target in out if target and target != name}


def test_no_import_cycles_lazy_imports_included():
    known = modules()
    graph = nx.DiGraph()
    for name, path in known.items():
        graph.add_edges_from((name, target) for target in imports(name, path, known))
    graph.remove_node("cxaudit")  # the package's public API imports its parts; none imports it back
    assert sorted(nx.simple_cycles(graph)) == []


def test_no_module_over_500_lines():
    long = {
        str(path.relative_to(ROOT))
        for path in PACKAGE.rglob("*.py")
        if len(path.read_text(encoding="utf-8").splitlines()) > 500
    }
    assert long == set()
