"""Tests of cherrypy.kernel.pluginmanager (and the hookspecs) against fake installed distributions."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import textwrap
import threading
import types
import warnings
from pathlib import Path

import pluggy
import pytest

from cherrypy.kernel import cli, compat
from cherrypy.kernel import pluginmanager as plugins
from cherrypy.kernel.hookspecs import hookimpl, impl_failsafe, impl_priority, phase_options


def _load_dists_helper() -> types.ModuleType:
    path = Path(__file__).parent / "fixtures" / "plugin_dists.py"
    spec = importlib.util.spec_from_file_location("cherrypy_kernel_test_plugin_dists", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


dists = _load_dists_helper()

BROKEN_MODULE = "raise ImportError('needs libfoo')\n"
TYPO_MODULE = textwrap.dedent(
    """
    from cherrypy.kernel.hookspecs import hookimpl

    @hookimpl
    def cherrypy_register_tool(toolbox):
        toolbox.typo = object()
    """
)


@pytest.fixture
def site(tmp_path, monkeypatch):
    """A site directory holding cherrypy-testplugin, seen by a fresh plugin manager."""
    with dists.isolated_site(tmp_path, monkeypatch):
        dists.install_testplugin(tmp_path)
        yield tmp_path


def install_broken(site: Path) -> None:
    dists.install_dist(
        site,
        "cherrypy-broken",
        "0.3",
        plugins={"broken": "cherrypy_test_broken"},
        files={"cherrypy_test_broken.py": BROKEN_MODULE},
    )


def registered_names() -> set[str]:
    return {name for name, plugin in plugins.get_plugin_manager().list_name_plugin() if plugin}


class Recorder:
    """A toolbox stand-in that records the tools set on it."""

    def __init__(self) -> None:
        self.tools: dict[str, object] = {}

    def __setattr__(self, name, value):
        if name == "tools":
            object.__setattr__(self, name, value)
        else:
            self.tools[name] = value

    def register(self, point, **kwargs):
        def decorate(func):
            self.tools[kwargs.get("name", func.__name__)] = func
            return func

        return decorate


# --------------------------------------------------------------------------- laziness


def test_importing_cherrypy_loads_no_plugin(tmp_path):
    dists.install_testplugin(tmp_path)
    code = textwrap.dedent(
        """
        import sys
        import cherrypy
        from cherrypy.kernel import compat
        from cherrypy.kernel import pluginmanager as plugins
        compat.install_finder()
        assert "cherrypy_testplugin" not in sys.modules, "imported at import time"
        assert plugins._manager is None or not plugins._manager.loaded
        assert compat._table is None
        import cherrypy.testplugin_serving as serving
        assert serving.helper("x") == "served:x"
        assert "cherrypy_testplugin.plugin" not in sys.modules, "compat loaded the plugin"
        plugins.ensure_loaded()
        assert "cherrypy_testplugin.plugin" in sys.modules
        assert plugins.get_plugin_manager().get_plugin("testplugin") is not None
        print("lazy ok")
        """
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHERRYPY_")}
    env["PYTHONPATH"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "lazy ok" in result.stdout


def test_manager_is_created_without_loading(site):
    manager = plugins.get_plugin_manager()
    assert manager is plugins.get_plugin_manager()
    assert not manager.loaded
    assert "cherrypy_testplugin.plugin" not in sys.modules
    assert plugins.ensure_loaded() is manager
    assert manager.loaded


# --------------------------------------------------------------------------- loading


def test_entry_point_plugin_is_loaded_once_with_its_distribution(site):
    before = plugins.plugins_generation()
    manager = plugins.ensure_loaded()
    plugins.ensure_loaded()
    assert registered_names() == {"testplugin"}
    source = manager.sources["testplugin"]
    assert (source.distribution, source.version) == ("cherrypy-testplugin", "1.0")
    assert source.module == "cherrypy_testplugin.plugin"
    assert plugins.plugins_generation() == before + 1
    assert plugins.failed_plugins() == []


def test_concurrent_ensure_loaded_registers_once(site):
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def load():
        barrier.wait()
        try:
            plugins.ensure_loaded()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=load) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert registered_names() == {"testplugin"}
    assert plugins.failed_plugins() == []


def test_broken_plugin_is_reported_and_the_others_load(site):
    install_broken(site)
    with pytest.warns(plugins.PluginLoadWarning) as caught:
        manager = plugins.ensure_loaded()
    messages = [str(w.message) for w in caught]
    assert messages == [
        "cherrypy plugin 'broken' from distribution 'cherrypy-broken 0.3' failed to load: "
        "ImportError: needs libfoo"
    ]
    assert registered_names() == {"testplugin"}
    [failure] = manager.failed_plugins
    assert (failure.name, failure.distribution, failure.version) == (
        "broken",
        "cherrypy-broken",
        "0.3",
    )
    assert isinstance(failure.error, ImportError)


def test_plugin_with_wrong_hook_arguments_fails_to_register(site):
    dists.install_dist(
        site,
        "cherrypy-badargs",
        "2.1",
        plugins={"badargs": "cherrypy_test_badargs"},
        files={
            "cherrypy_test_badargs.py": (
                "from cherrypy.kernel.hookspecs import hookimpl\n\n"
                "@hookimpl\ndef cherrypy_register_tools(tools, extra):\n    pass\n"
            )
        },
    )
    with pytest.warns(plugins.PluginLoadWarning, match="'cherrypy-badargs 2.1'"):
        manager = plugins.ensure_loaded()
    assert registered_names() == {"testplugin"}
    assert isinstance(manager.failed_plugins[0].error, pluggy.PluginValidationError)


def test_replay_failure_leaves_no_half_registered_plugin(site):
    dists.install_dist(
        site,
        "cherrypy-replay",
        "1.0",
        plugins={"replay": "cherrypy_test_replay"},
        files={
            "cherrypy_test_replay.py": (
                "from cherrypy.kernel.hookspecs import hookimpl\n\n"
                "@hookimpl\ndef cherrypy_engine_setup(engine):\n    pass\n\n"
                "@hookimpl\ndef cherrypy_register_tools(toolbox):\n"
                "    raise RuntimeError('no toolbox for me')\n"
            )
        },
    )
    hooks = plugins.get_hooks()
    hooks.engine_setup(object())
    hooks.register_tools(Recorder())
    with pytest.warns(plugins.PluginLoadWarning, match="RuntimeError: no toolbox for me"):
        manager = plugins.ensure_loaded()
    assert registered_names() == {"testplugin"}
    impls = manager.hook.cherrypy_engine_setup.get_hookimpls()
    assert [impl.plugin_name for impl in impls] == []


def test_misspelled_hook_is_rejected_with_a_hint(site):
    dists.install_dist(
        site,
        "cherrypy-typo",
        "2.0",
        plugins={"typo": "cherrypy_test_typo"},
        files={"cherrypy_test_typo.py": TYPO_MODULE},
    )
    with pytest.warns(plugins.PluginLoadWarning) as caught:
        manager = plugins.ensure_loaded()
    [message] = [str(w.message) for w in caught]
    assert message.startswith("cherrypy plugin 'typo' from distribution 'cherrypy-typo 2.0'")
    assert "unknown hook 'cherrypy_register_tool'" in message
    assert "did you mean 'cherrypy_register_tools'?" in message
    assert registered_names() == {"testplugin"}
    manager.check_pending()  # nothing unknown is left behind


def test_hooks_added_by_a_plugin_accept_implementations_loaded_before_it(site):
    dists.install_dist(
        site,
        "cherrypy-test-a-user",  # sorts (and so loads) before the plugin adding the spec
        "1.0",
        plugins={"user": "cherrypy_test_user"},
        files={
            "cherrypy_test_user.py": (
                "from cherrypy.kernel.hookspecs import hookimpl\n\n"
                "@hookimpl\ndef cherrypy_test_custom(value):\n    return value * 2\n"
            )
        },
    )
    dists.install_dist(
        site,
        "cherrypy-test-b-spec",
        "1.0",
        plugins={"spec": "cherrypy_test_spec"},
        files={
            "cherrypy_test_spec.py": (
                "from cherrypy.kernel.hookspecs import hookimpl, hookspec\n\n"
                "class Specs:\n"
                "    @hookspec\n    def cherrypy_test_custom(self, value):\n        pass\n\n"
                "@hookimpl\ndef cherrypy_addhooks(pluginmanager):\n"
                "    pluginmanager.add_hookspecs(Specs)\n"
            )
        },
    )
    manager = plugins.ensure_loaded()
    assert manager.failed_plugins == []
    assert registered_names() == {"testplugin", "user", "spec"}
    assert manager.hook.cherrypy_test_custom(value=21) == [42]


def test_plugin_needing_plugins_while_it_loads_does_not_deadlock(site):
    dists.install_dist(
        site,
        "cherrypy-test-eager",
        "1.0",
        plugins={"eager": "cherrypy_test_eager"},
        files={
            "cherrypy_test_eager.py": (
                "from cherrypy.kernel import pluginmanager as plugins\n"
                "manager = plugins.ensure_loaded()\n"
                "loaded_during_import = manager.loaded\n"
            )
        },
    )
    manager = plugins.ensure_loaded()
    assert sys.modules["cherrypy_test_eager"].loaded_during_import is False
    assert registered_names() == {"testplugin", "eager"}
    assert manager.loaded


def test_check_pending_raises_for_misspelled_hook_registered_by_hand(site):
    manager = plugins.get_plugin_manager()
    manager.register(types.SimpleNamespace(cherrypy_engine_strat=hookimpl(lambda: None)), "hand")
    with pytest.raises(pluggy.PluginValidationError, match="cherrypy_engine_strat"):
        plugins.ensure_loaded()


def test_phase_hook_wrappers_are_rejected(site):
    def cherrypy_before_handler():
        yield

    plugin = types.SimpleNamespace(
        cherrypy_before_handler=hookimpl(wrapper=True)(cherrypy_before_handler)
    )
    with pytest.raises(pluggy.PluginValidationError, match="cannot be a wrapper"):
        plugins.get_plugin_manager().register(plugin, "wrapping")
    assert plugins.get_plugin_manager().get_plugin("wrapping") is None


# --------------------------------------------------------------------------- env switches


@pytest.mark.parametrize(
    ("env", "loaded", "failed"),
    [
        ({"CHERRYPY_PLUGINS": "testplugin"}, {"testplugin"}, []),
        ({"CHERRYPY_PLUGINS": " cherrypy_Broken , other"}, set(), ["broken"]),
        ({"CHERRYPY_PLUGINS": ""}, set(), []),
        ({"CHERRYPY_BLOCK_PLUGINS": "broken"}, {"testplugin"}, []),
        ({"CHERRYPY_BLOCK_PLUGINS": "cherrypy-testplugin,broken"}, set(), []),
        ({"CHERRYPY_DISABLE_PLUGIN_AUTOLOAD": "1"}, set(), []),
        ({"CHERRYPY_DISABLE_PLUGIN_AUTOLOAD": "Yes"}, set(), []),
        ({"CHERRYPY_DISABLE_PLUGIN_AUTOLOAD": "0"}, {"testplugin"}, ["broken"]),
    ],
)
def test_env_switches_select_plugins(site, monkeypatch, env, loaded, failed):
    install_broken(site)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", plugins.PluginLoadWarning)
        manager = plugins.ensure_loaded()
    assert registered_names() == loaded
    assert [failure.name for failure in manager.failed_plugins] == failed


def test_disabled_autoload_keeps_builtins(site, monkeypatch):
    monkeypatch.setenv("CHERRYPY_DISABLE_PLUGIN_AUTOLOAD", "true")
    builtin = types.SimpleNamespace(cherrypy_engine_start=hookimpl(lambda: "builtin started"))
    plugins.register_builtin(builtin, "kernel-start")
    assert plugins.get_hooks().engine_event("start") == ["builtin started"]
    assert registered_names() == {"kernel-start"}


def test_trace_switch_writes_hook_calls_to_stderr(site, monkeypatch, capsys):
    monkeypatch.setenv("CHERRYPY_TRACE_PLUGINS", "1")
    plugins.get_hooks().engine_event("start_thread", (3,))
    assert "cherrypy_engine_start_thread" in capsys.readouterr().err


# --------------------------------------------------------------------------- built-ins


def test_register_builtin_is_idempotent_and_survives_reset(site):
    builtin = types.SimpleNamespace(cherrypy_engine_start=hookimpl(lambda: None))
    assert plugins.register_builtin(builtin, "kernel-json") == "kernel-json"
    assert plugins.register_builtin(builtin, "kernel-json") == "kernel-json"
    first = plugins.get_plugin_manager()
    assert first.sources["kernel-json"].builtin
    plugins.reset_for_tests()
    second = plugins.get_plugin_manager()
    assert second is not first
    assert second.get_plugin("kernel-json") is builtin


def test_register_builtin_rejects_unknown_hooks_at_once(site):
    builtin = types.SimpleNamespace(cherrypy_register_toolz=hookimpl(lambda toolbox: None))
    with pytest.raises(
        pluggy.PluginValidationError, match="did you mean 'cherrypy_register_tools'"
    ):
        plugins.register_builtin(builtin, "kernel-typo")
    assert plugins.get_plugin_manager().get_plugin("kernel-typo") is None


# --------------------------------------------------------------------------- facade


def test_registration_hooks_reach_plugins_loaded_later(site):
    early, late = Recorder(), Recorder()
    dispatchers: dict[str, object] = {}
    hooks = plugins.get_hooks()
    hooks.register_tools(early)
    hooks.register_dispatchers(dispatchers.__setitem__)
    assert early.tools == {}
    plugins.ensure_loaded()
    hooks.register_tools(late)
    module = sys.modules["cherrypy_testplugin.plugin"]
    for toolbox in (early, late):
        assert set(toolbox.tools) == {"testtool", "testcounter"}
        assert toolbox.tools["testtool"] is module.testtool
    assert dispatchers == {"echo": module.EchoDispatcher}


def test_config_namespaces_validates_scope(site):
    hooks = plugins.get_hooks()
    with pytest.raises(ValueError, match="unknown config scope 'server'"):
        hooks.config_namespaces({}, "server")
    seen = []
    plugins.register_builtin(
        types.SimpleNamespace(
            cherrypy_config_namespaces=hookimpl(lambda namespaces, scope: seen.append(scope))
        ),
        "kernel-ns",
    )
    hooks.config_namespaces({}, "app")
    hooks.config_namespaces({}, "request")
    assert seen == ["app", "request"]


def test_a_plugin_adds_and_answers_its_own_hook(site):
    # A hook only one plugin uses lives in that plugin (cherrypy_addhooks), not the kernel.
    manager = plugins.ensure_loaded()
    dumps, loads = manager.hook.cherrypy_testplugin_codec()
    assert dumps({"a": 1}) == 'testplugin:{"a": 1}'
    assert loads('{"a": 1}') == {"a": 1}


def test_factory_hooks(site):
    hooks = plugins.get_hooks()
    assert hooks.error_page("418 I'm a teapot", "short", "", "1.0") == "<teapot>short</teapot>"
    assert hooks.error_page("404 Not Found", "gone", "", "1.0") is None


def test_factory_hooks_without_plugins_return_none(site, monkeypatch):
    monkeypatch.setenv("CHERRYPY_DISABLE_PLUGIN_AUTOLOAD", "1")
    hooks = plugins.get_hooks()
    assert hooks.error_page("418 I'm a teapot", "short", "", "1.0") is None


def test_engine_event_relays_channels_to_hooks(site):
    hooks = plugins.get_hooks()
    assert hooks.engine_event("start") == []
    assert hooks.engine_event("start_thread", (2,)) == []
    assert hooks.engine_event("log", ("hello", 20)) == []
    assert hooks.engine_event("log", ("kw",), {"level": 40}) == []
    assert hooks.engine_event("stop") == []
    assert hooks.engine_event("my-own-channel", ("x",)) == []
    events = sys.modules["cherrypy_testplugin.plugin"].events
    assert events == [("start",), ("start_thread", 2), ("log", "hello", 20), ("log", "kw", 40)]


def test_phase_impls_sorted_by_priority(site):
    @hookimpl
    @phase_options(priority=5)
    def cherrypy_before_handler():
        pass

    @hookimpl
    def cherrypy_on_end_request():
        pass

    plugins.register_builtin(
        types.SimpleNamespace(
            cherrypy_before_handler=cherrypy_before_handler,
            cherrypy_on_end_request=cherrypy_on_end_request,
        ),
        "kernel-phases",
    )
    hooks = plugins.get_hooks()
    module = sys.modules.get("cherrypy_testplugin.plugin")
    assert module is None  # not loaded until the compiler asks
    before = hooks.phase_impls("before_handler")
    module = sys.modules["cherrypy_testplugin.plugin"]
    assert before == [cherrypy_before_handler, module.cherrypy_before_handler]
    end = hooks.phase_impls("cherrypy_on_end_request")
    assert end == [cherrypy_on_end_request, module.cherrypy_on_end_request]
    assert [impl_priority(f) for f in end] == [50, 90]
    assert [impl_failsafe(f) for f in end] == [False, True]
    assert hooks.phase_impls("on_start_resource") == []
    with pytest.raises(ValueError, match="unknown request phase 'before_lunch'"):
        hooks.phase_impls("before_lunch")


def test_build_pipeline_hook(site):
    calls = []
    plugins.register_builtin(
        types.SimpleNamespace(
            cherrypy_build_pipeline=hookimpl(
                lambda app, path, config, pipeline: calls.append((app, path, config, pipeline))
            )
        ),
        "kernel-builder",
    )
    plugins.get_hooks().build_pipeline("app", "/x", {"k": 1}, [])
    assert calls == [("app", "/x", {"k": 1}, [])]


def test_generation_bumps_on_register_and_unregister(site):
    manager = plugins.get_plugin_manager()
    start = plugins.plugins_generation()
    plugin = types.SimpleNamespace()
    manager.register(plugin, "empty")
    assert plugins.plugins_generation() == start + 1
    manager.unregister(plugin)
    assert plugins.plugins_generation() == start + 2
    plugins.reset_for_tests()
    assert plugins.plugins_generation() == start + 3


def test_reset_for_tests_drops_manager_and_compat_table(site):
    manager = plugins.ensure_loaded()
    compat.compat_table()
    assert compat._table is not None
    plugins.reset_for_tests()
    assert compat._table is None
    assert plugins.get_plugin_manager() is not manager
    assert not plugins.get_plugin_manager().loaded


# --------------------------------------------------------------------------- listing and CLI


def test_list_plugins_describes_what_each_plugin_provides(site):
    builtin = types.SimpleNamespace(cherrypy_engine_stop=hookimpl(lambda: None))
    plugins.register_builtin(builtin, "kernel-stop")
    infos = {info.name: info for info in plugins.list_plugins()}
    test = infos["testplugin"]
    assert (test.distribution, test.version, test.module, test.builtin) == (
        "cherrypy-testplugin",
        "1.0",
        "cherrypy_testplugin.plugin",
        False,
    )
    assert test.tools == ("testtool", "testcounter")
    assert test.dispatchers == ("echo",)
    assert test.session_backends == ()
    assert "cherrypy_register_tools" in test.hooks
    assert "cherrypy_before_handler" in test.hooks
    assert test.errors == ()
    kernel = infos["kernel-stop"]
    assert kernel.builtin and kernel.distribution == plugins.KERNEL_DISTRIBUTION
    assert kernel.hooks == ("cherrypy_engine_stop",)
    assert sys.modules["cherrypy_testplugin.plugin"].events == []  # recorders only


def test_plugins_command_text(site, capsys):
    install_broken(site)
    with pytest.warns(plugins.PluginLoadWarning):
        status = cli.plugins_command([])
    out = capsys.readouterr().out
    assert status == 1
    assert "testplugin (cherrypy-testplugin 1.0)" in out
    assert "  tools: testtool, testcounter" in out
    assert "  dispatchers: echo" in out
    assert "cherrypy_testplugin_codec" in out
    assert "Failed to load:" in out
    assert "cherrypy plugin 'broken' from distribution 'cherrypy-broken 0.3'" in out


def test_plugins_command_json(site, capsys):
    assert cli.plugins_command(["--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["failed"] == []
    [entry] = document["plugins"]
    assert entry["name"] == "testplugin"
    assert entry["distribution"] == "cherrypy-testplugin"
    assert entry["tools"] == ["testtool", "testcounter"]
    assert entry["session_backends"] == []


def test_plugins_command_without_plugins_and_with_bad_usage(site, monkeypatch, capsys):
    monkeypatch.setenv("CHERRYPY_PLUGINS", "")
    assert cli.plugins_command([]) == 0
    out = capsys.readouterr().out
    # Only the kernel's built-in tools; the installed test plugin is listed as not loaded.
    assert "testplugin (cherrypy-testplugin 1.0)\n" not in out
    assert "Built-in tools (cherrypy-kernel): encode, log_headers, log_tracebacks" in out
    assert "  testplugin (cherrypy-testplugin 1.0): not listed in CHERRYPY_PLUGINS" in out
    assert cli.plugins_command(["--bogus"]) == 2
    assert "unrecognized arguments: --bogus" in capsys.readouterr().err


# --------------------------------------------------------------------------- API versions

FUTURE_MODULE = """
from cherrypy.plugin import hookimpl

CHERRYPY_PLUGIN_API = ">=2.0,<3"


@hookimpl
def cherrypy_engine_start():
    pass
"""

UNDECLARED_MODULE = """
from cherrypy.plugin import hookimpl


@hookimpl
def cherrypy_engine_stop():
    pass
"""


def install_future_and_undeclared(site) -> None:
    dists.install_dist(
        site,
        "cherrypy-future",
        "2.1",
        plugins={"future": "cherrypy_test_future"},
        files={"cherrypy_test_future.py": FUTURE_MODULE},
    )
    dists.install_dist(
        site,
        "cherrypy-undeclared",
        "0.9",
        plugins={"undeclared": "cherrypy_test_undeclared"},
        files={"cherrypy_test_undeclared.py": UNDECLARED_MODULE},
    )


def test_an_incompatible_plugin_is_refused_in_one_line_and_the_rest_load(site):
    install_future_and_undeclared(site)
    with pytest.warns(plugins.PluginLoadWarning) as caught:
        manager = plugins.ensure_loaded()
    names = registered_names()
    assert "future" not in names
    assert {"testplugin", "undeclared"} <= names
    [failure] = manager.failed_plugins
    assert failure.message == (
        "cherrypy plugin 'future' from distribution 'cherrypy-future 2.1' failed to load: "
        "IncompatiblePluginError: it supports plugin API >=2.0,<3, "
        "but this kernel provides plugin API 1.3"
    )
    assert "\n" not in failure.message
    assert [str(w.message) for w in caught] == [failure.message]


def test_listing_shows_the_declared_range_or_its_absence(site, capsys):
    install_future_and_undeclared(site)
    with pytest.warns(plugins.PluginLoadWarning):
        status = cli.plugins_command([])
    out = capsys.readouterr().out
    assert status == 1
    testplugin = out.split("testplugin (", 1)[1].split("\n\n", 1)[0]
    assert "  plugin API: >=1.0,<2" in testplugin
    undeclared = out.split("undeclared (", 1)[1]
    assert "  plugin API: no range declared (CHERRYPY_PLUGIN_API)" in undeclared
    infos = {info.name: info for info in plugins.list_plugins()}
    assert infos["testplugin"].api_range == ">=1.0,<2"
    assert infos["undeclared"].api_range is None


@pytest.mark.parametrize(
    ("declared", "problem"),
    [
        (">=1.0,<2", None),
        ("==1.3", None),
        ("<=1.3", None),
        (">1.3", "it supports plugin API >1.3, but this kernel provides plugin API 1.3"),
        ("!=1.3", "it supports plugin API !=1.3, but this kernel provides plugin API 1.3"),
        ("~=1.0", None),
        (">=1.0.dev0", None),
        (">=1.2", None),
        (">=1.4", "it supports plugin API >=1.4, but this kernel provides plugin API 1.3"),
        ("<1.3", "it supports plugin API <1.3, but this kernel provides plugin API 1.3"),
        ("one point oh", "its CHERRYPY_PLUGIN_API 'one point oh' is not a version specifier"),
        (1, "its CHERRYPY_PLUGIN_API must be a version specifier string, not 1"),
    ],
)
def test_api_range_problem(declared, problem):
    assert plugins.api_range_problem(declared) == problem


def test_the_api_module_states_the_kernel_version():
    import cherrypy.plugin

    assert cherrypy.plugin.PLUGIN_API_VERSION == plugins.PLUGIN_API_VERSION == "1.3"
