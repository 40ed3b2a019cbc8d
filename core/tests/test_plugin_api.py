"""The plugin API module (``cherrypy.plugin``) and the site state behind the facade."""

from __future__ import annotations

import importlib.util
import inspect
import re
from pathlib import Path

import pytest

import cherrypy
import cherrypy.plugin as api
from cherrypy.kernel import runtime
from cherrypy.kernel.request import Request
from cherrypy.kernel.response import Response
from cherrypy.kernel.tree import Application, Tree


def test_every_exported_name_exists_and_is_documented():
    assert sorted(api.__all__) == sorted(set(api.__all__))
    for name in api.__all__:
        value = getattr(api, name)
        if inspect.isfunction(value) or inspect.isclass(value):
            assert value.__doc__, f"{name} has no docstring"


def test_the_kernel_objects_satisfy_the_views():
    request, response = Request(api.ThreadLocalProxy, None), Response()  # type: ignore[arg-type]
    assert isinstance(request, api.RequestView)
    assert isinstance(response, api.ResponseView)
    assert isinstance(Application(object()), api.ApplicationView)
    assert isinstance(cherrypy.engine, api.BusView)


def test_the_json_inner_handler_alias_reads_and_writes_inner_handler():
    request = Request(None, None)  # type: ignore[arg-type]

    def inner():
        return "x"

    request._json_inner_handler = inner  # CherryPy's name, kept for custom json handlers
    assert request.inner_handler is inner
    assert request._json_inner_handler is inner


class Root:
    @cherrypy.expose
    def index(self):
        return "from the new tree"


def test_assigning_a_facade_singleton_replaces_it_for_the_kernel(wsgi):
    saved = cherrypy.tree
    try:
        cherrypy.tree = Tree()  # what CherryPy's own test helper does
        assert runtime.site.tree is cherrypy.tree is not saved
        cherrypy.tree.mount(Root(), "")
        res = wsgi.get("/")
        assert (res.status, res.body) == ("200 OK", b"from the new tree")
        assert cherrypy.checker._apps()[0][1] is cherrypy.tree.apps[""]
    finally:
        cherrypy.tree = saved
    assert runtime.site.tree is saved


def test_the_facade_module_only_reexports():
    spec = importlib.util.find_spec("cherrypy")
    assert spec is not None and spec.origin is not None
    text = Path(spec.origin).read_text(encoding="utf-8")
    assert "\nclass " not in text
    # Only the module protocol functions (__getattr__, __dir__) are defined there.
    assert re.findall(r"^def (\w+)", text, flags=re.M) == ["__getattr__", "__dir__"]


def test_plugin_manager_accessor_loads_plugins():
    manager = api.get_plugin_manager()
    assert manager.project_name == "cherrypy"
    assert manager.hook.cherrypy_register_tools.spec is not None


def test_publish_puts_a_process_wide_object_under_a_cherrypy_name():
    marker = object()
    api.publish("cherrypy._test_published", marker)
    try:
        assert cherrypy._test_published is marker  # type: ignore[attr-defined]
        assert api.published("cherrypy._test_published") is marker
    finally:
        api.publish("cherrypy._test_published", None)
    assert api.published("cherrypy._test_published") is None
    with pytest.raises(AttributeError):
        cherrypy._test_published  # type: ignore[attr-defined]  # noqa: B018


def test_a_tool_compiles_from_explicit_settings_once_per_path(wsgi):
    seen = []

    class TwoHooks(api.Tool):
        def compile(self, pipeline, settings):
            seen.append(dict(settings))
            pipeline.attach("before_handler", lambda: None)
            super().compile(pipeline, settings)

    def stamp(value="?"):
        cherrypy.response.headers["X-Stamp"] = value

    cherrypy.tools.twohooks = TwoHooks("before_finalize", stamp)
    try:
        cherrypy.tree.mount(
            Root(), "", {"/": {"tools.twohooks.on": True, "tools.twohooks.value": "v"}}
        )
        for _ in range(3):
            res = wsgi.get("/")
            assert res.status == "200 OK"
            assert res.headers["x-stamp"] == "v"
    finally:
        vars(cherrypy.tools).pop("twohooks", None)
    assert seen == [{"value": "v"}]


def test_a_legacy_tool_overriding_setup_still_works(wsgi):
    class Legacy(api.Tool):
        def _setup(self):
            conf = self._merged_args()
            cherrypy.serving.request.hooks.attach(
                "before_finalize",
                lambda: cherrypy.response.headers.update({"X-Legacy": conf["tag"]}),
            )

    cherrypy.tools.legacy = Legacy("before_finalize", lambda: None)
    try:
        cherrypy.tree.mount(Root(), "", {"/": {"tools.legacy.on": True, "tools.legacy.tag": "t"}})
        res = wsgi.get("/")
        assert res.headers["x-legacy"] == "t"
    finally:
        vars(cherrypy.tools).pop("legacy", None)
