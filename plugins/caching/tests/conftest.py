"""Fixtures for cherrypy-caching tests: a clean kernel and a live server per test."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import cherrypy
from cherrypy.kernel.testing import reset, serve
from cherrypy_caching import clear_process_cache


@pytest.fixture(autouse=True)
def clean_kernel() -> Iterator[None]:
    """Unmount everything and restore the global config, and drop the process cache, around each test."""
    reset()
    clear_process_cache()
    yield
    clear_process_cache()
    reset()


@pytest.fixture
def serve_root() -> Iterator[Callable[..., str]]:
    """``serve_root(root, conf=None)`` mounts ``root`` at '/' and returns the base URL."""
    with contextlib.ExitStack() as stack:

        def start(root: Any, conf: Any = None) -> str:
            cherrypy.tree.mount(root, "", conf)
            return stack.enter_context(serve())

        yield start


@pytest.fixture
def error_log() -> Iterator[list[str]]:
    """Messages written to ``cherrypy.log`` during the test."""
    messages: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            messages.append(record.getMessage())

    logger = logging.getLogger("cherrypy.error")
    handler = Collect(level=logging.DEBUG)
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield messages
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
