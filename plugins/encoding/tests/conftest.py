"""Fixtures for cherrypy-encoding tests: a clean kernel and a live server per test."""

from __future__ import annotations

from cherrypy.kernel.pytest_fixtures import (  # noqa: F401
    clean_kernel,
    docs_example,
    error_log,
    serve_root,
    wsgi_call,
)
