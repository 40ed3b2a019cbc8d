"""Autoreloader: file scanning in-process, and a real ``python -m`` app that reloads."""

from __future__ import annotations

import importlib.util
import os
import sys
import types
from pathlib import Path
from typing import Any

import pytest

import cherrypy
from cherrypy.kernel.bus import Bus
from cherrypy.process.plugins import Autoreloader


class RestartRecorder(Bus):
    """A bus whose ``restart`` only records that it was asked for."""

    def __init__(self) -> None:
        super().__init__()
        self.restarts = 0
        self.messages: list[str] = []
        self.subscribe("log", lambda msg, level=20: self.messages.append(msg))

    def restart(self) -> None:
        self.restarts += 1


@pytest.fixture
def bus() -> RestartRecorder:
    return RestartRecorder()


def _touch_later(path: Path, seconds: int = 5) -> None:
    info = path.stat()
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns + seconds * 10**9))


def test_a_modified_extra_file_restarts(bus: RestartRecorder, tmp_path: Path) -> None:
    watched = tmp_path / "settings.conf"
    watched.write_text("a = 1\n")
    reloader = Autoreloader(bus)
    reloader.files.add(str(watched))
    reloader.run()
    reloader.run()
    assert bus.restarts == 0
    _touch_later(watched)
    reloader.run()
    assert bus.restarts == 1
    assert f"Restarting because {watched} changed." in bus.messages


def test_an_older_copy_or_a_size_change_counts_as_a_change(
    bus: RestartRecorder, tmp_path: Path
) -> None:
    watched = tmp_path / "module.txt"
    watched.write_text("v1")
    reloader = Autoreloader(bus)
    reloader.files.add(str(watched))
    reloader.run()
    _touch_later(watched, -60)  # e.g. a backup restored with its old timestamp
    reloader.run()
    assert bus.restarts == 1

    reloader.mtimes.clear()
    reloader.run()
    info = watched.stat()
    watched.write_text("v22")
    os.utime(watched, ns=(info.st_atime_ns, info.st_mtime_ns))  # same mtime, new size
    reloader.run()
    assert bus.restarts == 2


def test_a_change_seen_while_starting_waits_for_the_engine_to_start(
    bus: RestartRecorder, tmp_path: Path
) -> None:
    watched = tmp_path / "app.py"
    watched.write_text("")
    reloader = Autoreloader(bus)
    reloader.files.add(str(watched))
    reloader.run()
    _touch_later(watched)
    bus.state = bus.states.STARTING
    reloader.run()
    assert bus.restarts == 0
    bus.state = bus.states.STARTED
    reloader.run()
    assert bus.restarts == 1


def test_a_deleted_file_restarts_but_a_never_existing_one_is_ignored(
    bus: RestartRecorder, tmp_path: Path
) -> None:
    present = tmp_path / "present.py"
    present.write_text("")
    reloader = Autoreloader(bus)
    reloader.files.update({str(present), str(tmp_path / "never.py")})
    reloader.run()
    reloader.run()
    assert bus.restarts == 0
    present.unlink()
    reloader.run()
    assert bus.restarts == 1


def test_module_files_are_watched_when_their_name_matches(tmp_path: Path) -> None:
    source = tmp_path / "watched_mod_for_reload.py"
    source.write_text("X = 1\n")
    module = types.ModuleType("watched_mod_for_reload")
    module.__file__ = str(source)
    sys.modules["watched_mod_for_reload"] = module
    try:
        reloader = Autoreloader(Bus())
        assert str(source) in reloader.sysfiles()
        reloader.match = r"^(?!watched_mod)"
        assert str(source) not in reloader.sysfiles()
    finally:
        del sys.modules["watched_mod_for_reload"]


def test_relative_module_files_are_anchored_to_the_startup_directory(tmp_path: Path) -> None:
    bus = Bus()
    bus.startup_cwd = str(tmp_path)
    module = types.ModuleType("relative_mod_for_reload")
    module.__file__ = "pkg/mod.py"
    assert Autoreloader(bus)._file_for_module(module) == str(tmp_path / "pkg" / "mod.py")


def test_modules_in_a_zip_archive_watch_the_archive(tmp_path: Path) -> None:
    module = types.ModuleType("zipped_mod_for_reload")
    module.__loader__ = types.SimpleNamespace(archive=str(tmp_path / "lib.zip"))  # type: ignore[assignment]
    module.__file__ = str(tmp_path / "lib.zip" / "zipped.py")
    assert Autoreloader(Bus())._file_for_module(module) == str(tmp_path / "lib.zip")


def test_the_module_file_helpers_work_on_the_class_and_skip_modules_without_a_file(
    tmp_path: Path,
) -> None:
    class FileIsNone:
        __file__ = None

    assert Autoreloader._file_for_file_module(FileIsNone) is None
    assert Autoreloader._file_for_file_module(types.ModuleType("no_file_at_all")) is None
    module = types.ModuleType("relative_for_class_call")
    module.__file__ = "pkg/mod.py"
    assert Autoreloader._file_for_file_module(module, str(tmp_path)) == str(
        tmp_path / "pkg" / "mod.py"
    )
    assert Autoreloader._archive_for_zip_module(module) is None
    reloader = Autoreloader(Bus())
    assert reloader._file_for_module(FileIsNone) is None


def test_config_files_given_to_config_update_are_watched(
    tmp_path: Path, clean_config: None
) -> None:
    conf = tmp_path / "site.conf"
    conf.write_text("[global]\nlog.screen = False\n")
    cherrypy.config.update(str(conf))
    assert str(conf) in Autoreloader(Bus())._watched()


def test_the_stale_bytecode_of_a_changed_module_is_discarded(
    bus: RestartRecorder, tmp_path: Path
) -> None:
    source = tmp_path / "edited.py"
    source.write_text("X = 1\n")
    cached = Path(importlib.util.cache_from_source(str(source)))
    cached.parent.mkdir()
    cached.write_bytes(b"stale")
    reloader = Autoreloader(bus)
    reloader.files.add(str(source))
    reloader.run()
    _touch_later(source)
    reloader.run()
    assert bus.restarts == 1
    assert not cached.exists()


def test_a_production_environment_unsubscribes_the_autoreloader(clean_config: None) -> None:
    reloader = cherrypy.engine.autoreload
    assert isinstance(reloader, Autoreloader)
    reloader.subscribe()
    assert reloader.start in cherrypy.engine.listeners["start"]
    cherrypy.config.update({"environment": "production"})
    assert reloader.start not in cherrypy.engine.listeners["start"]
    cherrypy.config.update({"engine.autoreload.on": True, "engine.autoreload.frequency": 5})
    assert reloader.start in cherrypy.engine.listeners["start"]
    assert reloader.frequency == 5
    reloader.unsubscribe()
    reloader.frequency = 1


# --------------------------------------------------------------------- a real process

PACKAGE_MAIN = """
import os, sys
import cherrypy
import procsupport
from . import views

class Root:
    @cherrypy.expose
    def index(self):
        return f"{views.VERSION} {os.getpid()} {sys.prefix}"

cherrypy.tree.mount(Root(), "/")
procsupport.serve_on(int(os.environ["APP_PORT"]))
cherrypy.engine.autoreload.frequency = 0.2
cherrypy.engine.autoreload.match = "webapp"
cherrypy.engine.signals.subscribe()
cherrypy.engine.start()
cherrypy.engine.block()
"""


def test_editing_a_module_restarts_a_python_m_app_with_relative_imports(harness: Any) -> None:
    harness.write("webapp/__init__.py", "")
    harness.write("webapp/main.py", PACKAGE_MAIN)
    views = harness.write("webapp/views.py", 'VERSION = "v1"\n')
    second = int(views.stat().st_mtime)
    os.utime(views, ns=(second * 10**9, second * 10**9 + 10**8))
    process = harness.launch(
        [sys.executable, "-X", "utf8", "-m", "webapp.main"], PYTHONDONTWRITEBYTECODE=""
    )
    body = harness.wait_serving("v1")
    assert body == f"v1 {process.pid} {sys.prefix}"
    assert list((views.parent / "__pycache__").glob("views.*.pyc"))

    # Same size and same whole second as v1: the import system would trust the old .pyc.
    views.write_text('VERSION = "v2"\n')
    os.utime(views, ns=(second * 10**9, second * 10**9 + 5 * 10**8))
    body = harness.wait_serving("v2", timeout=30)
    # The same process was re-executed (same pid), in the same virtualenv.
    assert body == f"v2 {process.pid} {sys.prefix}"
    output = harness.output()
    assert f"Restarting because {views} changed." in output
    assert f"Re-spawning {sys.executable} -X utf8 -m webapp.main" in output
    harness.wait_output("Bus STARTED", count=2)
    process.terminate()
    assert process.wait(20) == 0
