"""cherrypy-pytest declares its plugin through ``pytest11`` and none of its fixtures is autouse.

(The fixtures themselves are exercised with ``pytester`` in tests/test_testing_plugin.py.)
"""

from __future__ import annotations

from importlib import metadata

import cherrypy_pytest.plugin as plugin

FIXTURES = (
    "cherrypy_app",
    "cherrypy_clean",
    "cherrypy_client",
    "cherrypy_client_factory",
    "cherrypy_config",
    "cherrypy_live_server",
    "cherrypy_script_name",
)


def test_the_entry_point_names_the_plugin_module() -> None:
    [entry] = [ep for ep in metadata.entry_points(group="pytest11") if ep.name == "cherrypy"]
    assert entry.value == "cherrypy_pytest.plugin"
    assert entry.dist is not None and entry.dist.name == "cherrypy-pytest"


def test_the_fixtures_exist_and_none_is_autouse() -> None:
    assert sorted(plugin.__all__) == sorted(FIXTURES)
    for name in FIXTURES:
        marker = getattr(getattr(plugin, name), "_fixture_function_marker", None)
        marker = marker or getattr(getattr(plugin, name), "_pytestfixturefunction", None)
        assert marker is not None, f"{name} is not a fixture"
        assert marker.autouse is False, f"{name} is autouse"
