"""Config key declarations (``cherrypy.kernel.configkeys``) and the checker's use of them.

These tests need only the kernel; the declarations of the plugin distributions are covered by
``tests/test_config_reference.py``.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

import cherrypy
from cherrypy.kernel import builtin_tools, configkeys
from cherrypy.kernel import pluginmanager as plugins
from cherrypy.kernel.checker import Checker
from cherrypy.kernel.configkeys import REQUIRED, UNSET, ConfigKeyRegistry, KeyDeclarer
from cherrypy.kernel.hookspecs import hookimpl
from cherrypy.kernel.logs import LogManager
from cherrypy.kernel.reqbody import RequestBody
from cherrypy.kernel.request import Request
from cherrypy.kernel.requesthooks import HOOKPOINTS
from cherrypy.kernel.response import Response
from cherrypy.kernel.tools import Tool


def new_declarer(provider: str = "my-dist") -> tuple[ConfigKeyRegistry, KeyDeclarer]:
    registry = ConfigKeyRegistry()
    return registry, KeyDeclarer(registry, provider)


def kernel_keys() -> dict[str, configkeys.ConfigKey]:
    return {
        key.fullname: key
        for key in configkeys.collect().declarations()
        if key.provider == plugins.KERNEL_DISTRIBUTION
    }


def run_checker() -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cherrypy.checker.on = True
        cherrypy.checker()
    return [str(w.message) for w in caught]


class Root:
    @cherrypy.expose
    def index(self) -> str:
        return "hello"


# ----------------------------------------------------------------------- the declaration API


def test_closed_namespace_reports_any_undeclared_key_with_the_closest_one() -> None:
    registry, checker = new_declarer()
    checker.declare_namespace("db", "Database settings.", scope="global")
    checker.declare_key("db", "url", str, "sqlite://", "Where the database lives.")
    checker.declare_key("db", "pool_size", int, 5, "Connections kept open.")

    assert registry.check("db.url") is None
    unknown = registry.check("db.pool_sise")
    assert unknown is not None and unknown.suggestion == "db.pool_size"
    assert unknown.message == (
        "The config entry 'db.pool_sise' is unknown: the 'db' (my-dist) config namespace "
        "declares no key 'pool_sise'. Did you mean 'db.pool_size'?"
    )
    nothing_close = registry.check("db.colour")
    assert nothing_close is not None and nothing_close.suggestion is None
    # Keys outside declared namespaces are left to the namespace check.
    assert registry.check("cache.size") is None


def test_open_namespace_reports_only_near_misses() -> None:
    registry, checker = new_declarer()
    checker.declare_namespace("request", "Request attributes.", open=True)
    checker.declare_key("request", "show_tracebacks", bool, True, "Tracebacks on error pages.")

    assert registry.check("request.my_own_flag") is None
    unknown = registry.check("request.show_traceback")
    assert unknown is not None
    assert "may be misspelled" in unknown.message
    assert unknown.suggestion == "request.show_tracebacks"


def test_most_specific_namespace_wins_and_dotted_suffixes_of_keys_are_accepted() -> None:
    registry, checker = new_declarer()
    checker.declare_namespace("engine", "The bus.", scope="global", open=True)
    checker.declare_namespace("engine.autoreload", "The reloader.", scope="global")
    checker.declare_key("engine.autoreload", "frequency", float, 1, "Seconds between scans.")
    checker.declare_namespace("hooks", "Hook callbacks.")
    checker.declare_key("hooks", "before_handler", "callable", UNSET, "A callback.")

    assert registry.check("engine.myplugin.on") is None
    assert registry.check("engine.autoreload.frequency") is None
    unknown = registry.check("engine.autoreload.frequncy")
    assert unknown is not None and unknown.namespace.name == "engine.autoreload"
    assert registry.check("hooks.before_handler.second") is None


def test_instances_accept_a_name_between_namespace_and_key() -> None:
    registry, checker = new_declarer()
    checker.declare_namespace("server", "Servers.", scope="global", instances=True)
    checker.declare_key("server", "socket_port", int, 8080, "The port.")

    assert registry.check("server.public.socket_port") is None
    unknown = registry.check("server.public.socket_prot")
    assert unknown is not None and unknown.suggestion == "server.public.socket_port"


def test_accepts_vouches_for_keys_given_their_section() -> None:
    registry, checker = new_declarer()
    checker.declare_namespace(
        "tools.store",
        "A store.",
        accepts=lambda key, section: key in section.get("tools.store.extra_keys", ()),
    )
    checker.declare_key("tools.store", "on", bool, False, "Switch it on.")

    assert registry.check("tools.store.colour", {"tools.store.extra_keys": ["colour"]}) is None
    assert registry.check("tools.store.colour", {}) is not None


def test_a_raising_accepts_counts_as_no() -> None:
    registry, checker = new_declarer()

    def broken(key: str, section: Any) -> bool:
        raise LookupError("no backend")

    checker.declare_namespace("tools.store", "A store.", accepts=broken)
    assert registry.check("tools.store.colour", {}) is not None


def test_declare_tool_derives_keys_from_the_callable_signature() -> None:
    def shout(level: int, words: str = "hi", *, debug: bool = False) -> None:
        """Make the body louder."""

    registry, checker = new_declarer()
    tool = Tool("before_finalize", shout, priority=20)
    checker.declare_tool("shout", tool, {"level": "How loud.", "words": "What to add."})

    keys = {key.key: key for key in registry.declarations("tools.shout")}
    assert set(keys) == {"on", "priority", "level", "words", "debug"}
    assert keys["level"].default is REQUIRED and keys["level"].default_text == "required"
    assert keys["level"].type == "int" and keys["level"].doc == "How loud."
    assert keys["words"].default == "hi"
    assert keys["priority"].default == 20
    assert keys["debug"].doc  # a standard description
    namespace = registry.namespaces["tools.shout"]
    assert namespace.doc == "Make the body louder." and not namespace.open
    assert namespace.provider == "my-dist"


def test_declare_tool_is_open_when_the_callable_takes_kwargs() -> None:
    def store(name: str = "x", **kwargs: Any) -> None:
        """Store things."""

    registry, checker = new_declarer()
    checker.declare_tool("store", store, {"name": "A name."}, extra={"size": (int, 3, "Size.")})
    assert registry.namespaces["tools.store"].open
    assert {key.key for key in registry.declarations("tools.store")} == {
        "on",
        "priority",
        "name",
        "size",
    }


class Settings:
    """A class whose attributes are config keys."""

    size: int = 3
    """How many there are.

    More text that is not part of the one-line doc.
    """

    name = "x"
    """What it is called."""

    @property
    def colour(self) -> str:
        """The colour, read-only here."""
        return "blue"


def test_declare_attributes_reads_types_defaults_and_attribute_docstrings() -> None:
    registry, checker = new_declarer()
    checker.declare_attributes("things", Settings, ("size", "name", "colour"))
    keys = {key.key: key for key in registry.declarations("things")}
    assert (keys["size"].type, keys["size"].default, keys["size"].doc) == (
        "int",
        3,
        "How many there are.",
    )
    assert (keys["name"].type, keys["name"].doc) == ("str", "What it is called.")
    assert keys["colour"].default is UNSET and keys["colour"].doc == "The colour, read-only here."


def test_default_text_of_objects_without_a_readable_repr() -> None:
    key = configkeys.ConfigKey("request", "dispatch", "", Request.dispatch, "", None)
    assert key.default_text == "cherrypy.kernel.dispatch.Dispatcher()"
    func = configkeys.ConfigKey("x", "f", "", kernel_keys, "", None)
    assert func.default_text.endswith(".kernel_keys")


def test_unknown_scope_is_refused() -> None:
    _registry, checker = new_declarer()
    with pytest.raises(ValueError, match="unknown config scope"):
        checker.declare_namespace("db", "Database.", scope="site")


# ---------------------------------------------------------------- the kernel's declarations


def test_builtin_tools_declare_exactly_their_callables_parameters() -> None:
    keys = kernel_keys()
    callables = {
        "trailing_slash": builtin_tools.trailing_slash,
        "log_tracebacks": builtin_tools.log_traceback,
        "log_headers": builtin_tools.log_request_headers,
    }
    for name, func in callables.items():
        declared = {k.split(".", 2)[2] for k in keys if k.startswith(f"tools.{name}.")}
        params = set(inspect.signature(func).parameters)
        assert declared == params | {"on", "priority"}, name
    # tools.encode builds a ResponseEncoder(**settings): its keys are the encoder's attributes.
    encode = {k.split(".", 2)[2] for k in keys if k.startswith("tools.encode.")}
    assert encode - {"on", "priority"} == set(builtin_tools._ENCODE_DOCS)
    for name in encode - {"on", "priority"}:
        assert hasattr(builtin_tools.ResponseEncoder, name)
    assert keys["tools.encode.priority"].default == 70
    assert keys["tools.trailing_slash.priority"].default == 60


def test_kernel_namespace_keys_are_attributes_of_the_objects_they_set() -> None:
    keys = kernel_keys()
    owners = {
        "request": Request,
        "request.body": RequestBody,
        "response": Response,
        "log": LogManager,
        "checker": Checker,
    }
    for fullname, key in keys.items():
        owner = owners.get(key.namespace)
        if owner is not None:
            assert hasattr(owner, key.key) or key.key in vars(owner()), fullname
    assert {k for k in keys if k.startswith("hooks.")} == {f"hooks.{p}" for p in HOOKPOINTS}
    assert "environment" in keys
    for fullname in ("log.screen", "log.error_file", "checker.on", "request.show_tracebacks"):
        assert keys[fullname].doc, fullname


def test_every_kernel_key_has_a_description_and_a_type_or_default() -> None:
    for fullname, key in kernel_keys().items():
        assert key.doc, fullname
        assert key.type or key.default is not UNSET, fullname


def test_declarations_are_credited_to_the_plugin_and_failures_reported() -> None:
    class Declares:
        @hookimpl
        def cherrypy_config_keys(self, checker: KeyDeclarer) -> None:
            checker.declare_namespace("mine", "Mine.", scope="global")
            checker.declare_key("mine", "colour", str, "red", "The colour.")

    class Fails:
        @hookimpl
        def cherrypy_config_keys(self, checker: KeyDeclarer) -> None:
            raise RuntimeError("boom")

    manager = plugins.get_plugin_manager()
    manager.register(Declares(), name="test-declares")
    manager.register(Fails(), name="test-fails")
    try:
        registry = configkeys.collect()
    finally:
        manager.unregister(name="test-declares")
        manager.unregister(name="test-fails")
    assert registry.namespaces["mine"].provider == "test-declares"
    assert [key.fullname for key in registry.declarations("mine")] == ["mine.colour"]
    assert registry.errors == ["test-fails: RuntimeError: boom"]
    assert registry.namespaces["request"].provider == plugins.KERNEL_DISTRIBUTION


# ------------------------------------------------------------------------------ the checker


@pytest.fixture
def site(cpsite: None) -> Iterator[None]:
    yield


def test_checker_warns_about_an_undeclared_key_with_a_clear_message(site: None) -> None:
    cherrypy.config.update({"log.screeen": False})
    cherrypy.tree.mount(
        Root(),
        "/",
        {"/": {"tools.trailing_slash.mising": False, "request.show_traceback": False}},
    )
    messages = run_checker()
    assert (
        "The config entry 'log.screeen' is unknown: the 'log' (cherrypy-kernel) config "
        "namespace declares no key 'screeen'. Did you mean 'log.screen'?\nsection: [global]"
    ) in messages
    assert (
        "The config entry 'tools.trailing_slash.mising' is unknown: the "
        "'tools.trailing_slash' (cherrypy-kernel) config namespace declares no key 'mising'. "
        "Did you mean 'tools.trailing_slash.missing'?\nsection: [/]"
    ) in messages
    assert any(
        m.startswith("The config entry 'request.show_traceback' may be misspelled")
        for m in messages
    )


def test_checker_is_silent_about_valid_kernel_config(site: None) -> None:
    cherrypy.config.update(
        {
            "log.screen": False,
            "log.access_file": "",
            "checker.on": True,
            "engine.myplugin.on": False,
            "request.show_tracebacks": False,
        }
    )
    cherrypy.tree.mount(
        Root(),
        "/",
        {
            "/": {
                "request.show_mismatched_params": False,
                "request.my_application_flag": 3,
                "request.body.maxbytes": 1000,
                "response.stream": False,
                "response.headers.X-Frame-Options": "DENY",
                "hooks.before_handler": lambda: None,
                "error_page.404": "/missing.html",
                "error_page.default": "/error.html",
                "tools.trailing_slash.on": True,
                "tools.trailing_slash.extra": True,
                "tools.encode.encoding": "utf-8",
                "tools.encode.text_only": False,
                "tools.log_tracebacks.severity": 30,
                "wsgi.pipeline": [],
            }
        },
    )
    assert run_checker() == []


def test_checker_does_not_repeat_obsolete_keys(site: None) -> None:
    cherrypy.tree.mount(Root(), "/", {"/": {"server.default_content_type": "text/plain"}})
    messages = [m for m in run_checker() if "server.default_content_type" in m]
    assert all("is obsolete" in m or "only allowed in site-wide" in m for m in messages)
