"""The checker's key check needs key names only: it never reads attribute docstrings.

``KeyDeclarer.declare_attributes`` documents a key from the attribute docstring in its
class's source (``configkeys.attribute_docs``: ``inspect.getsource`` and a parse per class),
which is for the listings and the config reference.  Doing that at every engine start in the
development environment cost more than the rest of the start-up; the checker gathers the
same key names without it.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest

import cherrypy
from cherrypy.kernel import configkeys


class Root:
    @cherrypy.expose
    def index(self) -> str:
        return "hello"


@pytest.fixture
def no_attribute_docs(cpsite: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    def refuse(cls: type) -> Any:
        raise AssertionError(f"the checker read the attribute docstrings of {cls!r}")

    monkeypatch.setattr(configkeys, "attribute_docs", refuse)
    yield


def run_checker() -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cherrypy.checker.on = True
        cherrypy.checker()
    return [str(w.message) for w in caught]


def test_attribute_keys_are_checked_without_their_docs(no_attribute_docs: None) -> None:
    cherrypy.config.update({"log.screeen": False})
    cherrypy.tree.mount(Root(), "/", {"/": {"request.show_traceback": False}})
    messages = run_checker()
    assert any("Did you mean 'log.screen'?" in m for m in messages), messages
    assert any(
        m.startswith("The config entry 'request.show_traceback' may be misspelled")
        for m in messages
    ), messages
    assert not any("failed to declare" in m for m in messages), messages


def test_the_full_registry_still_has_the_docs(cpsite: None) -> None:
    registry = configkeys.collect()
    [key] = [k for k in registry.declarations("request") if k.key == "show_tracebacks"]
    assert key.doc
