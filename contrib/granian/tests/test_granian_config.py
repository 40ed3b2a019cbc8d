"""The ``granian.*`` config keys: the namespace handler, checked values, defaults, the bind
address, and the plugin's hooks as the kernel sees them."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest

import cherrypy
from cherrypy_granian import plugin, supervisor
from cherrypy_granian.settings import DEFAULTS, KEY_DOCS, Settings, settings


@pytest.fixture
def saved_settings() -> Iterator[Settings]:
    before = dataclasses.replace(settings)
    try:
        yield settings
    finally:
        for field in dataclasses.fields(Settings):
            setattr(settings, field.name, getattr(before, field.name))


def test_global_config_sets_the_plugin_settings(saved_settings: Settings) -> None:
    cherrypy.config.update(
        {
            "granian.workers": 3,
            "granian.threads": 4,
            "granian.http": "1",
            "granian.shutdown_timeout": 2,
        }
    )
    assert (saved_settings.workers, saved_settings.threads) == (3, 4)
    assert (saved_settings.http, saved_settings.shutdown_timeout) == ("1", 2)
    assert saved_settings.thread_count() == 4


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("http", "3", "granian.http must be one of"),
        ("workers", 0, "granian.workers must be at least 1"),
        ("threads", -2, "granian.threads must be at least 1"),
        ("port", 80, "unknown config key 'granian.port'"),
    ],
)
def test_wrong_values_are_refused(key: str, value: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Settings().set(key, value)


def test_defaults() -> None:
    fresh = Settings()
    assert {key: getattr(fresh, key) for key in DEFAULTS} == DEFAULTS
    assert set(KEY_DOCS) == set(DEFAULTS)
    assert 1 <= fresh.thread_count() <= 10


def test_declared_keys() -> None:
    declared: dict[str, tuple[Any, str]] = {}

    class Checker:
        def declare_namespace(self, name: str, doc: str, **options: Any) -> None:
            assert name == "granian" and options["scope"] == "global"

        def declare_key(self, namespace: str, key: str, type_: Any, default: Any, doc: str) -> None:
            declared[key] = (default, doc)

    plugin.cherrypy_config_keys(Checker())  # type: ignore[arg-type]
    assert {key: default for key, (default, _doc) in declared.items()} == DEFAULTS


def test_the_server_is_registered() -> None:
    found: dict[str, Any] = {}
    plugin.cherrypy_register_servers(found.__setitem__)
    assert found == {"granian": plugin.serve}


@pytest.mark.parametrize(
    ("host", "address"),
    [("127.0.0.1", "127.0.0.1"), ("", "0.0.0.0"), ("::1", "::1"), ("localhost", None)],
)
def test_bind_address(host: str, address: str | None) -> None:
    found = supervisor._address(host, 8080)
    if address is None:
        assert found in ("127.0.0.1", "::1")
    else:
        assert found == address


def test_the_url_in_the_log_line() -> None:
    assert supervisor._url("127.0.0.1", 8080) == "http://127.0.0.1:8080"
    assert supervisor._url("::1", 80) == "http://[::1]"
