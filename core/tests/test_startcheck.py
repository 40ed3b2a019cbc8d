"""Issue 17 in process: the start-up check, per-path plugins, conflicts, load-time validation,
the listing and ``python -m cherrypy check``, against fake installed distributions."""

from __future__ import annotations

import importlib.util
import json
import sys
import textwrap
import types
from pathlib import Path

import pytest

import cherrypy
from cherrypy.kernel import boot, cli, cli_check, pipeline, selection, startcheck
from cherrypy.kernel import pluginmanager as plugins
from cherrypy.kernel.errors import StartupError


def _load_dists_helper() -> types.ModuleType:
    path = Path(__file__).parent / "fixtures" / "plugin_dists.py"
    spec = importlib.util.spec_from_file_location("cherrypy_kernel_test_plugin_dists_sc", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


dists = _load_dists_helper()


def tool_module(tool: str, header: str, point: str = "before_finalize") -> str:
    return textwrap.dedent(
        f"""
        import cherrypy
        from cherrypy.plugin import Tool, hookimpl

        CHERRYPY_PLUGIN_API = ">=1.0,<2"

        def stamp():
            cherrypy.response.headers["X-Tool"] = {header!r}

        {tool}_tool = Tool({point!r}, stamp)

        @hookimpl
        def cherrypy_register_tools(toolbox):
            toolbox.{tool} = {tool}_tool

        @hookimpl
        def cherrypy_before_finalize():
            cherrypy.response.headers["X-Phase-{header}"] = "ran"
        """
    )


@pytest.fixture
def fresh_site(tmp_path, monkeypatch, cpsite):
    """An isolated site (fake distributions, fresh manager) and a kernel that boots again."""
    with dists.isolated_site(tmp_path, monkeypatch):
        monkeypatch.setattr(boot, "_booted", False)
        monkeypatch.setattr(boot, "_impl_cache", {})
        selection.reset()
        saved_tools = dict(vars(cherrypy.tools))
        candidates = vars(cherrypy.tools)["_candidates"]
        saved_candidates = {name: list(offers) for name, offers in candidates.items()}
        # Only the kernel's own tools: the real plugins' tools are not "installed" here.
        for name in list(vars(cherrypy.tools)):
            offers = cherrypy.tools.offers(name)
            if offers and not offers[-1][0].startswith("cherrypy."):
                object.__delattr__(cherrypy.tools, name)
                candidates.pop(name, None)
        try:
            yield tmp_path
        finally:
            selection.reset()
            for name in set(vars(cherrypy.tools)) - set(saved_tools):
                object.__delattr__(cherrypy.tools, name)
            for name, value in saved_tools.items():
                object.__setattr__(cherrypy.tools, name, value)
            candidates.clear()
            candidates.update(saved_candidates)
            monkeypatch.setattr(boot, "_booted", False)
            pipeline.invalidate()


def install_tool_dist(site: Path, dist: str, module: str, tool: str, header: str, **kw) -> None:
    dists.install_dist(
        site,
        dist,
        "1.2",
        plugins={module.removeprefix("cherrypy_test_"): module},
        compat={f"cherrypy.tools.{tool}": f"{module}:{tool}_tool"},
        files={f"{module}.py": tool_module(tool, header, **kw)},
    )


class Root:
    @cherrypy.expose
    def index(self):
        return "index"

    @cherrypy.expose
    def other(self):
        return "other"


# --------------------------------------------------------------------------- start-up check


def test_a_missing_tool_stops_engine_start_with_one_line_per_problem(fresh_site, capsys):
    cherrypy.config.update({"tools.nosuchtool.on": True})
    cherrypy.tree.mount(Root(), "/app", {"/": {"tools.gzipp.on": True}})
    with pytest.raises(StartupError) as caught:
        cherrypy.engine.start()
    assert cherrypy.engine.state == cherrypy.engine.states.STOPPED
    assert caught.value.problems == [
        "global: tools.nosuchtool.on: unknown tool 'nosuchtool': "
        "no installed plugin provides cherrypy.tools.nosuchtool",
        "/app: tools.gzipp.on: unknown tool 'gzipp': "
        "no installed plugin provides cherrypy.tools.gzipp",
    ]
    err = capsys.readouterr().err
    assert "cherrypy: cannot start: /app: tools.gzipp.on: unknown tool 'gzipp'" in err


def test_a_known_tool_of_a_missing_distribution_names_it(fresh_site):
    cherrypy.tree.mount(Root(), "", {"/static": {"tools.staticdir.on": True}})
    [line] = startcheck.problems()
    assert line.startswith("/static: tools.staticdir.on: ")
    assert "cherrypy-static" in line
    assert "did you mean" not in line


def test_a_close_name_is_suggested(fresh_site):
    install_tool_dist(fresh_site, "cherrypy-test-hello", "cherrypy_test_hello", "hello", "a")
    cherrypy.tree.mount(Root(), "", {"/": {"tools.helo.on": True}})
    [line] = startcheck.problems()
    assert "unknown tool 'helo' (did you mean 'hello'?)" in line


def test_the_application_own_tool_counts(fresh_site):
    cherrypy.tools.mine = cherrypy.Tool("before_finalize", lambda: None)
    cherrypy.tree.mount(Root(), "", {"/": {"tools.mine.on": True}})
    assert startcheck.problems() == []


def test_a_tool_on_a_misspelled_hook_point_is_a_start_up_problem(fresh_site):
    cherrypy.tools.late = cherrypy.Tool("before_finalise", lambda: None)
    cherrypy.tree.mount(Root(), "", {"/": {"tools.late.on": True}})
    [line] = startcheck.problems()
    assert line == (
        "/: tools.late.on: tools.late attaches to unknown hook point 'before_finalise' "
        "(did you mean 'before_finalize'?)"
    )


def test_a_dispatcher_that_is_not_callable_is_a_start_up_problem(fresh_site):
    cherrypy.tree.mount(Root(), "", {"/": {"request.dispatch": "MethodDispatcher"}})
    [line] = startcheck.problems()
    assert line == "/: request.dispatch: 'MethodDispatcher' is not a dispatcher (not callable)"


# --------------------------------------------------------------------------- selection


def test_a_config_disabled_plugin_is_never_imported(fresh_site):
    install_tool_dist(fresh_site, "cherrypy-test-hello", "cherrypy_test_hello", "hello", "a")
    cherrypy.config.update({"plugins.disabled": ["cherrypy-test-hello"]})
    manager = plugins.ensure_loaded()
    assert "cherrypy_test_hello" not in sys.modules
    [skipped] = manager.skipped_plugins
    assert skipped.reason == "disabled by config (plugins.disabled)"
    cherrypy.tree.mount(Root(), "", {"/": {"tools.hello.on": True}})
    [line] = startcheck.problems()
    assert line.startswith("/: tools.hello.on: ")


def test_plugins_enabled_lists_the_only_ones_to_load(fresh_site):
    install_tool_dist(fresh_site, "cherrypy-test-hello", "cherrypy_test_hello", "hello", "a")
    cherrypy.config.update({"plugins.enabled": ["testplugin"]})
    manager = plugins.ensure_loaded()
    assert [s.reason for s in manager.skipped_plugins] == [
        "not listed in plugins.enabled (global config)"
    ]


# --------------------------------------------------------------------------- per path


def test_a_plugin_is_switched_off_per_path_tools_and_phase_hooks_included(fresh_site, wsgi):
    install_tool_dist(fresh_site, "cherrypy-test-hello", "cherrypy_test_hello", "hello", "a")
    conf = {
        "/": {"tools.hello.on": True},
        "/other": {"plugins.cherrypy-test-hello.on": False},
    }
    cherrypy.tree.mount(Root(), "", conf)
    on = wsgi.get("/")
    off = wsgi.get("/other")
    assert (on.headers["x-tool"], on.headers["x-phase-a"]) == ("a", "ran")
    assert "x-tool" not in off.headers and "x-phase-a" not in off.headers


def test_a_plugin_off_everywhere_is_on_where_a_path_says_so(fresh_site, wsgi):
    install_tool_dist(fresh_site, "cherrypy-test-hello", "cherrypy_test_hello", "hello", "a")
    cherrypy.config.update({"plugins.hello.on": False})
    cherrypy.tree.mount(Root(), "", {"/other": {"plugins.hello.on": True}})
    assert "x-phase-a" not in wsgi.get("/").headers
    assert wsgi.get("/other").headers["x-phase-a"] == "ran"


def test_switching_an_unknown_plugin_is_a_start_up_problem(fresh_site):
    cherrypy.tree.mount(Root(), "", {"/": {"plugins.nosuch.on": False}})
    assert startcheck.problems() == ["/: plugins.nosuch.on: no installed plugin is named 'nosuch'"]


# --------------------------------------------------------------------------- conflicts


@pytest.fixture
def two_providers(fresh_site):
    install_tool_dist(fresh_site, "cherrypy-test-ida", "cherrypy_test_ida", "request_id", "a")
    install_tool_dist(fresh_site, "cherrypy-test-idb", "cherrypy_test_idb", "request_id", "b")
    return fresh_site


def test_a_conflict_used_by_config_stops_start_naming_both(two_providers):
    cherrypy.tree.mount(Root(), "", {"/": {"tools.request_id.on": True}})
    [line] = startcheck.problems()
    assert line == (
        "/: tools.request_id.on: tools.request_id is provided by both cherrypy-test-ida and "
        'cherrypy-test-idb; choose one with plugins.prefer.request_id = "<distribution>" '
        "in the global config"
    )


def test_config_chooses_one_and_that_one_runs(two_providers, wsgi, capsys):
    cherrypy.config.update({"plugins.prefer.request_id": "cherrypy-test-ida"})
    cherrypy.tree.mount(Root(), "", {"/": {"tools.request_id.on": True}})
    assert startcheck.problems() == []
    assert wsgi.get("/").headers["x-tool"] == "a"
    assert cli.plugins_command([]) == 0
    out = capsys.readouterr().out
    assert (
        "tools.request_id: provided by cherrypy-test-ida and cherrypy-test-idb; in use: "
        "cherrypy-test-ida" in out
    )
    cherrypy.config.update({"plugins.prefer.request_id": "cherrypy-test-idb"})
    assert startcheck.problems() == []
    assert wsgi.get("/").headers["x-tool"] == "b"


def test_an_unused_conflict_is_listed_and_fails_the_listing(two_providers, capsys):
    assert startcheck.problems() == []
    assert cli.plugins_command(["--json"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert document["conflicts"] == [
        {
            "tool": "request_id",
            "distributions": ["cherrypy-test-ida", "cherrypy-test-idb"],
            "in_use": document["conflicts"][0]["in_use"],
        }
    ]


def test_preferring_a_distribution_that_does_not_provide_it(two_providers):
    cherrypy.config.update({"plugins.prefer.request_id": "cherrypy-test-nope"})
    [line] = startcheck.problems()
    assert "does not provide tools.request_id" in line


# --------------------------------------------------------------------------- load-time validation

UNMARKED = textwrap.dedent(
    """
    from cherrypy.plugin import Tool

    def cherrypy_register_tools(toolbox):  # forgot @hookimpl
        toolbox.unmarked = Tool("before_finalize", lambda: None)

    typo_tool = Tool("before_finalise", lambda: None)
    """
)


def install_unmarked(site: Path) -> None:
    dists.install_dist(
        site,
        "cherrypy-test-unmarked",
        "0.5",
        plugins={"unmarked": "cherrypy_test_unmarked"},
        files={"cherrypy_test_unmarked.py": UNMARKED},
    )


def test_load_time_validation_warns_naming_the_distribution(fresh_site):
    install_unmarked(fresh_site)
    with pytest.warns(plugins.PluginValidationWarning) as caught:
        manager = plugins.ensure_loaded()
    messages = [str(w.message) for w in caught]
    assert messages == [
        "cherrypy plugin 'unmarked' from distribution 'cherrypy-test-unmarked 0.5': "
        "cherrypy_register_tools is not marked with @hookimpl, so it is never called",
        "cherrypy plugin 'unmarked' from distribution 'cherrypy-test-unmarked 0.5': "
        "tool typo_tool attaches to unknown hook point 'before_finalise' "
        "(did you mean 'before_finalize'?)",
    ]
    assert manager.get_plugin("unmarked") is not None


def test_strict_mode_refuses_the_plugin(fresh_site, monkeypatch):
    install_unmarked(fresh_site)
    monkeypatch.setenv("CHERRYPY_STRICT_PLUGINS", "1")
    with pytest.warns(plugins.PluginLoadWarning):
        manager = plugins.ensure_loaded()
    assert manager.get_plugin("unmarked") is None
    [failure] = manager.failed_plugins
    assert "not marked with @hookimpl" in failure.message
    assert "strict: CHERRYPY_STRICT_PLUGINS" in failure.message


def test_tracing_says_what_was_loaded_and_skipped(fresh_site, monkeypatch, capsys):
    install_tool_dist(fresh_site, "cherrypy-test-hello", "cherrypy_test_hello", "hello", "a")
    install_tool_dist(fresh_site, "cherrypy-test-other", "cherrypy_test_other", "other", "b")
    monkeypatch.setenv("CHERRYPY_BLOCK_PLUGINS", "hello")
    monkeypatch.setenv("CHERRYPY_TRACE_PLUGINS", "1")
    plugins.ensure_loaded()
    err = capsys.readouterr().err
    assert (
        "cherrypy plugins: skipped hello (cherrypy-test-hello 1.2): blocked by "
        "CHERRYPY_BLOCK_PLUGINS" in err
    )
    assert (
        "cherrypy plugins: loaded other (cherrypy-test-other 1.2) from cherrypy_test_other, "
        "plugin API >=1.0,<2" in err
    )


# --------------------------------------------------------------------------- check command

APP = textwrap.dedent(
    """
    import cherrypy

    class Root:
        @cherrypy.expose
        def index(self):
            return "hi"

    conf = {
        "/static": {"tools.staticdirr.on": True},
        "/ok": {"tools.encode.on": True},
    }

    if __name__ == "__main__":
        cherrypy.quickstart(Root(), "/", conf)
    """
)


def test_the_check_command_reports_config_only_sections(fresh_site, tmp_path, capsys):
    app = tmp_path / "checked_app.py"
    app.write_text(APP)
    assert cli_check.check_command([str(app)]) == 1
    out = capsys.readouterr().out
    assert out.splitlines() == [
        "/static: tools.staticdirr.on: unknown tool 'staticdirr': "
        "no installed plugin provides cherrypy.tools.staticdirr",
        "1 problem(s) found",
    ]


def test_the_check_command_passes_a_good_app(fresh_site, tmp_path, capsys):
    app = tmp_path / "good_app.py"
    app.write_text(APP.replace("staticdirr", "encode"))
    assert cli_check.check_command([str(app)]) == 0
    assert capsys.readouterr().out == "ok: 1 application(s) checked\n"


def test_disable_plugin_on_the_command_line(fresh_site, capsys):
    from cherrypy.__main__ import main

    install_tool_dist(fresh_site, "cherrypy-test-hello", "cherrypy_test_hello", "hello", "a")
    assert main(["plugins", "--disable-plugin", "cherrypy-test-hello"]) == 0
    out = capsys.readouterr().out
    assert "hello (cherrypy-test-hello 1.2): disabled by the command line (--disable-plugin)" in out
    assert "cherrypy_test_hello" not in sys.modules


# --------------------------------------------------------------------------- the original CherryPy


def install_original_cherrypy(site: Path, version: str) -> None:
    dist_info = site / f"CherryPy-{version}.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: CherryPy\nVersion: {version}\n"
    )
    (dist_info / "entry_points.txt").write_text(
        "[console_scripts]\ncherryd = cherrypy.__main__:run\n"
    )


def test_the_original_cherrypy_beside_ours_is_never_silent(fresh_site, capsys):
    from cherrypy.kernel import entrypoints

    assert startcheck.foreign_cherrypy() is None
    install_original_cherrypy(fresh_site, "18.10.0")
    entrypoints.clear_cache()
    warning = startcheck.foreign_cherrypy()
    assert warning is not None
    assert warning.startswith("the original CherryPy 18.10.0 is installed beside cherrypy-kernel")
    assert "pip uninstall -y CherryPy" in warning
    assert cli.plugins_command([]) == 1
    assert f"WARNING: {warning}" in capsys.readouterr().out
    cherrypy.tree.mount(Root(), "")
    try:
        cherrypy.engine.start()
        assert f"cherrypy: warning: {warning}" in capsys.readouterr().err
    finally:
        cherrypy.engine.exit()
        cherrypy.engine.state = cherrypy.engine.states.STOPPED


def test_our_own_compatibility_distribution_is_not_a_warning(fresh_site):
    from cherrypy.kernel import entrypoints

    install_original_cherrypy(fresh_site, "18.10.0+kernel.0.1.0")
    entrypoints.clear_cache()
    assert startcheck.foreign_cherrypy() is None


def test_disabling_a_plugin_that_already_loaded_unregisters_it(fresh_site):
    install_tool_dist(fresh_site, "cherrypy-test-hello", "cherrypy_test_hello", "hello", "a")
    boot.boot()
    assert isinstance(vars(cherrypy.tools).get("hello"), cherrypy.Tool)
    cherrypy.config.update({"plugins.disabled": ["cherrypy-test-hello"]})
    manager = plugins.get_plugin_manager()
    assert manager.get_plugin("hello") is None
    assert "hello" not in vars(cherrypy.tools)
    cherrypy.tree.mount(Root(), "", {"/": {"tools.hello.on": True}})
    [line] = startcheck.problems()
    assert "disabled by config (plugins.disabled)" in line
