"""Tests of cherrypy.kernel.compat: the alias table, the meta-path finder, module_getattr."""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from pathlib import Path

import pytest

from cherrypy.kernel import compat
from cherrypy.kernel import pluginmanager as plugins


def _load_dists_helper() -> types.ModuleType:
    path = Path(__file__).parent / "fixtures" / "plugin_dists.py"
    spec = importlib.util.spec_from_file_location("cherrypy_kernel_test_compat_dists", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


dists = _load_dists_helper()


@pytest.fixture
def site(tmp_path, monkeypatch):
    """cherrypy-testplugin installed in a site only the compat table sees, finder installed."""
    with dists.isolated_site(tmp_path, monkeypatch):
        dists.install_testplugin(tmp_path)
        compat.install_finder()
        yield tmp_path


@pytest.fixture
def fake_package(site, monkeypatch):
    """A compatibility package ``cherrypy.testpkg`` whose ``__getattr__`` uses the table."""
    dists.install_dist(
        site,
        "cherrypy-test-pkgaliases",
        "3.2",
        compat={
            "cherrypy.testpkg.static": "cherrypy_testplugin.serving",
            "cherrypy.testpkg.helper": "cherrypy_testplugin.serving:helper",
        },
    )
    monkeypatch.setitem(compat.KNOWN_PROVIDERS, "cherrypy.testpkg.gone", "cherrypy-gone")
    package = types.ModuleType("cherrypy.testpkg")
    package.__path__ = []
    package.__getattr__ = lambda name: compat.module_getattr("cherrypy.testpkg", name)
    monkeypatch.setitem(sys.modules, "cherrypy.testpkg", package)
    return package


def test_table_reads_the_compat_entry_points(site):
    table = compat.compat_table()
    entry = table["cherrypy.testplugin_helper"]
    assert (entry.module, entry.attr) == ("cherrypy_testplugin.serving", "helper")
    assert (entry.distribution, entry.version) == ("cherrypy-testplugin", "1.0")
    serving = table["cherrypy.testplugin_serving"]
    assert (serving.module, serving.attr) == ("cherrypy_testplugin.serving", None)
    assert compat.compat_table() is table
    assert "cherrypy_testplugin.plugin" not in sys.modules


def test_conflicting_aliases_warn_and_first_wins(site):
    dists.install_dist(
        site,
        "cherrypy-zz-rival",  # sorts after cherrypy-testplugin
        "0.1",
        compat={"cherrypy.testplugin_serving": "cherrypy_test_rival"},
    )
    with pytest.warns(plugins.PluginLoadWarning, match="claimed by cherrypy-testplugin"):
        table = compat.compat_table()
    assert table["cherrypy.testplugin_serving"].distribution == "cherrypy-testplugin"


def test_finder_imports_a_module_alias(site):
    import cherrypy.testplugin_serving as alias

    real = importlib.import_module("cherrypy_testplugin.serving")
    assert alias is real
    assert sys.modules["cherrypy.testplugin_serving"] is real
    assert real.__spec__.name == "cherrypy_testplugin.serving"
    assert real.__name__ == "cherrypy_testplugin.serving"
    assert alias.helper("y") == "served:y"


def test_finder_ignores_names_it_does_not_know(site):
    finder = compat.install_finder()
    assert finder.find_spec("json") is None
    assert compat._table is None  # non-cherrypy names never read the table
    assert finder.find_spec("cherrypy.testplugin_helper") is None  # an attribute, not a module
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("cherrypy.testplugin_nothing_here")


def test_install_finder_is_idempotent_and_goes_last(site):
    first = compat.install_finder()
    assert compat.install_finder() is first
    assert [f for f in sys.meta_path if isinstance(f, compat.CompatFinder)] == [first]
    # Installed after the standard finders (third-party packages such as six may append
    # their own hooks later, so "last" is checked against the standard ones only).
    position = sys.meta_path.index(first)
    standard = [
        f for f in sys.meta_path if getattr(f, "__module__", "").startswith("_frozen_importlib")
    ]
    assert all(sys.meta_path.index(f) < position for f in standard)


def test_finder_names_the_distribution_of_a_missing_module(site, monkeypatch):
    monkeypatch.setitem(compat.KNOWN_PROVIDERS, "cherrypy.testplugin_missing", "cherrypy-test-x")
    with pytest.raises(compat.MissingPluginError) as caught:
        importlib.import_module("cherrypy.testplugin_missing")
    assert str(caught.value) == (
        "cherrypy.testplugin_missing is provided by cherrypy-test-x: pip install cherrypy-test-x"
    )
    monkeypatch.setattr(compat, "_installed_version", lambda dist: None)
    with pytest.raises(ImportError, match="provided by cherrypy-sessions"):
        compat.CompatFinder().find_spec("cherrypy.lib.sessions")


def test_module_getattr_resolves_module_and_attribute_aliases(fake_package):
    from cherrypy.testpkg import helper, static

    assert static is sys.modules["cherrypy_testplugin.serving"]
    assert helper is static.helper
    assert vars(fake_package)["helper"] is helper  # cached on the package
    assert sys.modules["cherrypy.testpkg.static"] is static


def test_module_getattr_for_a_missing_documented_name(fake_package):
    with pytest.raises(ImportError) as caught:
        from cherrypy.testpkg import gone  # noqa: F401
    assert (
        str(caught.value)
        == "cherrypy.testpkg.gone is provided by cherrypy-gone: pip install cherrypy-gone"
    )
    with pytest.raises(
        AttributeError, match="provided by cherrypy-gone: pip install cherrypy-gone"
    ):
        fake_package.gone  # noqa: B018
    assert not hasattr(fake_package, "gone")


def test_module_getattr_for_unknown_and_dunder_names(site):
    with pytest.raises(
        AttributeError, match=r"module 'cherrypy\.testpkg' has no attribute '__wrapped__'"
    ):
        compat.module_getattr("cherrypy.testpkg", "__wrapped__")
    assert compat._table is None
    with pytest.raises(AttributeError, match="has no attribute 'nothing'") as caught:
        compat.module_getattr("cherrypy.testpkg", "nothing")
    assert not isinstance(caught.value, ImportError)


def test_module_getattr_works_for_non_module_namespaces(site):
    tool = compat.module_getattr("cherrypy.tools", "testtool")
    assert tool is sys.modules["cherrypy_testplugin.plugin"].testtool
    assert plugins.get_plugin_manager().get_plugin("testplugin") is None  # import, not register


@pytest.mark.parametrize(
    ("name", "distribution"),
    [
        ("cherrypy.tools.gzip", "cherrypy-encoding"),
        ("cherrypy.lib.static", "cherrypy-static"),
        ("cherrypy.lib.sessions.RamSession", "cherrypy-sessions"),
        ("cherrypy.lib.sessions.MemcachedSession", "cherrypy-sessions-memcached"),
        ("cherrypy.lib.sessions.PostgresqlSession", "cherrypy-sessions-postgres"),
        ("cherrypy.dispatch.MethodDispatcher", "cherrypy-dispatchers"),
        ("cherrypy.server", "cherrypy-server"),
        ("cherrypy.engine.autoreload", "cherrypy-process"),
        ("cherrypy._cptools.XMLRPCController", "cherrypy-xmlrpc"),
    ],
)
def test_missing_name_error_names_the_distribution(site, name, distribution, monkeypatch):
    monkeypatch.setattr(compat, "_installed_version", lambda dist: None)  # not installed
    error = compat.missing_name_error(name)
    assert isinstance(error, ImportError)
    assert error.distribution == distribution
    assert str(error) == f"{name} is provided by {distribution}: pip install {distribution}"


def test_missing_name_error_when_the_installed_provider_lacks_the_name(site, monkeypatch):
    # "pip install cherrypy-server" would not help when it is installed but too old or
    # simply does not implement that module: say so instead.
    monkeypatch.setattr(compat, "_installed_version", lambda dist: "0.1.0")
    error = compat.missing_name_error("cherrypy._cpnative_server")
    assert error.distribution == "cherrypy-server"
    assert str(error) == (
        "cherrypy._cpnative_server belongs to cherrypy-server, but the installed "
        "cherrypy-server 0.1.0 does not provide it"
    )


def test_missing_name_error_for_an_unknown_name(site):
    error = compat.missing_name_error("cherrypy.lib.nonsense")
    assert error.distribution is None
    assert str(error) == (
        "cherrypy.lib.nonsense is not provided by cherrypy-kernel or any installed plugin"
    )


def test_installed_alias_reports_its_own_distribution(site):
    assert compat.provider_of("cherrypy.tools.testtool") == "cherrypy-testplugin"
    assert compat.provider_of("cherrypy.tools.gzip") == "cherrypy-encoding"
    with pytest.raises(compat.MissingPluginError, match="cherrypy-encoding"):
        compat.resolve("cherrypy.tools.gzip")
