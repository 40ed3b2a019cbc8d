"""The config key declarations of every distribution match the keys the code really reads,
the checker reports misspelled keys of plugins, and the reference page lists every key."""

from __future__ import annotations

import importlib.util
import inspect
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

import cherrypy
from cherrypy.kernel import configkeys
from cherrypy.kernel.configkeys import ConfigKeyRegistry

DOCS = Path(__file__).resolve().parents[1] / "docs"

# Every server.* setting of CherryPy 18.10's Server class: none may be reported as unknown.
CHERRYPY_SERVER_KEYS = {
    "accepted_queue_size",
    "accepted_queue_timeout",
    "bind_addr",
    "instance",
    "max_request_body_size",
    "max_request_header_size",
    "nodelay",
    "peercreds",
    "peercreds_resolve",
    "protocol_version",
    "shutdown_timeout",
    "socket_file",
    "socket_host",
    "socket_port",
    "socket_queue_size",
    "socket_timeout",
    "ssl_certificate",
    "ssl_certificate_chain",
    "ssl_ciphers",
    "ssl_context",
    "ssl_module",
    "ssl_private_key",
    "statistics",
    "thread_pool",
    "thread_pool_max",
    "wsgi_version",
}

# Which distribution provides each tool.
TOOL_PROVIDERS = {
    "encode": "cherrypy-kernel",
    "trailing_slash": "cherrypy-kernel",
    "log_tracebacks": "cherrypy-kernel",
    "log_headers": "cherrypy-kernel",
    "sessions": "cherrypy-sessions",
    "session_auth": "cherrypy-sessions",
    "staticdir": "cherrypy-static",
    "staticfile": "cherrypy-static",
    "gzip": "cherrypy-encoding",
    "decode": "cherrypy-encoding",
    "json_in": "cherrypy-json",
    "json_out": "cherrypy-json",
    "auth_basic": "cherrypy-auth",
    "auth_digest": "cherrypy-auth",
    "caching": "cherrypy-caching",
    "expires": "cherrypy-caching",
    "etags": "cherrypy-caching",
    "allow": "cherrypy-cptools",
    "accept": "cherrypy-cptools",
    "proxy": "cherrypy-cptools",
    "response_headers": "cherrypy-cptools",
    "referer": "cherrypy-cptools",
    "redirect": "cherrypy-cptools",
    "err_redirect": "cherrypy-cptools",
    "flatten": "cherrypy-cptools",
    "ignore_headers": "cherrypy-cptools",
    "autovary": "cherrypy-cptools",
    "params": "cherrypy-cptools",
    "log_hooks": "cherrypy-cptools",
    "xmlrpc": "cherrypy-xmlrpc",
    "cpstats": "cherrypy-devtools",
    "request_id": "cherrypy-example-tool",
}


@pytest.fixture(scope="module")
def registry() -> ConfigKeyRegistry:
    found = configkeys.collect()
    assert found.errors == []
    return found


def declared(registry: ConfigKeyRegistry, namespace: str) -> set[str]:
    return {key.key for key in registry.declarations(namespace)}


def extra_keys(registry: ConfigKeyRegistry, name: str) -> set[str]:
    """The keys of ``tools.<name>`` beyond on, priority and the callable's parameters."""
    tool = getattr(cherrypy.tools, name)
    params, _ = configkeys.tool_parameters(tool)
    names = {param.name for param in params}
    keys = declared(registry, f"tools.{name}")
    assert names <= keys, f"tools.{name} misses parameters {names - keys}"
    return keys - names - {"on", "priority"}


def test_every_tool_is_declared_by_its_distribution(registry: ConfigKeyRegistry) -> None:
    # Other tests may register tools of their own; every tool we ship must be declared.
    assert set(TOOL_PROVIDERS) <= set(cherrypy.tools)
    for name, provider in TOOL_PROVIDERS.items():
        namespace = registry.namespaces[f"tools.{name}"]
        assert namespace.provider == provider, name
        assert namespace.doc, name
        assert {"on", "priority"} <= declared(registry, f"tools.{name}")


def test_tool_keys_are_the_callables_parameters(registry: ConfigKeyRegistry) -> None:
    """Besides its parameters a tool declares only keys that its code reads elsewhere."""
    from cherrypy_caching.memory import MemoryCache
    from cherrypy_encoding import plugin as encoding_plugin
    from cherrypy_encoding.inflate import inflate_request_body
    from cherrypy_sessions import tool as session_tool
    from cherrypy_sessions.auth import SessionAuth
    from cherrypy_sessions.file import FileSession
    from cherrypy_sessions_memcached.backend import MemcachedSession
    from cherrypy_sessions_postgres.backend import PostgresqlSession
    from cherrypy_xmlrpc import controller, util

    read_elsewhere = {
        "encode": set(),  # checked in core/tests/test_config_declarations.py
        "sessions": None,
        "session_auth": None,
        "caching": None,
        "gzip": set(encoding_plugin._REQUEST_OPTIONS),
        "xmlrpc": {"encoding", "allow_none", "max_body"},
    }
    for name in TOOL_PROVIDERS:
        extra = extra_keys(registry, name)
        if name not in read_elsewhere:
            assert extra == set(), f"tools.{name} declares {extra} beyond its parameters"
    assert set(inspect.signature(inflate_request_body).parameters) == extra_keys(registry, "gzip")
    xmlrpc_source = inspect.getsource(controller) + inspect.getsource(util)
    for key in extra_keys(registry, "xmlrpc"):
        assert f'"{key}"' in xmlrpc_source, key
    build_source = inspect.getsource(session_tool._build)
    backends = (FileSession, MemcachedSession, PostgresqlSession)
    for key in extra_keys(registry, "sessions"):
        assert f'"{key}"' in build_source or any(hasattr(cls, key) for cls in backends), key
    for key in extra_keys(registry, "session_auth"):
        assert hasattr(SessionAuth, key), key
    for key in extra_keys(registry, "caching") - {"cache_class"}:
        assert hasattr(MemoryCache, key), key
    assert '"cache_class"' in inspect.getsource(importlib.import_module("cherrypy_caching.caching"))


def test_server_keys_are_settings_of_the_server_adapter(registry: ConfigKeyRegistry) -> None:
    from cherrypy_server.adapter import Server

    keys = declared(registry, "server")
    assert keys >= CHERRYPY_SERVER_KEYS
    for key in keys:
        assert hasattr(Server, key), key
        assert not callable(inspect.getattr_static(Server, key)) or isinstance(
            inspect.getattr_static(Server, key), property
        ), key
    namespace = registry.namespaces["server"]
    assert namespace.provider == "cherrypy-server" and not namespace.open
    assert namespace.scope == "global"


def test_engine_and_backend_keys_are_attributes_they_set(registry: ConfigKeyRegistry) -> None:
    from cherrypy_process.autoreload import Autoreloader
    from cherrypy_sessions_memcached.backend import MemcachedSession
    from cherrypy_sessions_postgres.backend import PostgresqlSession

    for key in declared(registry, "engine.autoreload") - {"on"}:
        assert hasattr(Autoreloader, key) or key in Autoreloader.__annotations__, key
    by_provider = {
        "cherrypy-sessions-memcached": MemcachedSession,
        "cherrypy-sessions-postgres": PostgresqlSession,
    }
    for key in registry.declarations("tools.sessions"):
        cls = by_provider.get(key.provider or "")
        if cls is not None:
            assert hasattr(cls, key.key), key.fullname
    providers = {key.provider for key in registry.declarations("tools.sessions")}
    assert set(by_provider) <= providers
    dispatch = {key.provider for key in registry.declarations("request") if key.key == "dispatch"}
    assert {"cherrypy-kernel", "cherrypy-dispatchers", "cherrypy-routes", "cherrypy-xmlrpc"} <= (
        dispatch
    )


def test_every_declared_key_has_a_description(registry: ConfigKeyRegistry) -> None:
    for key in registry.declarations():
        assert key.doc, key.fullname
        assert key.provider, key.fullname
    for namespace in registry.namespaces.values():
        assert namespace.doc, namespace.name


# ------------------------------------------------------------------------------ the checker


class Root:
    @cherrypy.expose
    def index(self) -> str:
        return "hello"


@pytest.fixture
def site() -> Iterator[None]:
    config = dict(cherrypy.config)
    apps = dict(cherrypy.tree.apps)
    checker_on = cherrypy.checker.on
    cherrypy.tree.apps.clear()
    try:
        yield
    finally:
        cherrypy.tree.apps.clear()
        cherrypy.tree.apps.update(apps)
        dict.clear(cherrypy.config)
        dict.update(cherrypy.config, config)
        cherrypy.checker.on = checker_on


def checker_messages() -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cherrypy.checker.on = True
        cherrypy.checker()
    return [str(w.message) for w in caught]


def test_checker_reports_misspelled_plugin_keys(site: None) -> None:
    dict.update(cherrypy.config, {"server.socket_prot": 8080, "engine.autoreload.frequncy": 2})
    cherrypy.tree.mount(
        Root(),
        "/",
        {
            "/": {
                "tools.sessions.on": True,
                "tools.sessions.timout": 30,
                "tools.gzip.min_sise": 100,
            }
        },
    )
    messages = checker_messages()
    assert (
        "The config entry 'server.socket_prot' is unknown: the 'server' (cherrypy-server) "
        "config namespace declares no key 'socket_prot'. Did you mean 'server.socket_port'?"
        "\nsection: [global]"
    ) in messages
    assert (
        "The config entry 'tools.sessions.timout' may be misspelled: the 'tools.sessions' "
        "(cherrypy-sessions) config namespace declares no key 'timout'. "
        "Did you mean 'tools.sessions.timeout'?\nsection: [/]"
    ) in messages
    assert any(
        "'tools.gzip.min_sise' is unknown" in m and "'tools.gzip.min_size'" in m for m in messages
    )
    assert any("'engine.autoreload.frequncy' is unknown" in m for m in messages)


class CustomSession(importlib.import_module("cherrypy_sessions").Session):  # type: ignore[misc]
    """A backend of the application's own, with a setting nobody declared."""

    server = "localhost"


def test_checker_accepts_valid_cherrypy_config_of_every_distribution(
    site: None, tmp_path: Path
) -> None:
    dict.update(
        cherrypy.config,
        {
            "server.socket_host": "127.0.0.1",
            "server.socket_port": 8080,
            "server.thread_pool": 20,
            "server.max_request_body_size": 0,
            "server.public.socket_port": 8443,
            "server.public.ssl_certificate": "cert.pem",
            "engine.autoreload.on": False,
            "engine.autoreload.frequency": 2,
            "engine.myplugin.on": True,
            "log.screen": False,
        },
    )
    static = tmp_path / "static"
    static.mkdir()
    cherrypy.tree.mount(
        Root(),
        "/",
        {
            "/": {
                "tools.sessions.on": True,
                "tools.sessions.storage_type": "file",
                "tools.sessions.storage_path": str(tmp_path),
                "tools.sessions.timeout": 30,
                "tools.sessions.locking": "explicit",
                "tools.gzip.on": True,
                "tools.gzip.mime_types": ["text/*"],
                "tools.gzip.min_size": 256,
                "tools.proxy.on": True,
                "tools.proxy.trusted": "127.0.0.1",
                "tools.caching.on": True,
                "tools.caching.delay": 60,
                "tools.json_out.on": False,
                "tools.xmlrpc.allow_none": True,
                "tools.response_headers.headers": [("X-Frame-Options", "DENY")],
                "tools.auth_basic.realm": "site",
                "tools.cpstats.on": True,
            },
            "/static": {"tools.staticdir.on": True, "tools.staticdir.dir": str(static)},
            "/custom": {
                "tools.sessions.storage_class": CustomSession,
                "tools.sessions.server": "cache.internal",
            },
            "/memcached": {
                "tools.sessions.storage_type": "memcached",
                "tools.sessions.servers": ["127.0.0.1:11211"],
            },
        },
    )
    assert checker_messages() == []


# ------------------------------------------------------------------------ the reference page


def load_configref() -> ModuleType:
    spec = importlib.util.spec_from_file_location("configref", DOCS / "_ext" / "configref.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_reference_page_lists_every_declared_key(registry: ConfigKeyRegistry) -> None:
    configref = load_configref()
    tables = configref.reference_tables(registry)
    listed = {row.key for table in tables for row in table.rows}
    assert listed == {key.fullname for key in registry.declarations()}
    by_name = {table.name: table for table in tables}
    assert set(registry.namespaces) <= set(by_name) | {""}
    gzip = by_name["tools.gzip"]
    assert gzip.provider == "cherrypy-encoding"
    min_size = next(row for row in gzip.rows if row.key == "tools.gzip.min_size")
    assert (min_size.type, min_size.default, min_size.provider) == ("int", "0", "cherrypy-encoding")
    assert by_name[configref.TOP_LEVEL].rows[0].key == "environment"
    anchors = [table.anchor for table in tables]
    assert len(anchors) == len(set(anchors))
    page = (DOCS / "config-reference.md").read_text()
    assert "```{config-reference}" in page
    assert "config-reference" in (DOCS / "index.md").read_text()
