"""The engine: a process-wide publish/subscribe bus that is also a small state machine.

``cherrypy.engine`` is a :class:`Bus`.  Components subscribe callables to named channels
and the bus publishes to them as the process moves between states::

    STOPPED --start()--> STARTING --> STARTED --stop()--> STOPPING --> STOPPED
    STOPPED --exit()---> EXITING (the process is about to end)

The built-in channels are ``start``, ``stop``, ``graceful``, ``exit``, ``log`` and ``main``
(published by :meth:`Bus.block` at each poll).  Any other name can be used as a channel.
Every listener of a channel runs even when an earlier one fails; the failures are gathered
into one :class:`ChannelFailures` raised at the end.  Only ``KeyboardInterrupt`` and
``SystemExit`` cut a publication short.

Two kernel extensions sit on top of CherryPy's design:

* :attr:`Bus.hook_relay` lets the plugin manager mirror the engine channels onto pluggy's
  ``cherrypy_engine_*`` hooks without the bus knowing about pluggy;
* :attr:`Bus.setup_callbacks` run once, just before the first start, so plugins can load
  lazily and subscribe their listeners (the HTTP server, for example) at the last moment.
"""

from __future__ import annotations

import atexit
import functools
import os
import sys
import threading
import time
import traceback as _traceback
import warnings
from collections.abc import Callable, Iterable
from typing import Any, NoReturn

from cherrypy.kernel import handover as _handover
from cherrypy.kernel.engine_plugins import (
    BackgroundTask,
    Monitor,
    PerpetualTimer,
    SimplePlugin,
    ThreadManager,
)

__all__ = [
    "RELAYED_CHANNELS",
    "SIGHUP_ACTIONS",
    "BackgroundTask",
    "Bus",
    "ChannelFailures",
    "HookRelay",
    "Monitor",
    "PerpetualTimer",
    "SimplePlugin",
    "State",
    "ThreadManager",
    "states",
]

EX_SOFTWARE = 70
"""Exit status used when the engine cannot shut down cleanly (``sysexits.h``)."""

RELAYED_CHANNELS = frozenset(
    {"start", "stop", "graceful", "exit", "main", "start_thread", "stop_thread", "log"}
)
"""Channels that :attr:`Bus.hook_relay` receives after their subscribed listeners."""

SIGHUP_ACTIONS = ("default", "reload", "restart", "exit")
"""The values of ``engine.sighup`` (see :attr:`Bus.sighup`)."""

HookRelay = Callable[[str, tuple, dict], None]
"""Signature of :attr:`Bus.hook_relay`: ``relay(channel, args, kwargs)``."""

_Listener = Callable[..., Any]


class ChannelFailures(Exception):
    """The exceptions raised by listeners during one :meth:`Bus.publish` call.

    It is false while empty, so ``if failures: raise failures`` reads naturally.
    """

    delimiter = "\n"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Create an empty collection."""
        super().__init__(*args, **kwargs)
        self._exceptions: list[BaseException] = []

    def handle_exception(self) -> None:
        """Record the exception currently being handled."""
        error = sys.exc_info()[1]
        if error is not None:
            self._exceptions.append(error)

    def get_instances(self) -> list[BaseException]:
        """Return a copy of the recorded exceptions, oldest first."""
        return list(self._exceptions)

    def __str__(self) -> str:
        """One ``repr`` per recorded exception, one per line."""
        return self.delimiter.join(repr(error) for error in self._exceptions)

    __repr__ = __str__

    def __bool__(self) -> bool:
        """True when at least one exception was recorded."""
        return bool(self._exceptions)


class State:
    """One state of the bus; compared by identity and shown as ``states.NAME``."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        """Name the state."""
        self.name = name

    def __repr__(self) -> str:
        """Show the state the way it is spelled in code."""
        return f"states.{self.name}"


class _States:
    """Namespace holding the five bus states (``states.STARTED`` and so on)."""

    State = State
    STOPPED = State("STOPPED")
    STARTING = State("STARTING")
    STARTED = State("STARTED")
    STOPPING = State("STOPPING")
    EXITING = State("EXITING")


states = _States()
"""The bus states: ``STOPPED``, ``STARTING``, ``STARTED``, ``STOPPING``, ``EXITING``."""


def _default_max_cloexec_files() -> int:
    if os.name != "posix":
        return 0
    try:
        return int(os.sysconf("SC_OPEN_MAX"))
    except (AttributeError, ValueError, OSError):
        return 1024


def _current_dir() -> str | None:
    try:
        return os.getcwd()
    except OSError:
        return None


class Bus:
    """The process bus behind ``cherrypy.engine``: channels, listeners and process state.

    Listeners of a channel run in priority order (lower first, default 50, ties in
    subscription order).  :meth:`start`, :meth:`stop`, :meth:`graceful` and :meth:`exit`
    move the state machine and publish to the channel of the same name; :meth:`block`
    keeps the main thread alive until the bus exits and performs re-execution after
    :meth:`restart`.
    """

    states = states
    state: State = states.STOPPED
    execv: bool = False
    reload_timeout: float = 30.0
    """Seconds :meth:`reload` waits for the new process to serve before giving up on it."""
    max_cloexec_files: int = _default_max_cloexec_files()

    hook_relay: HookRelay | None = None
    """Called as ``relay(channel, args, kwargs)`` after the listeners of each channel in
    :data:`RELAYED_CHANNELS`; set by the plugin manager.  Its failures are collected like
    a listener's."""

    signal_handler: Any = None
    """The signal-handling plugin, once a plugin provides one."""
    autoreload: Any = None
    """The autoreloader plugin, once a plugin provides one."""
    timeout_monitor: Any = None
    """The response-timeout monitor, once a plugin provides one."""
    thread_manager: Any = None
    """The :class:`ThreadManager`, once the facade creates one."""

    def __init__(self) -> None:
        """Create a stopped bus with the six built-in channels and no listeners."""
        self.execv = False
        self._sighup = "default"
        self._reloading = False
        self.state = states.STOPPED
        self.listeners: dict[Any, set[_Listener]] = {
            channel: set() for channel in ("start", "stop", "exit", "graceful", "log", "main")
        }
        self._priorities: dict[tuple[Any, _Listener], int] = {}
        self._order: dict[tuple[Any, _Listener], int] = {}
        self._sequence = 0
        self.hook_relay = None
        self.setup_callbacks: list[Callable[[Bus], None]] = []
        """Run once each, in order, at the beginning of the first :meth:`start`."""
        self._setup_done = 0
        self._setup_lock = threading.RLock()
        self._atexit_registered = False
        self.startup_cwd: str | None = _current_dir()
        """The working directory when the bus was created (a re-exec starts from it)."""

    # -- subscription ------------------------------------------------------------------

    def subscribe(
        self, channel: str, callback: _Listener | None = None, priority: int | None = None
    ) -> Any:
        """Add ``callback`` to ``channel`` and return it.

        Without ``callback``, return a decorator that subscribes the decorated function.
        ``priority`` defaults to the callback's ``priority`` attribute, else 50; lower
        values run first.  Subscribing again only updates the priority.
        """
        if callback is None:
            return functools.partial(self.subscribe, channel, priority=priority)
        self.listeners.setdefault(channel, set()).add(callback)
        if priority is None:
            priority = getattr(callback, "priority", 50)
        key = (channel, callback)
        self._priorities[key] = priority  # type: ignore[assignment]
        if key not in self._order:
            self._sequence += 1
            self._order[key] = self._sequence
        return callback

    def unsubscribe(self, channel: str, callback: _Listener) -> None:
        """Remove ``callback`` from ``channel``; do nothing if it is not subscribed."""
        listeners = self.listeners.get(channel)
        if listeners and callback in listeners:
            listeners.discard(callback)
            self._priorities.pop((channel, callback), None)
            self._order.pop((channel, callback), None)

    def _ordered(self, channel: Any, listeners: Iterable[_Listener]) -> list[_Listener]:
        priorities, order = self._priorities, self._order
        last = sys.maxsize
        return sorted(
            listeners,
            key=lambda cb: (priorities.get((channel, cb), 50), order.get((channel, cb), last)),
        )

    # -- publication -------------------------------------------------------------------

    def publish(self, channel: Any, *args: Any, **kwargs: Any) -> list[Any]:
        """Call every listener of ``channel`` with the arguments; return their results.

        All listeners run.  Exceptions are logged (except on ``log`` itself) and raised
        together as :class:`ChannelFailures` once everyone has run; ``KeyboardInterrupt``
        and ``SystemExit`` propagate at once.  For relayed channels, :attr:`hook_relay`
        runs after the listeners.
        """
        listeners = self.listeners.get(channel)
        relay = self.hook_relay if channel in RELAYED_CHANNELS else None
        if not listeners and relay is None:
            return []

        steps: list[tuple[Callable[..., Any], tuple, dict, bool]] = [
            (listener, args, kwargs, True) for listener in self._ordered(channel, listeners or ())
        ]
        if relay is not None:
            steps.append((relay, (channel, args, kwargs), {}, False))

        failures = ChannelFailures()
        output: list[Any] = []
        for target, call_args, call_kwargs, is_listener in steps:
            try:
                result = target(*call_args, **call_kwargs)
            except KeyboardInterrupt:
                raise
            except SystemExit as stop:
                # Earlier failures must not end in a successful exit status.
                if failures and stop.code in (None, 0):
                    stop.code = 1
                raise
            except Exception:
                failures.handle_exception()
                if channel != "log":  # a failing logger would only fail again
                    kind = "listener" if is_listener else "hook relay"
                    self.log(f"Error in {channel!r} {kind} {target!r}", level=40, traceback=True)
            else:
                if is_listener:
                    output.append(result)
        if failures:
            raise failures
        return output

    def log(self, msg: str = "", level: int = 20, traceback: bool = False) -> None:
        """Publish ``(msg, level)`` to the ``log`` channel.

        With ``traceback=True`` the exception currently being handled is formatted and
        appended to the message.
        """
        if traceback:
            msg += "\n" + "".join(_traceback.format_exception(*sys.exc_info()))
        self.publish("log", msg, level)

    # -- state machine -----------------------------------------------------------------

    def _run_setup_callbacks(self) -> None:
        with self._setup_lock:
            while self._setup_done < len(self.setup_callbacks):
                callback = self.setup_callbacks[self._setup_done]
                self._setup_done += 1
                try:
                    callback(self)
                except Exception:
                    self.log(
                        f"Error in engine setup callback {callback!r}", level=40, traceback=True
                    )
                    raise

    def start(self) -> None:
        """Run pending setup callbacks, then publish ``start`` and enter STARTED.

        If a setup callback fails the error propagates and the bus stays STOPPED.  If a
        ``start`` listener fails the bus logs it, exits (which ends the process, as the
        bus was still STARTING) and re-raises.
        """
        self._run_setup_callbacks()
        if not self._atexit_registered:
            atexit.register(self._clean_exit)
            self._atexit_registered = True

        _handover.set_parking(False)  # a restart that did not re-execute (test suites)
        self.state = states.STARTING
        self.log("Bus STARTING")
        try:
            self.publish("start")
            self.state = states.STARTED
            self.log("Bus STARTED")
            _handover.notify_ready()
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception:
            self.log("Shutting down due to error in start listener:", level=40, traceback=True)
            try:
                self.exit()
            except Exception:
                pass  # already logged by publish()
            raise

    def stop(self) -> None:
        """Publish ``stop`` and enter STOPPED."""
        self.state = states.STOPPING
        self.log("Bus STOPPING")
        self.publish("stop")
        self.state = states.STOPPED
        self.log("Bus STOPPED")

    def graceful(self) -> None:
        """Ask every service to reload by publishing ``graceful``."""
        self.log("Bus graceful")
        self.publish("graceful")

    def exit(self) -> None:
        """Stop, then publish ``exit`` and enter EXITING.

        Since this often runs from a signal handler, another thread or ``atexit``, an error
        here cannot be reported to a caller: the process ends at once with status 70.  It
        also ends that way when the bus was still STARTING, so that a stuck start listener
        cannot keep the process alive.
        """
        previous = self.state
        try:
            self.stop()
            self.state = states.EXITING
            self.log("Bus EXITING")
            self.publish("exit")
            self.log("Bus EXITED")
        except Exception:
            self._hard_exit(EX_SOFTWARE)
        if previous is states.STARTING:
            self._hard_exit(EX_SOFTWARE)

    def restart(self) -> None:
        """Exit, and have :meth:`block` (in the main thread) re-execute the process.

        The listening sockets stay open across the re-execution: connections that arrive
        meanwhile wait in the kernel's accept queue and are served by the new image.
        """
        self.execv = True
        _handover.set_parking(True)
        self.exit()

    @property
    def sighup(self) -> str:
        """What SIGHUP does (``engine.sighup``): ``"default"`` is CherryPy's rule (restart a
        daemon, exit otherwise); ``"reload"`` a graceful :meth:`reload`; ``"restart"``
        and ``"exit"`` always that."""
        return self._sighup

    @sighup.setter
    def sighup(self, value: str) -> None:
        if value not in SIGHUP_ACTIONS:
            raise ValueError(
                f"engine.sighup must be one of {', '.join(map(repr, SIGHUP_ACTIONS))}, "
                f"not {value!r}"
            )
        self._sighup = value

    def reload(self) -> None:
        """Graceful reload: a new process of the same command line takes over.

        The new process is started on this process's listening sockets; this one keeps
        serving until the new one's engine is STARTED, then stops (requests in flight
        finish within ``server.shutdown_timeout``, idle keep-alive connections are closed)
        and exits with status 0.  If the new process fails to start or is not ready within
        :attr:`reload_timeout` seconds it is killed and this one serves on.  Returns at
        once: the work is done in a background thread.
        """
        if self._reloading:
            self.log("Reload already in progress; ignored.")
            return
        if self.state is not states.STARTED:
            self.log(f"Cannot reload while the engine is {self.state!r}; ignored.", 30)
            return
        if os.name != "posix":
            self.log("A graceful reload needs POSIX descriptor passing; ignored.", 30)
            return
        self._reloading = True
        thread = threading.Thread(target=self._reload, name="Bus reload", daemon=True)
        thread.start()

    def _reload(self) -> None:
        try:
            argv = self._respawn_argv()
            self.log("Reloading: starting " + " ".join(argv))
            self._extend_pythonpath(os.environ)
            _handover.sd_notify("RELOADING=1")
            try:
                successor = _handover.spawn_successor(argv, cwd=self.startup_cwd)
            except OSError as exc:
                self.log(f"Reload failed: could not start the new process: {exc}", 40)
                _handover.sd_notify("READY=1")
                return
            problem = successor.wait_ready(float(self.reload_timeout))
            if problem is not None:
                successor.kill()
                self.log(f"Reload failed: {problem}; this process serves on.", 40)
                _handover.sd_notify("READY=1")
                return
            _handover.mark_successor_serving()
            self.log(f"Reload: process {successor.pid} serves; this one stops.")
            self.exit()
        except Exception:
            self.log("Reload failed", 40, traceback=True)
        finally:
            self._reloading = False

    @staticmethod
    def _hard_exit(code: int) -> NoReturn:
        """End the process now, skipping cleanup (tests replace this on the instance)."""
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        os._exit(code)

    def _clean_exit(self) -> None:
        """At interpreter exit, shut down a bus that was left running, with a warning."""
        if self.state is not states.EXITING:
            warnings.warn(
                f"The main thread is exiting, but the Bus is in the {self.state!r} state; "
                "shutting it down automatically now. You must either call bus.block() "
                "after start(), or call bus.exit() before the main thread exits.",
                RuntimeWarning,
                stacklevel=1,
            )
            self.exit()

    # -- waiting -----------------------------------------------------------------------

    def wait(self, state: Any, interval: float = 0.1, channel: str | None = None) -> None:
        """Sleep until the bus is in ``state`` (a state or a collection of states).

        After each ``interval`` seconds of sleep, ``channel`` (if any) is published.
        """
        if isinstance(state, Iterable) and not isinstance(state, (str, bytes)):
            wanted = set(state)
        else:
            wanted = {state}
        while self.state not in wanted:
            time.sleep(interval)
            self.publish(channel)

    def block(self, interval: float = 0.1) -> None:
        """Keep the main thread here until the bus exits, then tidy up.

        Publishes ``main`` every ``interval`` seconds while waiting.  ``KeyboardInterrupt``
        exits the bus; ``SystemExit`` exits it and propagates.  Afterwards every other
        non-daemon thread is joined, and the process is re-executed if :meth:`restart`
        asked for it.
        """
        try:
            self.wait(states.EXITING, interval=interval, channel="main")
        except (KeyboardInterrupt, OSError):
            # OSError: sleep() may be interrupted (EINTR) by the same Ctrl-C.
            self.log("Keyboard Interrupt: shutting down bus")
            self.exit()
        except SystemExit:
            self.log("SystemExit raised: shutting down bus")
            self.exit()
            raise

        self.log("Waiting for child threads to terminate...")
        current, main = threading.current_thread(), threading.main_thread()
        for thread in threading.enumerate():
            if thread is current or thread is main or thread.daemon:
                continue
            self.log(f"Waiting for thread {thread.name}.")
            thread.join()

        if self.execv:
            self._do_execv()

    def start_with_callback(
        self,
        func: Callable[..., Any],
        args: tuple | None = None,
        kwargs: dict[str, Any] | None = None,
    ) -> threading.Thread:
        """Start a thread that calls ``func`` once the bus is STARTED, then start the bus.

        Returns the thread.
        """
        call_args = args or ()
        call_kwargs = kwargs or {}

        def run_when_started() -> None:
            self.wait(states.STARTED)
            func(*call_args, **call_kwargs)

        thread = threading.Thread(target=run_when_started)
        thread.name = f"Bus Callback {thread.name}"
        thread.start()
        self.start()
        return thread

    # -- re-execution ------------------------------------------------------------------

    @staticmethod
    def _get_interpreter_argv() -> list[str]:
        """Interpreter options (``-O``, ``-X ...``) to repeat; none for frozen programs."""
        if getattr(sys, "frozen", False):
            return []
        import subprocess  # only when re-executing: not worth its import at start-up

        return list(subprocess._args_from_interpreter_flags())  # type: ignore[attr-defined]

    @staticmethod
    def _get_true_argv() -> list[str]:
        """The full original command line (``sys.orig_argv``), with ``sys.executable`` first.

        This keeps ``-m package.module`` and ``-c code`` intact.  Raises
        ``NotImplementedError`` when the interpreter does not record it.
        """
        original = getattr(sys, "orig_argv", None)
        if not original or not sys.executable:
            raise NotImplementedError("the original command line is not available")
        return [sys.executable, *original[1:]]

    @classmethod
    def _respawn_argv(cls) -> list[str]:
        try:
            return cls._get_true_argv()
        except NotImplementedError:
            pass
        argv = list(sys.argv)
        main_spec = getattr(sys.modules.get("__main__"), "__spec__", None)
        if main_spec is not None and main_spec.name:
            module = main_spec.name.removesuffix(".__main__")
            argv[:1] = ["-m", module]
        return [sys.executable, *cls._get_interpreter_argv(), *argv]

    @staticmethod
    def _extend_pythonpath(env: dict[str, str] | os._Environ[str]) -> None:
        """Put ``.`` on PYTHONPATH when ``sys.path[0]`` is the (implicit) current dir.

        The re-executed interpreter may not add the working directory by itself.
        """
        prefix = "." + os.pathsep
        existing = env.get("PYTHONPATH", "")
        if sys.path and sys.path[0] == "" and not existing.startswith(prefix):
            env["PYTHONPATH"] = prefix + existing

    def _open_descriptors(self) -> Iterable[int]:
        limit = self.max_cloexec_files
        try:
            found = [int(name) for name in os.listdir("/proc/self/fd")]
        except (OSError, ValueError):
            return range(3, limit)
        return sorted(fd for fd in found if 3 <= fd < limit)

    def _set_cloexec(self) -> None:
        """Mark every open descriptor above stderr close-on-exec.

        :attr:`max_cloexec_files` bounds the descriptors considered; 0 disables this.
        """
        for fd in self._open_descriptors():
            try:
                os.set_inheritable(fd, False)
            except OSError:
                continue

    def _do_execv(self) -> None:
        """Replace the current process with a fresh run of the same command line.

        Must run in the main thread (some platforms refuse ``execv`` elsewhere).
        """
        args = self._respawn_argv()
        self.log("Re-spawning " + " ".join(args))
        self._extend_pythonpath(os.environ)
        if sys.platform == "win32":
            args = [f'"{arg}"' for arg in args]
        if self.startup_cwd is not None:
            os.chdir(self.startup_cwd)
        if self.max_cloexec_files:
            self._set_cloexec()
        parked = _handover.parked_descriptors()
        for fd, _address in parked:
            os.set_inheritable(fd, True)  # the listening sockets go on serving
        if parked:
            os.environ.update(_handover.handover_environ(parked))
        os.execv(sys.executable, args)
