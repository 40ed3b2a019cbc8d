"""Fixtures for cherrypy-devtools tests: a clean kernel and a live server per test."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import cherrypy
from cherrypy.kernel.testing import reset, serve


@pytest.fixture(autouse=True)
def clean_kernel() -> Iterator[None]:
    """Unmount everything and restore the global config around each test."""
    reset()
    yield
    reset()


@pytest.fixture
def serve_root() -> Iterator[Callable[..., str]]:
    """``serve_root(root, conf=None, script_name="")`` mounts ``root``; returns the base URL."""
    with contextlib.ExitStack() as stack:

        def start(root: Any, conf: Any = None, script_name: str = "") -> str:
            cherrypy.tree.mount(root, script_name, conf)
            return stack.enter_context(serve()) + script_name

        yield start
