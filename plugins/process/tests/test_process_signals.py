"""SignalHandler: in-process unit tests, and real signals sent to real servers."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator
from typing import Any

import pytest

import cherrypy
from cherrypy.kernel.bus import Bus
from cherrypy.process.plugins import SignalHandler

APP = """
import os, sys
import cherrypy
import procsupport
from cherrypy.process.plugins import PIDFile

class Root:
    @cherrypy.expose
    def index(self):
        return f"pid {os.getpid()}"

cherrypy.tree.mount(Root(), "/")
procsupport.serve_on(int(os.environ["APP_PORT"]))
procsupport.record("graceful", "events.txt")
cherrypy.config.update({"engine.autoreload.on": False})
PIDFile(cherrypy.engine, "app.pid").subscribe()
cherrypy.engine.signals.subscribe()
cherrypy.engine.start()
cherrypy.engine.block()
"""


class RecordingBus(Bus):
    """A bus that records its log messages instead of printing them."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []
        self.subscribe("log", lambda msg, level=20: self.messages.append(msg))


@pytest.fixture
def bus() -> Iterator[RecordingBus]:
    """A private bus, so the global engine is left alone."""
    yield RecordingBus()


@pytest.fixture
def restore_signals() -> Iterator[None]:
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGHUP, signal.SIGTERM, signal.SIGUSR1)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def test_subscribe_installs_the_three_handlers_in_the_seed_order(
    bus: RecordingBus, restore_signals: None, clean_config: None
) -> None:
    handler = SignalHandler(bus)
    handler.subscribe()
    assert bus.messages == [
        "Listening for SIGHUP.",
        "Listening for SIGTERM.",
        "Listening for SIGUSR1.",
    ]
    for sig in (signal.SIGHUP, signal.SIGTERM, signal.SIGUSR1):
        assert signal.getsignal(sig) == handler._handle_signal
    assert bus.exit in bus.listeners["SIGTERM"]
    assert handler.handle_SIGHUP in bus.listeners["SIGHUP"]
    assert bus.graceful in bus.listeners["SIGUSR1"]


def test_a_delivered_signal_is_published_on_its_channel(
    bus: RecordingBus, restore_signals: None, clean_config: None
) -> None:
    seen: list[str] = []
    bus.subscribe("graceful", lambda: seen.append("graceful"))
    SignalHandler(bus).subscribe()
    os.kill(os.getpid(), signal.SIGUSR1)
    assert seen == ["graceful"]
    assert "Caught signal SIGUSR1." in bus.messages


def test_unsubscribe_restores_the_previous_handlers(
    bus: RecordingBus, restore_signals: None, clean_config: None
) -> None:
    def previous(signum: int, frame: Any) -> None:
        pass

    signal.signal(signal.SIGUSR1, previous)
    handler = SignalHandler(bus)
    handler.subscribe()
    handler.subscribe()  # twice must not lose the original handler
    handler.unsubscribe()
    assert signal.getsignal(signal.SIGUSR1) is previous
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    assert bus.graceful not in bus.listeners["SIGUSR1"]


def test_set_handler_accepts_numbers_and_rejects_unknown_names(
    bus: RecordingBus, restore_signals: None, clean_config: None
) -> None:
    handler = SignalHandler(bus)
    handler.set_handler(int(signal.SIGUSR1))
    assert signal.getsignal(signal.SIGUSR1) == handler._handle_signal
    with pytest.raises(ValueError, match="No such signal"):
        handler.set_handler("SIGNOPE")
    with pytest.raises(ValueError, match="No such signal"):
        handler.set_handler(100000)


def test_engine_sighup_none_leaves_that_signal_alone(
    bus: RecordingBus, restore_signals: None, clean_config: None
) -> None:
    cherrypy.config.update({"engine.SIGHUP": None})
    SignalHandler(bus).subscribe()
    assert bus.messages == ["Listening for SIGTERM.", "Listening for SIGUSR1."]
    assert signal.getsignal(signal.SIGHUP) is signal.SIG_DFL


def test_the_embedded_environment_handles_no_signal(
    bus: RecordingBus, restore_signals: None, clean_config: None
) -> None:
    cherrypy.config.update({"environment": "embedded"})
    SignalHandler(bus).subscribe()
    assert bus.messages == ["Not handling signals in the embedded environment."]
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


def test_a_signal_during_another_waits_for_it(
    bus: RecordingBus, restore_signals: None, clean_config: None
) -> None:
    order: list[str] = []

    def slow_graceful() -> None:
        order.append("graceful begins")
        os.kill(os.getpid(), signal.SIGUSR2)  # arrives in the middle
        order.append("graceful ends")

    handler = SignalHandler(bus)
    handler.handlers = {"SIGUSR1": slow_graceful, "SIGUSR2": lambda: order.append("usr2")}
    handler.subscribe()
    os.kill(os.getpid(), signal.SIGUSR1)
    assert order == ["graceful begins", "graceful ends", "usr2"]


def test_sighup_exits_when_attached_and_restarts_when_daemonized(bus: RecordingBus) -> None:
    calls: list[str] = []
    bus.exit = lambda: calls.append("exit")  # type: ignore[method-assign]
    bus.restart = lambda: calls.append("restart")  # type: ignore[method-assign]
    handler = SignalHandler(bus)
    handler.handle_SIGHUP()
    handler._original_pid = -1  # as if this process had been forked since
    handler.handle_SIGHUP()
    assert calls == ["exit", "restart"]
    assert bus.messages == [
        "SIGHUP caught but not daemonized. Exiting.",
        "SIGHUP caught while daemonized. Restarting.",
    ]


def test_engine_signal_handler_is_filled_by_the_plugin() -> None:
    assert isinstance(cherrypy.engine.signal_handler, SignalHandler)
    assert cherrypy.engine.signal_handler.bus is cherrypy.engine


# --------------------------------------------------------------------- real processes


def test_sigterm_stops_cleanly_removes_the_pidfile_and_exits_0(harness: Any) -> None:
    harness.write("app.py", APP)
    process = harness.launch([sys.executable, "app.py"])
    harness.wait_serving(f"pid {process.pid}")
    harness.wait_output("Bus STARTED")
    pidfile = harness.tmp_path / "app.pid"
    assert pidfile.read_text() == f"{process.pid}\n"
    process.send_signal(signal.SIGTERM)
    assert process.wait(20) == 0
    assert not pidfile.exists()
    output = harness.output()
    for line in ("Caught signal SIGTERM.", "Bus STOPPED", "PID file removed", "Bus EXITED"):
        assert line in output
    assert harness.get("/") is None


def test_sigusr1_reloads_gracefully_and_keeps_serving(harness: Any) -> None:
    harness.write("app.py", APP)
    process = harness.launch([sys.executable, "app.py"])
    harness.wait_serving(f"pid {process.pid}")
    harness.wait_output("Bus STARTED")
    process.send_signal(signal.SIGUSR1)
    events = harness.tmp_path / "events.txt"
    harness.wait_for(events.exists, what="the graceful listener")
    assert events.read_text() == f"graceful {process.pid}\n"
    assert "Bus graceful" in harness.output()
    assert harness.get("/") == (200, f"pid {process.pid}")
    assert process.poll() is None
    process.send_signal(signal.SIGTERM)
    assert process.wait(20) == 0


def test_sighup_exits_a_process_that_is_not_daemonized(harness: Any) -> None:
    harness.write("app.py", APP)
    process = harness.launch([sys.executable, "app.py"])
    harness.wait_serving()
    harness.wait_output("Bus STARTED")
    process.send_signal(signal.SIGHUP)
    assert process.wait(20) == 0
    assert "SIGHUP caught but not daemonized. Exiting." in harness.output()
