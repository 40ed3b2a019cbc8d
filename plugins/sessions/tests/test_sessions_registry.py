"""The backend registry: storage types from plugins, errors, and CherryPy-style custom classes."""

from __future__ import annotations

import datetime
import threading
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
import requests

import cherrypy
from cherrypy.plugin import get_plugin_manager, hookimpl
from cherrypy_sessions import registry
from cherrypy_sessions.base import Session
from cherrypy_sessions.file import FileSession
from cherrypy_sessions.ram import RamSession


class DictSession(Session):
    """A custom backend written against CherryPy's documented primitives."""

    store: dict[str, Any] = {}
    guard = threading.RLock()

    def _exists(self) -> bool:
        return self.id in self.store

    def _load(self) -> Any:
        return self.store.get(self.id)

    def _save(self, expiration_time: datetime.datetime) -> None:
        self.store[self.id] = (dict(self._data, saved_by="dict"), expiration_time)

    def _delete(self) -> None:
        self.store.pop(self.id, None)

    def acquire_lock(self) -> None:
        self.guard.acquire()
        self.locked = True

    def release_lock(self) -> None:
        self.guard.release()
        self.locked = False

    def __len__(self) -> int:
        return len(self.store)


class DictBackendPlugin:
    """A plugin that offers DictSession as storage_type 'dict'."""

    @hookimpl
    def cherrypy_register_session_backends(self, register: Any) -> None:
        register("dict", DictSession)


class Counter:
    @cherrypy.expose
    def index(self) -> str:
        count = cherrypy.session.get("count", 0) + 1
        cherrypy.session["count"] = count
        return f"{count} {cherrypy.session.get('saved_by')}"


@pytest.fixture
def dict_plugin() -> Iterator[None]:
    DictSession.store = {}
    manager = get_plugin_manager()
    plugin = DictBackendPlugin()
    manager.register(plugin, name="test-dict-backend")
    try:
        yield
    finally:
        manager.unregister(name="test-dict-backend")


def test_builtin_backends_are_registered_through_the_hook() -> None:
    found = registry.available_backends()
    assert found["ram"] is RamSession and found["file"] is FileSession
    assert registry.get_backend("RAM") is RamSession


def test_a_plugin_adds_a_storage_type(live: Any, dict_plugin: None) -> None:
    assert registry.get_backend("dict") is DictSession
    conf = {"/": {"tools.sessions.on": True, "tools.sessions.storage_type": "dict"}}
    with live(Counter(), conf) as base:
        client = requests.Session()
        assert client.get(base + "/").text == "1 None"
        assert client.get(base + "/").text == "2 dict"
    assert len(DictSession.store) == 1


def test_plugin_registered_after_the_first_lookup_is_replayed(dict_plugin: None) -> None:
    registry.get_backend("ram")

    class Late:
        @hookimpl
        def cherrypy_register_session_backends(self, register: Any) -> None:
            register("late", DictSession)

    manager = get_plugin_manager()
    manager.register(Late(), name="test-late-backend")
    try:
        assert registry.get_backend("late") is DictSession
    finally:
        manager.unregister(name="test-late-backend")


def test_storage_class_accepts_a_cherrypy_style_subclass(live: Any) -> None:
    DictSession.store = {}
    conf = {"/": {"tools.sessions.on": True, "tools.sessions.storage_class": DictSession}}
    with live(Counter(), conf) as base:
        client = requests.Session()
        client.get(base + "/")
        assert client.get(base + "/").text == "2 dict"


def test_storage_class_as_a_dotted_name(live: Any) -> None:
    conf = {
        "/": {
            "tools.sessions.on": True,
            "tools.sessions.storage_class": "cherrypy_sessions.ram.RamSession",
        }
    }
    with live(Counter(), conf) as base:
        client = requests.Session()
        client.get(base + "/")
        assert client.get(base + "/").text == "2 None"


def test_known_but_missing_storage_type_names_the_distribution(
    live: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A storage type of ours that is certainly not installed (memcached and postgresql may be).
    monkeypatch.setitem(registry.KNOWN_DISTRIBUTIONS, "redisx", "cherrypy-sessions-redisx")
    with pytest.raises(registry.UnknownBackendError, match="pip install cherrypy-sessions-redisx"):
        registry.get_backend("redisx")
    conf = {"/": {"tools.sessions.on": True, "tools.sessions.storage_type": "redisx"}}
    with live(Counter(), conf) as base:
        response = requests.get(base + "/")
    assert response.status_code == 500
    assert "cherrypy-sessions-redisx" in response.text


def test_unknown_storage_type_lists_what_is_registered() -> None:
    with pytest.raises(registry.UnknownBackendError, match="registered: ") as caught:
        registry.get_backend("cassandra")
    registered = str(caught.value).split("registered: ", 1)[1].split(", ")
    assert {"file", "ram"} <= set(registered)


def test_register_validates_name_and_class() -> None:
    with pytest.raises(ValueError, match="invalid session backend name"):
        registry.register_backend("no spaces", RamSession)
    with pytest.raises(TypeError, match="subclass"):
        registry.register_backend("thing", dict)  # type: ignore[arg-type]


def test_conflicting_registration_keeps_the_first() -> None:
    registry.register_backend("twice", RamSession)
    registry.register_backend("twice", RamSession)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        registry.register_backend("twice", FileSession)
    assert registry.get_backend("twice") is RamSession
    assert "keeping the first" in str(caught[0].message)
