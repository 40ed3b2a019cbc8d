"""The plugin contract, checked on the sources of every plugin and contrib distribution.

A plugin imports ``cherrypy``, the plugin API (``cherrypy.plugin``), the test helpers
(``cherrypy.testing``), CherryPy's compatibility names and its own package: never
``cherrypy.kernel``, which is private.  It never reads or writes an underscore attribute of a
kernel object.  These tests parse the sources (imports inside functions included), so the
contract stays true as the code changes.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted(
    path
    for pattern in ("plugins/*/src/**/*.py", "contrib/*/src/**/*.py")
    for path in ROOT.glob(pattern)
)

ALLOWED_CHERRYPY_MODULES = ("cherrypy", "cherrypy.plugin", "cherrypy.testing", "cherrypy.dispatch")
"""Modules of the kernel distribution a plugin may import (besides compatibility names)."""

COMPAT_PREFIXES = ("cherrypy.lib", "cherrypy._", "cherrypy.process", "cherrypy.test")
"""CherryPy's compatibility names: ``cherrypy.lib.*``, ``cherrypy._cp*``, ..."""

KERNEL_OBJECT_NAMES = frozenset(
    {"request", "response", "req", "engine", "bus", "app", "tree", "toolbox", "serving"}
)
"""Names that hold kernel objects in plugin code (``cherrypy.request``, ``self.bus``...)."""


def _is_allowed(module: str) -> bool:
    if module in ALLOWED_CHERRYPY_MODULES:
        return True
    if module == "cherrypy.kernel" or module.startswith("cherrypy.kernel."):
        return False
    return module.startswith(COMPAT_PREFIXES) or not module.startswith("cherrypy.")


def _imported_modules(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.append((node.lineno, node.module))
            if node.module == "cherrypy":
                found.extend((node.lineno, f"cherrypy.{alias.name}") for alias in node.names)
    return found


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def _holds_kernel_object(node: ast.expr) -> bool:
    """``request``, ``cherrypy.request``, ``serving.request``, ``self.bus``, ``cherrypy``..."""
    if isinstance(node, ast.Name):
        return node.id in KERNEL_OBJECT_NAMES or node.id == "cherrypy"
    if isinstance(node, ast.Attribute):
        return node.attr in KERNEL_OBJECT_NAMES
    return False


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _violations(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    tree = ast.parse(text, str(path))
    rel = path.relative_to(ROOT)
    problems = [
        f"{rel}:{line}: imports {module}"
        for line, module in _imported_modules(tree)
        if not _is_allowed(module)
    ]
    docstrings = _docstrings(tree)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
            and node.value.startswith("cherrypy.kernel")
        ):
            problems.append(f"{rel}:{node.lineno}: names {node.value!r} in code")
        if (
            isinstance(node, ast.Attribute)
            and _private(node.attr)
            and _holds_kernel_object(node.value)
        ):
            problems.append(f"{rel}:{node.lineno}: touches {ast.unparse(node)}")
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("getattr", "setattr", "hasattr", "delattr")
            and len(node.args) >= 2
            and _holds_kernel_object(node.args[0])
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
            and _private(node.args[1].value)
        ):
            problems.append(f"{rel}:{node.lineno}: touches {ast.unparse(node)}")
    return problems


def test_there_are_plugin_sources_to_check():
    assert len(SOURCES) > 50
    assert any("cherrypy_example_tool" in str(path) for path in SOURCES)


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: str(path.relative_to(ROOT)))
def test_plugin_sources_keep_the_contract(path):
    assert _violations(path) == []


def test_the_checker_catches_what_it_is_for(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        '"""cherrypy.kernel in a docstring is fine."""\n'
        "import importlib\n"
        "from cherrypy.kernel.context import serving\n"
        "from cherrypy import kernel\n"
        "def f(request):\n"
        "    from cherrypy.kernel import tools\n"
        "    importlib.import_module('cherrypy.kernel.pluginmanager')\n"
        "    request._pipeline_entry = None\n"
        "    getattr(cherrypy.engine, '_startup_cwd')\n"
        "    return cherrypy.serving.request._body\n"
    )
    problems = _violations_of(sample)
    assert [problem.split(": ", 1)[1] for problem in problems] == [
        "imports cherrypy.kernel.context",
        "imports cherrypy.kernel",
        "imports cherrypy.kernel",
        "names 'cherrypy.kernel.pluginmanager' in code",
        "touches request._pipeline_entry",
        "touches getattr(cherrypy.engine, '_startup_cwd')",
        "touches cherrypy.serving.request._body",
    ]


def _violations_of(path: Path) -> list[str]:
    global ROOT
    saved, ROOT = ROOT, path.parent
    try:
        problems = _violations(path)
    finally:
        ROOT = saved
    return sorted(problems, key=lambda p: int(p.split(":")[1]))
