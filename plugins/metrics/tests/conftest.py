"""Fixtures for cherrypy-metrics tests: a clean kernel, and metrics switched off after each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import cherrypy
from cherrypy.kernel.pytest_fixtures import clean_kernel, serve_root  # noqa: F401
from cherrypy_metrics import metrics
from cherrypy_metrics.site import DEFAULTS


@pytest.fixture(autouse=True)
def metrics_off() -> Iterator[None]:
    """Every test starts and ends with metrics off, default settings and no counts."""
    yield
    cherrypy.config.update({"metrics.on": False})
    metrics.configure(DEFAULTS)
    if metrics.recorder is not None:
        metrics.recorder.clear()
