"""Tests for cherrypy.kernel.config: global config, merge, decorator, generations."""

from __future__ import annotations

import io
import pathlib

import pytest

from cherrypy.kernel import config as cpconfig
from cherrypy.kernel import reprconf
from cherrypy.kernel.config import Config, merge


@pytest.fixture
def conf(monkeypatch: pytest.MonkeyPatch) -> Config:
    """A fresh global-style config with recording namespace handlers."""
    monkeypatch.setattr(cpconfig, "global_config_contained_paths", False)
    seen: list = []

    class RecordingConfig(Config):
        namespaces = reprconf.NamespaceSet(
            server=lambda k, v: seen.append(("server", k, v)),
            engine=lambda k, v: seen.append(("engine", k, v)),
            tools=lambda k, v: seen.append(("tools", k, v)),
        )

    instance = RecordingConfig()
    instance.seen = seen  # type: ignore[attr-defined]
    return instance


def write(path: pathlib.Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_environments_match_cherrypy() -> None:
    common = {
        "engine.autoreload.on": False,
        "checker.on": False,
        "tools.log_headers.on": False,
    }
    assert cpconfig.environments == {
        "staging": {
            **common,
            "request.show_tracebacks": False,
            "request.show_mismatched_params": False,
        },
        "production": {
            **common,
            "request.show_tracebacks": False,
            "request.show_mismatched_params": False,
            "log.screen": False,
        },
        "embedded": {
            **common,
            "request.show_tracebacks": False,
            "request.show_mismatched_params": False,
            "log.screen": False,
            "engine.SIGHUP": None,
            "engine.SIGTERM": None,
        },
        "test_suite": {
            **common,
            "request.show_tracebacks": True,
            "request.show_mismatched_params": True,
            "log.screen": False,
        },
    }
    assert Config.environments is cpconfig.environments


def test_global_namespaces_are_separate_from_generic_config() -> None:
    assert isinstance(Config.namespaces, reprconf.NamespaceSet)
    assert Config.namespaces is not reprconf.Config.namespaces


def test_update_from_flat_dict_runs_namespaces(conf: Config) -> None:
    conf.update({"server.socket_port": 8080, "engine.autoreload.on": False})
    assert conf["server.socket_port"] == 8080
    assert conf.seen == [("server", "socket_port", 8080), ("engine", "autoreload.on", False)]


def test_update_from_filename_flattens_global_and_watches_file(
    conf: Config, tmp_path: pathlib.Path
) -> None:
    filename = write(
        tmp_path / "site.conf",
        "[global]\nserver.socket_host = '127.0.0.1'\nserver.thread_pool = 10\n",
    )
    conf.update(filename)
    assert conf["server.socket_host"] == "127.0.0.1"
    assert conf["server.thread_pool"] == 10
    assert "global" not in conf
    assert filename in cpconfig.watched_files
    assert cpconfig.global_config_contained_paths is False


def test_update_from_path_object_is_watched_as_string(conf: Config, tmp_path: pathlib.Path) -> None:
    path = tmp_path / "p.conf"
    write(path, "[global]\nengine.x = 1\n")
    conf.update(path)
    assert conf["engine.x"] == 1
    assert str(path) in cpconfig.watched_files


def test_update_from_file_object(conf: Config) -> None:
    conf.update(io.StringIO("[global]\ntools.gzip.on = True\n"))
    assert conf["tools.gzip.on"] is True
    assert ("tools", "gzip.on", True) in conf.seen


def test_global_update_ignores_and_flags_path_sections(conf: Config) -> None:
    update = {"global": {"server.socket_port": 9000}, "/": {"tools.gzip.on": True}}
    conf.update(update)
    assert conf["server.socket_port"] == 9000
    assert "/" not in conf
    assert "tools.gzip.on" not in conf
    assert cpconfig.global_config_contained_paths is True


def test_global_update_does_not_mutate_the_callers_section(conf: Config) -> None:
    section = {"environment": "production", "tools.staticdir.dir": "/srv"}
    conf.update({"global": section})
    assert section == {"environment": "production", "tools.staticdir.dir": "/srv"}
    assert conf["tools.staticdir.section"] == "global"
    assert conf["log.screen"] is False


def test_environment_applies_to_missing_keys_only(conf: Config) -> None:
    conf.update({"environment": "test_suite", "request.show_tracebacks": False})
    assert conf["request.show_tracebacks"] is False
    assert conf["request.show_mismatched_params"] is True
    assert conf["checker.on"] is False
    assert ("engine", "autoreload.on", False) in conf.seen


def test_defaults_and_reset(conf: Config) -> None:
    conf.defaults = {"tools.encode.on": True}
    conf.reset()
    assert conf == {"tools.encode.on": True}
    conf["tools.encode.on"] = False
    conf.reset()
    assert conf == {"tools.encode.on": True}


# ---------------------------------------------------------------- generation counter


def test_generation_bumps_on_every_change(conf: Config, tmp_path: pathlib.Path) -> None:
    def bumped(action) -> bool:
        before = cpconfig.generation()
        action()
        return cpconfig.generation() > before

    filename = write(tmp_path / "g.conf", "[global]\na.b = 1\n")
    assert bumped(lambda: conf.update({"a.b": 1}))
    assert bumped(lambda: conf.update(filename))
    assert bumped(lambda: conf.__setitem__("a.c", 2))
    assert bumped(conf.reset)
    assert bumped(lambda: merge({}, {"/": {"a": 1}}))
    conf["x"] = 1
    assert bumped(lambda: conf.__delitem__("x"))
    assert bumped(lambda: conf.pop("a.c", None))
    assert not bumped(lambda: cpconfig.generation())


def test_generation_bumps_even_when_update_fails(conf: Config) -> None:
    before = cpconfig.generation()

    def fail(k: str, v: object) -> None:
        raise RuntimeError("handler failed")

    conf.namespaces["bad"] = fail
    with pytest.raises(RuntimeError):
        conf.update({"bad.key": 1})
    assert conf["bad.key"] == 1
    assert cpconfig.generation() > before


def test_bump_generation_returns_the_new_value() -> None:
    value = cpconfig.bump_generation()
    assert value == cpconfig.generation()
    assert cpconfig.bump_generation() == value + 1


# ---------------------------------------------------------------- merge


def test_merge_updates_section_by_section() -> None:
    base = {"/": {"a": 1, "b": 2}, "/static": {"s": 1}}
    merge(base, {"/": {"b": 3, "c": 4}, "/new": {"n": 5}})
    assert base == {"/": {"a": 1, "b": 3, "c": 4}, "/static": {"s": 1}, "/new": {"n": 5}}


def test_merge_from_file_is_watched(tmp_path: pathlib.Path) -> None:
    filename = write(tmp_path / "app.conf", "[/]\ntools.gzip.on = True\n[/x]\nk = 'v'\n")
    base: dict = {"/": {"tools.gzip.level": 5}}
    merge(base, filename)
    assert base == {"/": {"tools.gzip.level": 5, "tools.gzip.on": True}, "/x": {"k": "v"}}
    assert filename in cpconfig.watched_files
    merge(base, io.StringIO("[/y]\nz = 1\n"))
    assert base["/y"] == {"z": 1}


def test_merge_refuses_flat_config_and_leaves_base_alone() -> None:
    base = {"/": {"a": 1}}
    with pytest.raises(ValueError) as info:
        merge(base, {"/b": {"x": 1}, "tools.gzip.on": True})
    assert str(info.value) == (
        "Application config must include section headers, but the config you tried to merge "
        "doesn't have any sections. Wrap your config in another dict with paths as section "
        "headers, for example: {'/': config}."
    )
    assert base == {"/": {"a": 1}}


# ---------------------------------------------------------------- decorator


def test_decorator_sets_cp_config_on_a_function(conf: Config) -> None:
    @conf(**{"tools.gzip.on": True})
    def index() -> str:
        return "hi"

    assert index() == "hi"
    assert index._cp_config == {"tools.gzip.on": True}  # type: ignore[attr-defined]

    decorated = conf(**{"request.show_tracebacks": False})(index)
    assert decorated is index
    assert index._cp_config == {  # type: ignore[attr-defined]
        "tools.gzip.on": True,
        "request.show_tracebacks": False,
    }


def test_decorator_merges_with_existing_class_cp_config(conf: Config) -> None:
    @conf(**{"tools.gzip.on": True})
    class Root:
        _cp_config = {"tools.sessions.on": True, "tools.gzip.on": False}

    assert Root._cp_config == {"tools.sessions.on": True, "tools.gzip.on": True}


def test_decorator_on_subclass_leaves_base_class_alone(conf: Config) -> None:
    class Base:
        _cp_config = {"tools.a.on": True}

    @conf(**{"tools.b.on": True})
    class Child(Base):
        pass

    assert Child._cp_config == {"tools.a.on": True, "tools.b.on": True}
    assert Base._cp_config == {"tools.a.on": True}


def test_decorator_through_the_class_and_bumps_generation() -> None:
    before = cpconfig.generation()

    @Config.__call__(**{"response.stream": True})
    def handler() -> None:
        pass

    assert handler._cp_config == {"response.stream": True}  # type: ignore[attr-defined]
    assert cpconfig.generation() > before


# ---------------------------------------------------------------- namespace registry


def test_known_namespaces_mirror_cherrypy() -> None:
    assert {"engine", "log", "checker", "server", "tree"} <= cpconfig.known_namespaces["global"]
    assert {"log", "wsgi"} <= cpconfig.known_namespaces["app"]
    assert {"hooks", "request", "response", "error_page", "tools"} <= cpconfig.known_namespaces[
        "request"
    ]
    assert "wsgi" in cpconfig.all_known_namespaces()
    assert "tree" in cpconfig.all_known_namespaces()


def test_register_namespace(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(cpconfig.known_namespaces, "request", {"request"})
    cpconfig.register_namespace("json", "request")
    assert cpconfig.known_namespaces["request"] == {"request", "json"}
    assert "json" in cpconfig.all_known_namespaces()
    with pytest.raises(ValueError, match="scope"):
        cpconfig.register_namespace("json", "session")
    with pytest.raises(ValueError, match="dot-free"):
        cpconfig.register_namespace("a.b", "app")
