"""The errors for CherryPy names provided by plugins tell the truth (issue 17).

A name whose distribution is not installed names the distribution to install; one whose
distribution is installed but skipped (blocked, not selected, autoload off, disabled by config
or the command line) says so, with the setting to change, and never imports the plugin's
module; one installed after the compat table was read says to restart.  The same one-line
message reaches ``import``, ``from ... import``, attribute access, INI config values and
``reprconf.attributes``.
"""

from __future__ import annotations

import importlib
import importlib.util
import io
import os
import subprocess
import sys
import textwrap
import time
import types
from pathlib import Path

import pytest

import cherrypy
from cherrypy.kernel import boot, compat, reprconf, selection


def _load_dists_helper() -> types.ModuleType:
    path = Path(__file__).parent / "fixtures" / "plugin_dists.py"
    spec = importlib.util.spec_from_file_location("cherrypy_kernel_test_truth_dists", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


dists = _load_dists_helper()

BLOCKED_MODULE = "cherrypy_test_blockme.mod"

BLOCKME_FILES = {
    "cherrypy_test_blockme/__init__.py": "",
    "cherrypy_test_blockme/plugin.py": "",
    "cherrypy_test_blockme/mod.py": "def thing():\n    return 'thing'\n",
}


@pytest.fixture
def site(tmp_path, monkeypatch):
    """An isolated site (the compat table sees only it), the finder installed, and no plugin
    disabled by config or the command line."""
    monkeypatch.setattr(selection, "_disabled", {})
    with dists.isolated_site(tmp_path, monkeypatch):
        compat.install_finder()
        yield tmp_path


@pytest.fixture
def blockme(site, monkeypatch):
    """cherrypy-test-blockme 1.5: plugin ``blockme``, a module alias, a package attribute alias
    (``cherrypy.testpkg.thing``) and a plain-module attribute alias (``cherrypy.testmod.thing``)."""
    dists.install_dist(
        site,
        "cherrypy-test-blockme",
        "1.5",
        plugins={"blockme": "cherrypy_test_blockme.plugin"},
        compat={
            "cherrypy.testblock_mod": "cherrypy_test_blockme.mod",
            "cherrypy.testpkg.thing": "cherrypy_test_blockme.mod:thing",
            "cherrypy.testmod.thing": "cherrypy_test_blockme.mod:thing",
            "cherrypy.tools.blocktool": "cherrypy_test_blockme.mod:thing",
        },
        files=BLOCKME_FILES,
    )
    # A package (with __path__) and a plain module whose __getattr__ is the compat one.
    package = types.ModuleType("cherrypy.testpkg")
    package.__path__ = []
    module = types.ModuleType("cherrypy.testmod")
    exec(  # a real function named __getattr__, as in cherrypy.dispatch
        "from cherrypy.kernel.compat import module_getattr\n"
        "def __getattr__(name):\n"
        "    return module_getattr(__name__, name)\n",
        package.__dict__,
    )
    exec(
        "from cherrypy.kernel.compat import module_getattr\n"
        "def __getattr__(name):\n"
        "    return module_getattr(__name__, name)\n",
        module.__dict__,
    )
    monkeypatch.setitem(sys.modules, "cherrypy.testpkg", package)
    monkeypatch.setitem(sys.modules, "cherrypy.testmod", module)
    return site


def _forget(monkeypatch: pytest.MonkeyPatch, namespace: dict, key: str) -> None:
    """Remove ``namespace[key]`` for the test; afterwards exactly what was there is back
    (also nothing, if the test's imports put something there)."""
    monkeypatch.setitem(namespace, key, None)
    del namespace[key]


def _blocked(name: str, reason: str, cure: str) -> str:
    return f"{name} is provided by cherrypy-test-blockme, which is installed but {reason}: {cure}"


def _assert_not_imported() -> None:
    assert BLOCKED_MODULE not in sys.modules
    assert "cherrypy_test_blockme" not in sys.modules


# --------------------------------------------------------------------------- skipped plugins


SKIPS = [
    pytest.param(
        {"CHERRYPY_BLOCK_PLUGINS": "other, blockme"},
        "blocked by CHERRYPY_BLOCK_PLUGINS",
        "remove blockme from CHERRYPY_BLOCK_PLUGINS",
        id="blocked-by-plugin-name",
    ),
    pytest.param(
        {"CHERRYPY_BLOCK_PLUGINS": "Cherrypy_Test_Blockme"},
        "blocked by CHERRYPY_BLOCK_PLUGINS",
        "remove Cherrypy_Test_Blockme from CHERRYPY_BLOCK_PLUGINS",
        id="blocked-by-distribution-name",
    ),
    pytest.param(
        {"CHERRYPY_PLUGINS": "testplugin"},
        "not listed in CHERRYPY_PLUGINS",
        "add blockme to CHERRYPY_PLUGINS",
        id="not-selected",
    ),
    pytest.param(
        {"CHERRYPY_DISABLE_PLUGIN_AUTOLOAD": "1"},
        "plugin loading is switched off by CHERRYPY_DISABLE_PLUGIN_AUTOLOAD",
        "unset CHERRYPY_DISABLE_PLUGIN_AUTOLOAD",
        id="autoload-off",
    ),
]


@pytest.mark.parametrize(("env", "reason", "cure"), SKIPS)
def test_a_skipped_plugins_module_alias_says_why_and_is_not_imported(
    blockme, monkeypatch, env, reason, cure
):
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    with pytest.raises(compat.MissingPluginError) as caught:
        importlib.import_module("cherrypy.testblock_mod")
    assert str(caught.value) == _blocked("cherrypy.testblock_mod", reason, cure)
    assert caught.value.reason == reason
    assert caught.value.distribution == "cherrypy-test-blockme"
    assert caught.value.name == "cherrypy.testblock_mod"
    _assert_not_imported()


@pytest.mark.parametrize(("env", "reason", "cure"), SKIPS)
def test_a_skipped_plugins_attribute_alias_says_why(blockme, monkeypatch, env, reason, cure):
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    expected = _blocked("cherrypy.testpkg.thing", reason, cure)
    package = sys.modules["cherrypy.testpkg"]
    assert not hasattr(package, "thing")  # an AttributeError, so hasattr() is False
    with pytest.raises(AttributeError) as attribute_error:
        package.thing  # noqa: B018
    assert str(attribute_error.value) == expected
    with pytest.raises(compat.MissingPluginError) as import_error:
        compat.resolve("cherrypy.testpkg.thing")
    assert str(import_error.value) == expected
    _assert_not_imported()


def test_disabled_by_config_or_command_line_says_where(blockme):
    selection.disable(["blockme"], "config (plugins.disabled)")
    with pytest.raises(ImportError) as caught:
        importlib.import_module("cherrypy.testblock_mod")
    assert str(caught.value) == _blocked(
        "cherrypy.testblock_mod",
        "disabled by config (plugins.disabled)",
        "remove blockme from config (plugins.disabled)",
    )
    selection.reset()
    selection.disable(["cherrypy-test-blockme"], "the command line (--disable-plugin)")
    assert str(compat.missing_name_error("cherrypy.tools.blocktool")) == _blocked(
        "cherrypy.tools.blocktool",
        "disabled by the command line (--disable-plugin)",
        "remove blockme from the command line (--disable-plugin)",
    )
    _assert_not_imported()
    selection.reset()  # the same entries load once nothing skips them
    module = importlib.import_module("cherrypy.testblock_mod")
    assert module is sys.modules[BLOCKED_MODULE]
    assert module.thing() == "thing"


def test_from_import_of_a_skipped_name_carries_the_message(blockme, monkeypatch):
    """Python replaces an AttributeError raised under ``from m import x`` by "cannot import
    name"; the compat error is an ImportError there, for packages and plain modules alike."""
    monkeypatch.setenv("CHERRYPY_BLOCK_PLUGINS", "blockme")
    cure = "remove blockme from CHERRYPY_BLOCK_PLUGINS"
    with pytest.raises(ImportError) as from_package:
        from cherrypy.testpkg import thing
    assert str(from_package.value) == _blocked(
        "cherrypy.testpkg.thing", "blocked by CHERRYPY_BLOCK_PLUGINS", cure
    )
    with pytest.raises(ImportError) as from_module:
        from cherrypy.testmod import thing  # noqa: F401
    assert str(from_module.value) == _blocked(
        "cherrypy.testmod.thing", "blocked by CHERRYPY_BLOCK_PLUGINS", cure
    )
    # Outside an import statement the same name is an AttributeError (getattr defaults work).
    assert getattr(sys.modules["cherrypy.testmod"], "thing", None) is None
    _assert_not_imported()


def test_an_unskipped_plugin_still_resolves_everywhere(blockme, monkeypatch):
    monkeypatch.setenv("CHERRYPY_BLOCK_PLUGINS", "someone-else")
    from cherrypy.testmod import thing
    from cherrypy.testpkg import thing as same

    assert thing is same is sys.modules[BLOCKED_MODULE].thing


def test_a_known_provider_without_a_table_entry_is_judged_too(blockme, monkeypatch):
    monkeypatch.setitem(compat.KNOWN_PROVIDERS, "cherrypy.testknown", "cherrypy-test-blockme")
    monkeypatch.setenv("CHERRYPY_BLOCK_PLUGINS", "blockme")
    assert str(compat.missing_name_error("cherrypy.testknown.sub")) == _blocked(
        "cherrypy.testknown.sub",
        "blocked by CHERRYPY_BLOCK_PLUGINS",
        "remove blockme from CHERRYPY_BLOCK_PLUGINS",
    )
    monkeypatch.delenv("CHERRYPY_BLOCK_PLUGINS")
    assert str(compat.missing_name_error("cherrypy.testknown.sub")) == (
        "cherrypy.testknown.sub belongs to cherrypy-test-blockme, but the installed "
        "cherrypy-test-blockme 1.5 does not provide it"
    )


def test_a_compat_only_distribution_is_judged_by_its_name(site, monkeypatch):
    dists.install_dist(
        site,
        "cherrypy-test-aliasonly",
        "0.3",
        compat={"cherrypy.testaliasonly": "cherrypy_test_aliasonly"},
        files={"cherrypy_test_aliasonly.py": "VALUE = 1\n"},
    )
    monkeypatch.setenv("CHERRYPY_BLOCK_PLUGINS", "cherrypy-test-aliasonly")
    with pytest.raises(ImportError, match="remove cherrypy-test-aliasonly from CHERRYPY_BLOCK"):
        importlib.import_module("cherrypy.testaliasonly")
    assert "cherrypy_test_aliasonly" not in sys.modules
    monkeypatch.delenv("CHERRYPY_BLOCK_PLUGINS")
    assert importlib.import_module("cherrypy.testaliasonly").VALUE == 1


def test_the_kernels_own_names_ignore_the_plugin_switches(monkeypatch):
    monkeypatch.setenv("CHERRYPY_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.setenv("CHERRYPY_BLOCK_PLUGINS", "cherrypy-kernel")
    assert compat.resolve("cherrypy._cperror") is importlib.import_module("cherrypy.kernel.errors")


def test_an_installed_unskipped_plugin_that_did_not_register_a_listed_name(blockme):
    # What the toolbox reports when cherrypy.tools.NAME is in the table but absent.
    assert str(compat.missing_name_error("cherrypy.tools.blocktool")) == (
        "cherrypy.tools.blocktool is provided by cherrypy-test-blockme 1.5, which is installed "
        "but did not register it: python -m cherrypy plugins says why"
    )


# --------------------------------------------------------------------------- installed later


def _install_later(site: Path) -> None:
    # Directory times are coarse (a clock tick): make sure the install is a later tick.
    time.sleep(0.05)
    dists.install_dist(
        site,
        "cherrypy-test-late",
        "2.0",
        plugins={"late": "cherrypy_test_late.plugin"},
        compat={
            "cherrypy.testlate_mod": "cherrypy_test_late.mod",
            "cherrypy.tools.testlate": "cherrypy_test_late.mod:tool",
        },
        files={
            "cherrypy_test_late/__init__.py": "",
            "cherrypy_test_late/plugin.py": "",
            "cherrypy_test_late/mod.py": "tool = None\n",
        },
    )


def test_a_distribution_installed_after_start_says_restart(site, monkeypatch):
    reads = []
    read = compat.iter_entry_points
    monkeypatch.setattr(
        compat, "iter_entry_points", lambda group: reads.append(group) or read(group)
    )
    table = compat.compat_table()
    assert "cherrypy.testlate_mod" not in table
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("cherrypy.testlate_mod")  # unknown yet: a plain import error
    assert reads == [compat.COMPAT_GROUP]  # nothing changed on sys.path: not read again

    _install_later(site)
    expected = (
        "cherrypy.testlate_mod is provided by cherrypy-test-late 2.0, installed after this "
        "process started: restart it"
    )
    with pytest.raises(compat.MissingPluginError) as caught:
        importlib.import_module("cherrypy.testlate_mod")
    assert str(caught.value) == expected
    assert caught.value.reason == "installed after this process started"
    assert str(compat.missing_name_error("cherrypy.tools.testlate")) == (
        "cherrypy.tools.testlate is provided by cherrypy-test-late 2.0, installed after this "
        "process started: restart it"
    )
    assert compat.provider_of("cherrypy.tools.testlate") == "cherrypy-test-late"
    assert len(reads) == 2  # read again once, for every later question
    assert compat.compat_table() is table  # the table itself is not changed
    assert "cherrypy.testlate_mod" not in table
    assert "cherrypy_test_late.mod" not in sys.modules


def test_a_known_distribution_installed_after_start_says_restart(site, monkeypatch):
    monkeypatch.setitem(compat.KNOWN_PROVIDERS, "cherrypy.testlate_mod", "cherrypy-test-late")
    compat.compat_table()
    assert str(compat.missing_name_error("cherrypy.testlate_mod")) == (
        "cherrypy.testlate_mod is provided by cherrypy-test-late: pip install cherrypy-test-late"
    )
    _install_later(site)
    assert str(compat.missing_name_error("cherrypy.testlate_mod")).endswith(
        "installed after this process started: restart it"
    )


def test_a_blocked_distribution_installed_after_start_says_blocked(site, monkeypatch):
    compat.compat_table()
    _install_later(site)
    monkeypatch.setenv("CHERRYPY_BLOCK_PLUGINS", "late")
    assert str(compat.missing_name_error("cherrypy.testlate_mod")) == (
        "cherrypy.testlate_mod is provided by cherrypy-test-late, which is installed but "
        "blocked by CHERRYPY_BLOCK_PLUGINS: remove late from CHERRYPY_BLOCK_PLUGINS"
    )


# --------------------------------------------------------------------------- not installed


@pytest.fixture
def no_dispatchers(site, monkeypatch):
    """cherrypy-dispatchers and cherrypy-static as if not installed."""
    real = compat._installed_version
    absent = {"cherrypy-dispatchers", "cherrypy-static"}
    monkeypatch.setattr(
        compat, "_installed_version", lambda dist: None if dist in absent else real(dist)
    )
    monkeypatch.setattr(boot, "dispatchers", {})
    import cherrypy.dispatch

    _forget(monkeypatch, vars(cherrypy.dispatch), "MethodDispatcher")
    _forget(monkeypatch, vars(cherrypy.lib), "static")
    _forget(monkeypatch, sys.modules, "cherrypy.lib.static")
    return site


METHOD_DISPATCHER = (
    "cherrypy.dispatch.MethodDispatcher is provided by cherrypy-dispatchers: "
    "pip install cherrypy-dispatchers"
)
STATIC = "cherrypy.lib.static is provided by cherrypy-static: pip install cherrypy-static"


def test_an_ini_value_names_the_distribution_to_install(no_dispatchers, tmp_path):
    conf = tmp_path / "app.conf"
    conf.write_text("[/]\nrequest.dispatch = cherrypy.dispatch.MethodDispatcher()\n")
    expected = (
        f"Config error in {str(conf)!r}, section [/], key 'request.dispatch': invalid literal "
        f"'cherrypy.dispatch.MethodDispatcher()': {METHOD_DISPATCHER}"
    )
    with pytest.raises(ValueError) as from_file:
        reprconf.Parser.load(str(conf))
    assert str(from_file.value) == expected
    with pytest.raises(ValueError) as from_open_file:
        reprconf.Parser.load(io.StringIO(conf.read_text()))
    assert str(from_open_file.value).endswith(f": {METHOD_DISPATCHER}")
    with pytest.raises(ValueError) as from_mount:
        cherrypy.tree.mount(None, "/truth17", str(conf))
    assert str(from_mount.value) == expected
    assert "/truth17" not in cherrypy.tree.apps
    assert "\n" not in expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("cherrypy.dispatch.MethodDispatcher()", METHOD_DISPATCHER),
        ("cherrypy.dispatch.MethodDispatcher", METHOD_DISPATCHER),
        ("cherrypy.lib.static.serve_file", STATIC),
        ("__import__('cherrypy.lib.static', globals(), locals(), ['']).serve_file", STATIC),
        ("cherrypy.dispatch.NoSuchDispatcher()", "cannot resolve 'cherrypy.dispatch.NoSuch"),
    ],
)
def test_unrepr_names_the_distribution_to_install(no_dispatchers, text, message):
    with pytest.raises(ValueError) as caught:
        reprconf.unrepr(text)
    assert str(caught.value).startswith(f"invalid literal {text!r}: {message}")


def test_attributes_and_imports_name_the_distribution_to_install(no_dispatchers):
    with pytest.raises(AttributeError) as by_attributes:
        reprconf.attributes("cherrypy.dispatch.MethodDispatcher")
    assert str(by_attributes.value) == METHOD_DISPATCHER
    with pytest.raises(ImportError) as by_from_import:
        from cherrypy.dispatch import MethodDispatcher  # noqa: F401
    assert str(by_from_import.value) == METHOD_DISPATCHER
    with pytest.raises(ImportError) as by_import:
        import cherrypy.lib.static  # noqa: F401
    assert str(by_import.value) == STATIC


@pytest.fixture
def sessions_package(site, monkeypatch):
    """A stand-in for cherrypy-sessions: ``cherrypy.lib.sessions`` aliases a plugin package
    whose ``__getattr__`` offers the names other distributions provide, as the real one does."""
    dists.install_dist(
        site,
        "cherrypy-test-sessions",
        "0.9",
        plugins={"test_sessions": "cherrypy_test_sessions"},
        compat={"cherrypy.lib.sessions": "cherrypy_test_sessions"},
        files={
            "cherrypy_test_sessions/__init__.py": (
                "def __getattr__(name):\n"
                "    from cherrypy.plugin import missing_name\n"
                "\n"
                "    return missing_name('cherrypy.lib.sessions', name)\n"
            )
        },
    )
    _forget(monkeypatch, sys.modules, "cherrypy.lib.sessions")
    _forget(monkeypatch, vars(cherrypy.lib), "sessions")
    return site


@pytest.mark.parametrize(
    ("name", "distribution"),
    [
        ("MemcachedSession", "cherrypy-sessions-memcached"),
        ("PostgresqlSession", "cherrypy-sessions-postgres"),
    ],
)
def test_session_backends_name_their_own_distribution(
    sessions_package, monkeypatch, name, distribution
):
    """``from cherrypy.lib.sessions import X`` asks the sessions package, which asks the table."""
    real = compat._installed_version
    monkeypatch.setattr(
        compat, "_installed_version", lambda dist: None if dist == distribution else real(dist)
    )
    fullname = f"cherrypy.lib.sessions.{name}"
    expected = f"{fullname} is provided by {distribution}: pip install {distribution}"
    namespace: dict[str, object] = {}
    with pytest.raises(ImportError) as caught:
        exec(f"from cherrypy.lib.sessions import {name}", namespace)
    assert str(caught.value) == expected
    sessions = importlib.import_module("cherrypy.lib.sessions")
    assert sessions is sys.modules["cherrypy_test_sessions"]
    with pytest.raises(AttributeError, match=f"^{expected}$"):
        getattr(sessions, name)


# --------------------------------------------------------------------------- real processes


def _run(site: Path, code: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CHERRYPY_")}
    environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(site), environ.get("PYTHONPATH")]))
    environ.update(env)
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=environ,
        timeout=60,
        check=False,
    )


@pytest.fixture
def process_site(tmp_path):
    """A directory for PYTHONPATH with cherrypy-test-blockme, whose names live where
    CherryPy's plugin names do (``cherrypy.dispatch.X``, ``cherrypy.lib.sessions``-like)."""
    site = tmp_path / "site"
    dists.install_dist(
        site,
        "cherrypy-test-blockme",
        "1.5",
        plugins={"blockme": "cherrypy_test_blockme.plugin"},
        compat={
            "cherrypy.dispatch.TestBlockDispatcher": "cherrypy_test_blockme.mod:thing",
            "cherrypy.testblock_mod": "cherrypy_test_blockme.mod",
            "cherrypy.tools.blocktool": "cherrypy_test_blockme.mod:thing",
        },
        files=BLOCKME_FILES,
    )
    conf = tmp_path / "app.conf"
    conf.write_text("[/]\nrequest.dispatch = cherrypy.dispatch.TestBlockDispatcher()\n")
    return site, conf


PROCESS_CODE = """
    import sys
    import cherrypy
    try:
        cherrypy.tree.mount(None, "/", {conf!r})
        print("mounted", cherrypy.tree.apps[""].config["/"]["request.dispatch"])
    except ValueError as exc:
        print(exc)
    for statement in (
        "from cherrypy.dispatch import TestBlockDispatcher",
        "import cherrypy.testblock_mod",
        "cherrypy.tools.blocktool",
    ):
        try:
            exec(statement)
            print("ok")
        except (ImportError, AttributeError) as exc:
            print(type(exc).__name__, exc)
    print(sorted(m for m in sys.modules if m.startswith("cherrypy_test_blockme")))
"""


def test_a_blocked_plugin_in_a_real_process(process_site):
    """INI config, from-import, import and the toolbox in a fresh interpreter."""
    site, conf = process_site
    result = _run(site, PROCESS_CODE.format(conf=str(conf)), CHERRYPY_BLOCK_PLUGINS="blockme")
    assert result.returncode == 0, result.stderr
    blocked = (
        "is provided by cherrypy-test-blockme, which is installed but blocked by "
        "CHERRYPY_BLOCK_PLUGINS: remove blockme from CHERRYPY_BLOCK_PLUGINS"
    )
    assert result.stdout.splitlines() == [
        f"Config error in {str(conf)!r}, section [/], key 'request.dispatch': invalid literal "
        f"'cherrypy.dispatch.TestBlockDispatcher()': cherrypy.dispatch.TestBlockDispatcher "
        f"{blocked}",
        f"MissingPluginError cherrypy.dispatch.TestBlockDispatcher {blocked}",
        f"MissingPluginError cherrypy.testblock_mod {blocked}",
        f"AttributeError cherrypy.tools.blocktool {blocked}",
        "[]",
    ]


def test_the_same_plugin_unblocked_in_a_real_process(process_site):
    site, conf = process_site
    result = _run(site, PROCESS_CODE.format(conf=str(conf)))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "mounted thing",
        "ok",
        "ok",
        # The plugin module is empty: it loads but registers no tool.
        "AttributeError cherrypy.tools.blocktool is provided by cherrypy-test-blockme 1.5, "
        "which is installed but did not register it: python -m cherrypy plugins says why",
        "['cherrypy_test_blockme', 'cherrypy_test_blockme.mod', 'cherrypy_test_blockme.plugin']",
    ]
