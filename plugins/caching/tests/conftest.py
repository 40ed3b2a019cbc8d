"""Fixtures for cherrypy-caching tests: a clean kernel and a live server per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cherrypy.kernel.pytest_fixtures import error_log, serve_root  # noqa: F401
from cherrypy.testing import reset
from cherrypy_caching import clear_process_cache


@pytest.fixture(autouse=True)
def clean_kernel() -> Iterator[None]:
    """Unmount everything and restore the global config, and drop the process cache, around each test."""
    reset()
    clear_process_cache()
    yield
    clear_process_cache()
    reset()
