"""tools.flatten, tools.params, tools.log_hooks and the cherrypy.lib.cptools module."""

from __future__ import annotations

import time
from collections.abc import Iterator

import requests

import cherrypy
from cherrypy.lib import cptools


def nested() -> Iterator[object]:
    yield b"a"
    yield (chunk for chunk in (b"b", (c for c in (b"c", b"d"))))
    yield b"e"


class Root:
    @cherrypy.expose
    @cherrypy.tools.flatten()
    def flat(self) -> Iterator[object]:
        return nested()

    @cherrypy.expose
    @cherrypy.tools.params()
    def typed(self, n: int, ratio: float = 1.0, flag: bool = False, name: str = "") -> str:
        return repr((n, ratio, flag, name))

    @cherrypy.expose
    @cherrypy.tools.params()
    def many(self, ids: int = 0) -> str:
        return repr(ids)

    @cherrypy.expose
    @cherrypy.tools.params(error=422)
    def strict(self, n: int = 0) -> str:
        return repr(n)

    @cherrypy.expose
    def untouched(self, n: int = 0) -> str:
        return repr(n)

    @cherrypy.expose
    @cherrypy.tools.log_hooks()
    @cherrypy.tools.allow()
    def logged(self) -> str:
        return "logged"


def test_flatten_nested_generators(serve_root) -> None:
    base = serve_root(Root())
    assert requests.get(base + "/flat").content == b"abcde"


def test_params_converts_by_annotation(serve_root) -> None:
    base = serve_root(Root())
    r = requests.get(base + "/typed", params={"n": "3", "ratio": "0.5", "flag": "yes", "name": "x"})
    assert r.text == "(3, 0.5, True, 'x')"
    assert requests.get(base + "/typed?n=1&flag=off").text == "(1, 1.0, False, '')"
    r = requests.post(base + "/typed", data={"n": "7"})
    assert r.text == "(7, 1.0, False, '')"


def test_params_bad_value_is_400(serve_root) -> None:
    base = serve_root(Root())
    r = requests.get(base + "/typed?n=abc")
    assert r.status_code == 400
    assert "invalid literal for int()" in r.text
    assert requests.get(base + "/typed?n=1&flag=maybe").status_code == 400
    assert requests.get(base + "/strict?n=x").status_code == 422


def test_params_repeated_values_convert_each(serve_root) -> None:
    base = serve_root(Root())
    assert requests.get(base + "/many?ids=1&ids=2").text == "[1, 2]"


def test_params_off_leaves_strings(serve_root) -> None:
    base = serve_root(Root())
    assert requests.get(base + "/untouched?n=5").text == "'5'"


def test_params_from_config_with_postponed_annotations(serve_root) -> None:
    # This module uses real annotations; a string annotation must resolve too.
    class App:
        @cherrypy.expose
        def index(self, n: int = 0) -> str:
            return repr(n)

    base = serve_root(App(), {"/": {"tools.params.on": True}})
    assert requests.get(base + "/?n=41").text == "41"


def test_log_hooks_writes_request_hooks(serve_root, error_log) -> None:
    base = serve_root(Root())
    assert requests.get(base + "/logged").text == "logged"
    # on_end_request runs once the response is sent: wait for the server thread to log.
    deadline = time.time() + 5
    while not any("Request Hooks" in m for m in error_log) and time.time() < deadline:
        time.sleep(0.01)
    text = "\n".join(error_log)
    assert "Request Hooks for " + base + "/logged" in text
    assert "on_start_resource:" in text and "allow" in text
    assert "on_end_request:" in text and "log_hooks" in text


def test_cptools_module_names() -> None:
    # As in CherryPy: the callables of the kernel's default tools.
    assert cptools.trailing_slash is cherrypy.tools.trailing_slash.callable
    assert cptools.log_traceback is cherrypy.tools.log_tracebacks.callable
    assert cptools.log_request_headers is cherrypy.tools.log_headers.callable
    for name in cptools.__all__:
        assert callable(getattr(cptools, name)), name


def test_tools_registered_on_default_toolbox() -> None:
    names = [
        "allow",
        "accept",
        "proxy",
        "response_headers",
        "referer",
        "redirect",
        "err_redirect",
        "flatten",
        "ignore_headers",
        "autovary",
        "params",
        "log_hooks",
    ]
    from cherrypy_cptools import plugin

    for name in names:
        assert getattr(cherrypy.tools, name) is getattr(plugin, name + "_tool")


def test_names_from_other_distributions() -> None:
    import importlib.util

    import pytest

    if importlib.util.find_spec("cherrypy_caching") is not None:
        from cherrypy_caching import conditional

        assert cptools.validate_etags is conditional.validate_etags
        assert cptools.validate_since is conditional.validate_since
    else:
        with pytest.raises(AttributeError, match="cherrypy-caching"):
            cptools.validate_etags  # noqa: B018
    if importlib.util.find_spec("cherrypy_sessions") is not None:
        from cherrypy_sessions import auth

        assert cptools.SessionAuth is auth.SessionAuth
        assert cptools.session_auth is auth.session_auth
    else:
        with pytest.raises(AttributeError, match="cherrypy-sessions"):
            cptools.SessionAuth  # noqa: B018
    with pytest.raises(AttributeError):
        cptools.no_such_name  # noqa: B018
