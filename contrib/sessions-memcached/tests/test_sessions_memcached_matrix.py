"""The tool test matrix of cherrypy-sessions, run against memcached.

Every test of ``plugins/sessions/tests/test_sessions_tool.py`` that takes the ``backend``
fixture (data, ids, regeneration, expiry, locking modes, errors, redirects, streaming) runs
here with ``backend`` set to this store.  Outside the repository (no plugin tests beside us)
the module is skipped.
"""

from __future__ import annotations

import importlib.util
import inspect
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

_PLUGIN_TESTS = Path(__file__).resolve().parents[3] / "plugins" / "sessions" / "tests"

if not (_PLUGIN_TESTS / "test_sessions_tool.py").exists():  # pragma: no cover
    pytest.skip("plugins/sessions/tests is not beside this distribution", allow_module_level=True)


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        f"_sessions_memcached_matrix_{name}", _PLUGIN_TESTS / f"{name}.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_fixtures = _load("conftest")
_tool_tests = _load("test_sessions_tool")

counter = _fixtures.counter
cookies = _fixtures.cookies

for _name, _test in vars(_tool_tests).items():
    if _name.startswith("test_") and "backend" in inspect.signature(_test).parameters:
        globals()[_name] = _test


@pytest.fixture
def backend(session_conf: dict[str, Any]) -> dict[str, Any]:
    """The ``tools.sessions`` config of this store."""
    return dict(session_conf)
