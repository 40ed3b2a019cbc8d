"""Tests for the engine bus (cherrypy.kernel.bus) and its generic plugins."""

from __future__ import annotations

import atexit
import os
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cherrypy.kernel.bus import (
    EX_SOFTWARE,
    BackgroundTask,
    Bus,
    ChannelFailures,
    Monitor,
    PerpetualTimer,
    SimplePlugin,
    ThreadManager,
    states,
)


class LogRecorder:
    """Collects (message, level) pairs published on a bus's 'log' channel."""

    def __init__(self) -> None:
        self.records: list[tuple[str, int]] = []

    def __call__(self, msg: str, level: int) -> None:
        self.records.append((msg, level))

    @property
    def messages(self) -> list[str]:
        return [msg for msg, _ in self.records]

    def bus_lines(self) -> list[str]:
        return [msg for msg in self.messages if msg.startswith("Bus ")]


@pytest.fixture
def log() -> LogRecorder:
    return LogRecorder()


@pytest.fixture
def bus(log: LogRecorder) -> Iterator[Bus]:
    engine = Bus()
    engine.subscribe("log", log)
    yield engine
    atexit.unregister(engine._clean_exit)


def run_script(
    tmp_path: Path, source: str, *args: str, timeout: float = 30
) -> subprocess.CompletedProcess:
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(source))
    return subprocess.run(
        [sys.executable, str(script), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=tmp_path,
    )


# -- states and subscription -------------------------------------------------------------


def test_states_are_named_and_shared() -> None:
    assert repr(states.STARTED) == "states.STARTED"
    assert Bus.states is states
    assert Bus().state is states.STOPPED
    assert (
        len({states.STOPPED, states.STARTING, states.STARTED, states.STOPPING, states.EXITING}) == 5
    )


def test_new_bus_has_builtin_channels_and_defaults() -> None:
    engine = Bus()
    assert set(engine.listeners) == {"start", "stop", "exit", "graceful", "log", "main"}
    assert all(listeners == set() for listeners in engine.listeners.values())
    assert engine.execv is False
    assert engine.hook_relay is None
    assert engine.setup_callbacks == []
    assert engine.signal_handler is None and engine.autoreload is None
    assert engine.timeout_monitor is None
    assert isinstance(engine.max_cloexec_files, int)


def test_priority_ordering(bus: Bus) -> None:
    def make(name: str):
        return lambda: name

    def with_attribute() -> str:
        return "attr5"

    with_attribute.priority = 5  # type: ignore[attr-defined]

    bus.subscribe("x", make("p60"), priority=60)
    bus.subscribe("x", make("default-a"))
    bus.subscribe("x", make("p10"), priority=10)
    bus.subscribe("x", with_attribute)
    bus.subscribe("x", make("default-b"))
    assert bus.publish("x") == ["attr5", "p10", "default-a", "default-b", "p60"]
    assert bus._priorities[("x", with_attribute)] == 5


def test_resubscribe_updates_priority(bus: Bus) -> None:
    def first() -> str:
        return "first"

    def second() -> str:
        return "second"

    bus.subscribe("x", first)
    bus.subscribe("x", second)
    bus.subscribe("x", first, priority=90)
    assert bus.publish("x") == ["second", "first"]
    assert len(bus.listeners["x"]) == 2


def test_decorator_form_passes_arguments(bus: Bus) -> None:
    seen = []

    @bus.subscribe("custom", priority=20)
    def handler(a, b=None):
        seen.append((a, b))
        return a * 2

    assert callable(handler)
    assert bus._priorities[("custom", handler)] == 20
    assert bus.publish("custom", 21, b="x") == [42]
    assert seen == [(21, "x")]


def test_unsubscribe(bus: Bus) -> None:
    def listener() -> str:
        return "hit"

    bus.subscribe("start", listener)
    bus.unsubscribe("start", listener)
    bus.unsubscribe("start", listener)  # absent: no error
    bus.unsubscribe("never-seen", listener)
    assert bus.publish("start") == []
    assert ("start", listener) not in bus._priorities


def test_unknown_channel_publishes_nothing(bus: Bus) -> None:
    assert bus.publish("nobody-listens", 1, 2) == []
    assert bus.publish(None) == []


# -- failures --------------------------------------------------------------------------


def test_publish_runs_every_listener_and_collects_failures(bus: Bus, log: LogRecorder) -> None:
    ran = []

    def bad_value() -> None:
        ran.append("value")
        raise ValueError("v")

    def good() -> str:
        ran.append("good")
        return "ok"

    def bad_type() -> None:
        ran.append("type")
        raise TypeError("t")

    bus.subscribe("x", bad_value, priority=1)
    bus.subscribe("x", good, priority=2)
    bus.subscribe("x", bad_type, priority=3)
    with pytest.raises(ChannelFailures) as info:
        bus.publish("x")
    assert ran == ["value", "good", "type"]
    failures = info.value
    assert bool(failures)
    assert [type(e) for e in failures.get_instances()] == [ValueError, TypeError]
    assert str(failures) == "ValueError('v')\nTypeError('t')"
    errors = [(msg, level) for msg, level in log.records if msg.startswith("Error in 'x'")]
    assert len(errors) == 2
    assert all(level == 40 for _, level in errors)
    assert "ValueError: v" in errors[0][0]


def test_channel_failures_empty_is_false() -> None:
    failures = ChannelFailures()
    assert not failures
    assert failures.get_instances() == []
    try:
        raise KeyError("k")
    except KeyError:
        failures.handle_exception()
    assert failures
    instances = failures.get_instances()
    instances.clear()
    assert len(failures.get_instances()) == 1


def test_failing_log_listener_is_not_logged_again(bus: Bus, log: LogRecorder) -> None:
    calls = []

    def broken(msg: str, level: int) -> None:
        calls.append(msg)
        raise RuntimeError("cannot log")

    bus.subscribe("log", broken)
    with pytest.raises(ChannelFailures):
        bus.log("hello")
    assert calls == ["hello"]
    assert log.messages == ["hello"]


def test_keyboard_interrupt_stops_publication(bus: Bus) -> None:
    ran = []

    def interrupt() -> None:
        raise KeyboardInterrupt

    bus.subscribe("x", interrupt, priority=1)
    bus.subscribe("x", lambda: ran.append("later"), priority=2)
    with pytest.raises(KeyboardInterrupt):
        bus.publish("x")
    assert ran == []


def test_system_exit_after_failure_gets_nonzero_code(bus: Bus) -> None:
    def fail() -> None:
        raise ValueError

    def leave() -> None:
        raise SystemExit(0)

    bus.subscribe("x", fail, priority=1)
    bus.subscribe("x", leave, priority=2)
    with pytest.raises(SystemExit) as info:
        bus.publish("x")
    assert info.value.code == 1


# -- state machine -----------------------------------------------------------------------


def test_state_transitions_seen_by_listeners(bus: Bus, log: LogRecorder) -> None:
    seen = []
    for channel in ("start", "stop", "exit", "graceful"):
        bus.subscribe(channel, lambda ch=channel: seen.append((ch, bus.state)))

    bus.start()
    assert bus.state is states.STARTED
    bus.graceful()
    bus.stop()
    assert bus.state is states.STOPPED
    bus.start()
    bus.exit()
    assert bus.state is states.EXITING
    assert seen == [
        ("start", states.STARTING),
        ("graceful", states.STARTED),
        ("stop", states.STOPPING),
        ("start", states.STARTING),
        ("stop", states.STOPPING),
        ("exit", states.EXITING),
    ]
    assert log.bus_lines() == [
        "Bus STARTING",
        "Bus STARTED",
        "Bus graceful",
        "Bus STOPPING",
        "Bus STOPPED",
        "Bus STARTING",
        "Bus STARTED",
        "Bus STOPPING",
        "Bus STOPPED",
        "Bus EXITING",
        "Bus EXITED",
    ]


def test_start_failure_logs_exits_and_reraises(bus: Bus, log: LogRecorder, monkeypatch) -> None:
    hard_exits: list[int] = []
    monkeypatch.setattr(bus, "_hard_exit", hard_exits.append)
    events = []

    def broken_start() -> None:
        raise ValueError("no port")

    bus.subscribe("start", broken_start)
    bus.subscribe("stop", lambda: events.append("stop"))
    bus.subscribe("exit", lambda: events.append("exit"))
    with pytest.raises(ChannelFailures) as info:
        bus.start()
    assert [str(e) for e in info.value.get_instances()] == ["no port"]
    assert events == ["stop", "exit"]
    assert bus.state is states.EXITING
    assert hard_exits == [EX_SOFTWARE]
    shutdown = [msg for msg in log.messages if msg.startswith("Shutting down due to error")]
    assert len(shutdown) == 1
    assert shutdown[0].startswith("Shutting down due to error in start listener:")
    assert "ValueError('no port')" in shutdown[0]
    assert "Bus STARTED" not in log.messages


def test_start_failure_ends_process_with_status_70(tmp_path: Path) -> None:
    result = run_script(
        tmp_path,
        """
        from cherrypy.kernel.bus import Bus

        bus = Bus()
        bus.subscribe("log", lambda msg, level: print(msg, flush=True))
        bus.subscribe("exit", lambda: print("exit listener ran", flush=True))

        def broken():
            raise RuntimeError("bind failed")

        bus.subscribe("start", broken)
        bus.start()
        print("not reached", flush=True)
        """,
    )
    assert result.returncode == 70, result.stderr
    assert "Shutting down due to error in start listener:" in result.stdout
    assert "RuntimeError: bind failed" in result.stdout
    assert "exit listener ran" in result.stdout
    assert "Bus EXITED" in result.stdout
    assert "not reached" not in result.stdout


def test_exit_failure_ends_process(bus: Bus, monkeypatch) -> None:
    hard_exits: list[int] = []
    monkeypatch.setattr(bus, "_hard_exit", hard_exits.append)

    def broken_exit() -> None:
        raise OSError("disk gone")

    bus.subscribe("exit", broken_exit)
    bus.start()
    bus.exit()
    assert hard_exits == [EX_SOFTWARE]


def test_clean_exit_warns_and_exits_running_bus(bus: Bus) -> None:
    bus.start()
    with pytest.warns(RuntimeWarning, match="main thread is exiting"):
        bus._clean_exit()
    assert bus.state is states.EXITING


# -- setup callbacks and hook relay --------------------------------------------------------


def test_setup_callbacks_run_once_in_order_before_start(bus: Bus, log: LogRecorder) -> None:
    calls = []

    def first(engine: Bus) -> None:
        calls.append(("first", engine.state, list(log.messages)))
        engine.subscribe("start", lambda: calls.append("late start listener"))

    def second(engine: Bus) -> None:
        calls.append(("second", engine.state, list(log.messages)))

    bus.setup_callbacks.extend([first, second])
    bus.start()
    bus.stop()
    bus.start()
    bus.exit()
    assert calls == [
        ("first", states.STOPPED, []),
        ("second", states.STOPPED, []),
        "late start listener",
        "late start listener",
    ]


def test_setup_callback_failure_fails_start_cleanly(bus: Bus, log: LogRecorder) -> None:
    calls = []

    def broken(engine: Bus) -> None:
        calls.append("broken")
        raise ImportError("plugin missing")

    bus.setup_callbacks.extend([broken, lambda engine: calls.append("next")])
    bus.subscribe("start", lambda: calls.append("start"))
    with pytest.raises(ImportError, match="plugin missing"):
        bus.start()
    assert bus.state is states.STOPPED
    assert calls == ["broken"]
    assert "Bus STARTING" not in log.messages
    assert any("Error in engine setup callback" in m and "ImportError" in m for m in log.messages)

    bus.start()
    assert calls == ["broken", "next", "start"]
    bus.exit()


def test_hook_relay_receives_engine_channels(bus: Bus) -> None:
    relayed = []
    order = []

    def relay(channel: str, args: tuple, kwargs: dict) -> None:
        relayed.append((channel, args, kwargs))
        order.append(f"relay:{channel}")

    bus.subscribe("start", lambda: order.append("listener:start"))
    bus.hook_relay = relay
    bus.start()
    bus.publish("custom", 1)
    bus.publish("start_thread", 3)
    bus.publish("main")
    bus.log("note", level=30)
    bus.graceful()
    bus.exit()

    channels = [channel for channel, _, _ in relayed if channel != "log"]
    assert channels == ["start", "start_thread", "main", "graceful", "stop", "exit"]
    assert ("start_thread", (3,), {}) in relayed
    assert ("log", ("note", 30), {}) in relayed
    assert order.index("listener:start") < order.index("relay:start")
    assert "custom" not in [channel for channel, _, _ in relayed]


def test_hook_relay_failure_is_collected(bus: Bus, log: LogRecorder) -> None:
    ran = []

    def relay(channel: str, args: tuple, kwargs: dict) -> None:
        if channel == "graceful":
            raise LookupError("hook failed")

    bus.subscribe("graceful", lambda: ran.append("listener") or "out")
    bus.hook_relay = relay
    with pytest.raises(ChannelFailures) as info:
        bus.graceful()
    assert ran == ["listener"]
    assert [type(e) for e in info.value.get_instances()] == [LookupError]
    assert any(m.startswith("Error in 'graceful' hook relay") for m in log.messages)
    bus.hook_relay = None
    assert bus.publish("graceful") == ["out"]


# -- log -----------------------------------------------------------------------------------


def test_log_levels_and_traceback(bus: Bus, log: LogRecorder) -> None:
    bus.log("plain")
    try:
        raise ValueError("boom")
    except ValueError:
        bus.log("failed:", level=40, traceback=True)
    assert log.records[0] == ("plain", 20)
    msg, level = log.records[1]
    assert level == 40
    assert msg.startswith("failed:\nTraceback (most recent call last):")
    assert msg.rstrip().endswith("ValueError: boom")


# -- waiting -------------------------------------------------------------------------------


def test_block_returns_after_exit_from_another_thread(bus: Bus, log: LogRecorder) -> None:
    mains = []
    bus.subscribe("main", lambda: mains.append(1))
    bus.start()

    def exit_later() -> None:
        time.sleep(0.1)
        bus.exit()
        time.sleep(0.2)  # still alive when block() starts joining

    worker = threading.Thread(target=exit_later, name="exit-worker")
    worker.start()
    bus.block(interval=0.01)
    assert not worker.is_alive()
    assert bus.state is states.EXITING
    assert mains
    assert "Waiting for child threads to terminate..." in log.messages
    assert "Waiting for thread exit-worker." in log.messages


def test_block_exits_on_keyboard_interrupt(bus: Bus, log: LogRecorder) -> None:
    def interrupt() -> None:
        raise KeyboardInterrupt

    bus.subscribe("main", interrupt)
    bus.start()
    bus.block(interval=0.01)
    assert bus.state is states.EXITING
    assert "Keyboard Interrupt: shutting down bus" in log.messages


def test_block_exits_and_reraises_system_exit(bus: Bus, log: LogRecorder) -> None:
    def leave() -> None:
        raise SystemExit(3)

    bus.subscribe("main", leave)
    bus.start()
    with pytest.raises(SystemExit):
        bus.block(interval=0.01)
    assert bus.state is states.EXITING
    assert "SystemExit raised: shutting down bus" in log.messages


def test_wait_accepts_several_states_and_publishes(bus: Bus) -> None:
    ticks = []
    bus.subscribe("tick", lambda: ticks.append(1))

    starter = threading.Timer(0.1, bus.start)
    starter.start()
    bus.wait((states.STARTED, states.EXITING), interval=0.01, channel="tick")
    assert bus.state in (states.STARTED, states.EXITING)
    assert ticks
    starter.join()
    bus.wait([states.STARTED], interval=0.01)
    bus.wait(states.STARTED)
    bus.exit()


def test_start_with_callback(bus: Bus) -> None:
    result = []
    ready = threading.Event()

    def callback(a, b, *, c):
        result.append((a, b, c, bus.state))
        ready.set()

    thread = bus.start_with_callback(callback, (1, 2), {"c": 3})
    assert isinstance(thread, threading.Thread)
    assert thread.name.startswith("Bus Callback ")
    assert ready.wait(5)
    thread.join(5)
    assert result == [(1, 2, 3, states.STARTED)]
    bus.exit()


# -- plugins -------------------------------------------------------------------------------


class Recorder(SimplePlugin):
    def __init__(self, bus: Bus) -> None:
        super().__init__(bus)
        self.events: list[str] = []

    def start(self) -> None:
        self.events.append("start")

    def stop(self) -> None:
        self.events.append("stop")

    def custom(self, value: int) -> None:
        self.events.append(f"custom {value}")

    def unrelated(self) -> None:
        self.events.append("unrelated")


def test_simple_plugin_subscribes_methods_named_like_channels(bus: Bus) -> None:
    bus.listeners["custom"] = set()
    plugin = Recorder(bus)
    plugin.subscribe()
    bus.start()
    bus.publish("custom", 7)
    bus.publish("unrelated")
    bus.stop()
    plugin.unsubscribe()
    bus.start()
    bus.exit()
    assert plugin.events == ["start", "custom 7", "stop"]


def test_background_task_ticks_and_cancels() -> None:
    calls = []
    task = BackgroundTask(0.01, calls.append, args=("tick",))
    assert task.daemon
    task.start()
    deadline = time.monotonic() + 5
    while len(calls) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert calls[:3] == ["tick"] * 3
    task.cancel()
    task.join(2)
    assert not task.is_alive()
    count = len(calls)
    time.sleep(0.05)
    assert len(calls) == count


def test_background_task_cancel_is_prompt() -> None:
    task = BackgroundTask(30, lambda: None)
    task.start()
    time.sleep(0.05)
    started = time.monotonic()
    task.cancel()
    task.join(5)
    assert not task.is_alive()
    assert time.monotonic() - started < 2


def test_background_task_error_is_logged_and_ends_task(
    bus: Bus, log: LogRecorder, monkeypatch
) -> None:
    hook_calls = []
    monkeypatch.setattr(threading, "excepthook", hook_calls.append)

    def broken() -> None:
        raise ZeroDivisionError

    task = BackgroundTask(0.01, broken, bus=bus)
    task.start()
    task.join(5)
    assert not task.is_alive()
    assert any(m.startswith("Error in background task thread function") for m in log.messages)
    assert hook_calls and hook_calls[0].exc_type is ZeroDivisionError


def test_perpetual_timer_repeats_until_cancelled() -> None:
    calls = []
    timer = PerpetualTimer(0.01, calls.append, args=("x",), bus=None)
    assert timer.bus is None
    timer.start()
    deadline = time.monotonic() + 5
    while len(calls) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    timer.cancel()
    timer.join(2)
    assert not timer.is_alive()
    assert len(calls) >= 3


def test_monitor_lifecycle(bus: Bus, log: LogRecorder) -> None:
    ticks = []
    order = []
    monitor = Monitor(bus, lambda: ticks.append(1), frequency=0.01, name="ticker")
    monitor.subscribe()
    bus.subscribe("start", lambda: order.append(monitor.thread))

    bus.start()
    assert order == [None]  # priority 70: ordinary start listeners run first
    first_thread = monitor.thread
    assert first_thread is not None and first_thread.name == "ticker"
    assert "Started monitor thread 'ticker'." in log.messages
    deadline = time.monotonic() + 5
    while len(ticks) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(ticks) >= 2

    monitor.start()
    assert "Monitor thread 'ticker' already started." in log.messages

    bus.graceful()
    assert monitor.thread is not None and monitor.thread is not first_thread
    first_thread.join(2)
    assert not first_thread.is_alive()

    second_thread = monitor.thread
    bus.stop()
    assert monitor.thread is None
    assert "Stopped thread 'ticker'." in log.messages
    second_thread.join(2)
    assert not second_thread.is_alive()
    monitor.stop()
    assert "No thread running for ticker." in log.messages
    bus.exit()


def test_monitor_with_zero_frequency_does_nothing(bus: Bus) -> None:
    monitor = Monitor(bus, lambda: None, frequency=0)
    monitor.subscribe()
    bus.start()
    assert monitor.thread is None
    bus.exit()


def test_thread_manager(bus: Bus) -> None:
    manager = ThreadManager(bus)
    manager.subscribe()
    assert {"acquire_thread", "release_thread", "start_thread", "stop_thread"} <= set(bus.listeners)
    started: list[int] = []
    stopped: list[int] = []
    bus.subscribe("start_thread", started.append)
    bus.subscribe("stop_thread", stopped.append)
    bus.start()

    bus.publish("acquire_thread")
    bus.publish("acquire_thread")
    assert started == [1]
    assert manager.threads == {threading.get_ident(): 1}

    release = threading.Event()

    def worker() -> None:
        bus.publish("acquire_thread")
        release.wait(5)

    thread = threading.Thread(target=worker)
    thread.start()
    deadline = time.monotonic() + 5
    while len(started) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert started == [1, 2]

    bus.publish("release_thread")
    assert stopped == [1]
    bus.publish("release_thread")
    assert stopped == [1]

    bus.stop()
    assert stopped == [1, 2]
    assert manager.threads == {}
    release.set()
    thread.join(5)

    bus.start()
    bus.publish("acquire_thread")
    assert started == [1, 2, 1]
    bus.graceful()
    assert stopped == [1, 2, 1]
    bus.exit()


def test_thread_manager_indexes_stay_unique_after_release(bus: Bus) -> None:
    manager = ThreadManager(bus)
    manager.subscribe()
    started: list[int] = []
    bus.subscribe("start_thread", started.append)

    def acquire_and_release() -> None:
        bus.publish("acquire_thread")
        bus.publish("release_thread")

    bus.publish("acquire_thread")  # main thread keeps index 1
    for _ in range(2):
        worker = threading.Thread(target=acquire_and_release)
        worker.start()
        worker.join(5)
    holder = threading.Thread(target=lambda: bus.publish("acquire_thread"))
    holder.start()
    holder.join(5)
    assert started == [1, 2, 3, 4]
    assert sorted(manager.threads.values()) == [1, 4]


# -- re-execution --------------------------------------------------------------------------


def test_true_argv_keeps_original_command_line() -> None:
    argv = Bus._get_true_argv()
    assert argv[0] == sys.executable
    assert argv[1:] == sys.orig_argv[1:]


def test_set_cloexec_marks_descriptors(bus: Bus) -> None:
    read_fd, write_fd = os.pipe()
    try:
        os.set_inheritable(write_fd, True)
        bus._set_cloexec()
        assert not os.get_inheritable(write_fd)
    finally:
        os.close(read_fd)
        os.close(write_fd)


RESTART_SCRIPT = """
import os
import sys
import threading

from cherrypy.kernel.bus import Bus

first_marker = os.path.join({workdir!r}, "first-run")
second_marker = os.path.join({workdir!r}, "second-run")

if os.path.exists(first_marker):
    with open(second_marker, "w") as fh:
        fh.write(repr((sys.argv[1:], __spec__.name if __spec__ else None, os.getcwd())))
    sys.exit(0)

open(first_marker, "w").close()
bus = Bus()
bus.subscribe("log", lambda msg, level: print(msg, flush=True))
bus.start()
os.chdir(os.path.dirname({workdir!r}))  # _do_execv must go back to the start-up directory
threading.Timer(0.1, bus.restart).start()
bus.block(interval=0.01)
print("execv did not happen", flush=True)
"""


def test_restart_reexecutes_script(tmp_path: Path) -> None:
    workdir = str(tmp_path)
    result = run_script(tmp_path, RESTART_SCRIPT.format(workdir=workdir), "--flag", "value")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "execv did not happen" not in result.stdout
    assert "Re-spawning " in result.stdout
    argv, spec_name, cwd = eval((tmp_path / "second-run").read_text())
    assert argv == ["--flag", "value"]
    assert spec_name is None
    assert cwd == workdir


def test_restart_reexecutes_module_run_with_dash_m(tmp_path: Path) -> None:
    workdir = str(tmp_path)
    package = tmp_path / "restartpkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "app.py").write_text(RESTART_SCRIPT.format(workdir=workdir))
    result = subprocess.run(
        [sys.executable, "-m", "restartpkg.app", "arg"],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Re-spawning " in result.stdout and "-m restartpkg.app arg" in result.stdout
    argv, spec_name, cwd = eval((tmp_path / "second-run").read_text())
    assert argv == ["arg"]
    assert spec_name == "restartpkg.app"
    assert cwd == workdir
