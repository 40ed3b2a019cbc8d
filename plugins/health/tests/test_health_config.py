"""cherrypy-health's config: the plugin is loaded, its keys declared, bad values refused with
a message naming the key (and nothing changed), and the probes' answers in process."""

from __future__ import annotations

import json

import pytest

import cherrypy
from cherrypy.kernel import configkeys
from cherrypy_health import HealthConfigError, health


class Root:
    @cherrypy.expose
    def index(self) -> str:
        return "hello"


def test_the_plugin_is_loaded_and_declares_its_keys() -> None:
    registry = configkeys.collect()
    assert registry.errors == []
    namespace = registry.namespaces["health"]
    assert namespace.provider == "cherrypy-health" and namespace.scope == "global"
    keys = {key.key: key for key in registry.declarations("health")}
    assert set(keys) == {"on", "live_path", "ready_path", "checks"}
    assert keys["live_path"].default == "/healthz"
    assert keys["ready_path"].default == "/readyz"
    assert keys["checks"].default == []


def test_on_grafts_both_probes_and_off_removes_them(wsgi_call) -> None:
    cherrypy.tree.mount(Root(), "", {"/": {"tools.encode.on": True}})
    cherrypy.config.update({"health.on": True})
    assert health.enabled and set(health.mounted) == {"/healthz", "/readyz"}
    status, headers, body = wsgi_call("GET", "/healthz")
    assert status == "200 OK" and json.loads(body) == {"status": "alive"}
    assert headers["Content-Type"] == "application/json"
    assert headers["Cache-Control"] == "no-store"
    assert headers["Content-Length"] == str(len(body))

    cherrypy.config.update({"health.on": False})
    assert not health.enabled and health.mounted == {}
    assert "/healthz" not in cherrypy.tree.apps
    assert wsgi_call("GET", "/")[2] == b"hello"


def test_readiness_in_process_follows_the_engine_state(wsgi_call, monkeypatch) -> None:
    cherrypy.config.update({"health.on": True})
    engine = cherrypy.engine
    for state in ("STOPPED", "STARTING", "STOPPING", "EXITING"):
        monkeypatch.setattr(engine, "state", getattr(engine.states, state))
        status, headers, body = wsgi_call("GET", "/readyz")
        assert status == "503 Service Unavailable"
        assert json.loads(body) == {"status": state.lower(), "engine": state}
        assert headers["Retry-After"] == "1"
    monkeypatch.setattr(engine, "state", engine.states.STARTED)
    status, headers, body = wsgi_call("GET", "/readyz")
    assert status == "200 OK" and json.loads(body) == {"status": "ready", "engine": "STARTED"}
    assert "Retry-After" not in headers


def test_methods_and_sub_paths(wsgi_call) -> None:
    cherrypy.config.update({"health.on": True})
    status, headers, body = wsgi_call("HEAD", "/healthz")
    assert status == "200 OK" and body == b"" and headers["Content-Length"] != "0"
    for method in ("POST", "PUT", "DELETE", "OPTIONS"):
        status, headers, body = wsgi_call(method, "/readyz")
        assert status == "405 Method Not Allowed", method
        assert headers["Allow"] == "GET, HEAD"
    status, _, _ = wsgi_call("GET", "/healthz/deeper")
    assert status == "404 Not Found"


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ({"health.live_path": "healthz"}, "health.live_path must start with '/'"),
        ({"health.ready_path": "/"}, "health.ready_path must name a path below '/'"),
        ({"health.ready_path": 8080}, "health.ready_path must be a string"),
        ({"health.live_path": "/h?x=1"}, "health.live_path must be a plain path"),
        ({"health.live_path": "/same", "health.ready_path": "/same/"}, "must differ"),
        ({"health.on": "yes"}, "health.on must be True or False"),
        ({"health.checks": 42}, "health.checks must be a list"),
        ({"health.checks": "os:getcwd"}, "health.checks must be a list"),
        ({"health.checks": [42]}, "42 is neither a callable nor a 'module:function' name"),
        ({"health.checks": ["os.getcwd"]}, "'os.getcwd' is not a 'package.module:function'"),
        ({"health.checks": ["no_such_module_xyz:check"]}, "cannot import 'no_such_module_xyz"),
        ({"health.checks": ["os:no_such_function"]}, "no attribute 'no_such_function'"),
        ({"health.checks": ["os:sep"]}, "names '/', not a callable"),
    ],
)
def test_bad_values_are_refused_naming_the_key(entries, message) -> None:
    cherrypy.config.update({"health.on": True})
    before = (dict(health.settings), dict(health.mounted), health.checks)
    with pytest.raises(HealthConfigError, match=message.replace("?", r"\?")):
        cherrypy.config.update(entries)
    # Nothing changed: still on, at the same paths.
    assert (dict(health.settings), dict(health.mounted), health.checks) == before
    assert cherrypy.tree.apps["/healthz"] is health.live_app


def test_a_path_where_an_application_is_mounted_is_refused() -> None:
    cherrypy.tree.mount(Root(), "/status", {"/": {"tools.encode.on": True}})
    with pytest.raises(HealthConfigError, match="'/status' is already mounted"):
        cherrypy.config.update({"health.on": True, "health.ready_path": "/status"})
    assert not health.enabled
    assert isinstance(cherrypy.tree.apps["/status"].root, Root)


def test_checks_are_resolved_when_set() -> None:
    def cache() -> bool:
        return True

    cherrypy.config.update({"health.checks": [cache, "os.path:isdir"]})
    assert [check.name for check in health.checks] == [
        "cache",
        "os.path:isdir",
    ]
    import os.path

    assert health.checks[1].func is os.path.isdir
