"""Fixtures for cherrypy-devtools tests: a clean kernel and a live server per test."""

from __future__ import annotations

from cherrypy.kernel.pytest_fixtures import clean_kernel, serve_root  # noqa: F401
