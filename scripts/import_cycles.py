#!/usr/bin/env python3
"""Print the import cycles of a package, largest first.

Usage::

    python scripts/import_cycles.py [PACKAGE_DIR] [--max N]

``PACKAGE_DIR`` defaults to ``core/src/cherrypy``.  Every ``import`` and ``from ... import``
statement counts, including those made inside functions, except the ones under an
``if TYPE_CHECKING:`` block (they never run).  ``from a.b import c`` is an edge to the module
``a.b.c`` when that is a module of the package, else to ``a.b``.  Importing ``a.b.c`` also
runs ``a/__init__.py`` and ``a/b/__init__.py``, but those implicit edges are not drawn: a
package's ``__init__`` that imports its own submodules would otherwise make every package a
cycle, whatever its modules do.

A cycle is a strongly connected component of the import graph with two modules or more.  With
``--max N`` the script exits with status 1 when the largest cycle has more than ``N`` modules.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterator
from pathlib import Path

__all__ = ["cycles", "import_graph", "main"]


def _module_names(root: Path) -> dict[str, Path]:
    """Map dotted module names to files for every ``.py`` under ``root`` (a package)."""
    base = root.parent
    names: dict[str, Path] = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(base).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def _is_type_checking(test: ast.expr) -> bool:
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


def _imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement of ``tree`` that can run (not under ``if TYPE_CHECKING:``)."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The longest prefix of ``name`` that is a module of the package."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in modules:
            return candidate
        parts.pop()
    return None


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module -> the package modules it imports (see the module docstring for the rules)."""
    modules = _module_names(root)
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in _imports(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                source = node.module or ""
                if node.level:
                    anchor = name.split(".")
                    if not is_package:
                        anchor = anchor[:-1]
                    anchor = anchor[: len(anchor) - (node.level - 1)]
                    source = ".".join([*anchor, source] if source else anchor)
                for alias in node.names:
                    full = f"{source}.{alias.name}"
                    targets.append(full if full in modules else source)
            for target in targets:
                resolved = _resolve(target, modules)
                if resolved is not None and resolved != name:
                    graph[name].add(resolved)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with two modules or more, largest first."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0

    for start in sorted(graph):
        if start in index:
            continue
        # Iterative Tarjan: (node, iterator over its successors).
        work: list[tuple[str, Iterator[str]]] = []
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        work.append((start, iter(sorted(graph[start]))))
        while work:
            node, successors = work[-1]
            advanced = False
            for succ in successors:
                if succ not in index:
                    index[succ] = low[succ] = counter
                    counter += 1
                    stack.append(succ)
                    on_stack.add(succ)
                    work.append((succ, iter(sorted(graph[succ]))))
                    advanced = True
                    break
                if succ in on_stack:
                    low[node] = min(low[node], index[succ])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    found.sort(key=lambda comp: (-len(comp), comp))
    return found


def main(argv: list[str] | None = None) -> int:
    """Print every cycle, largest first; with ``--max`` fail when the largest is too big."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("package", nargs="?", default="core/src/cherrypy")
    parser.add_argument("--max", type=int, default=None, help="fail above this cycle size")
    args = parser.parse_args(argv)
    root = Path(args.package)
    graph = import_graph(root)
    found = cycles(graph)
    edges = sum(len(targets) for targets in graph.values())
    print(f"{root}: {len(graph)} modules, {edges} import edges, {len(found)} cycles")
    largest = len(found[0]) if found else 1
    print(f"largest import cycle: {largest} modules")
    for component in found:
        print(f"- {len(component)} modules:")
        members = set(component)
        for module in component:
            inside = sorted(graph[module] & members)
            print(f"    {module} -> {', '.join(inside)}")
    if args.max is not None and largest > args.max:
        print(f"FAIL: largest cycle {largest} > {args.max}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
