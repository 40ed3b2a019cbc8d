"""``cherrypy.engine.signal_handler``: turn operating-system signals into engine events.

Each handled signal becomes a bus channel of the same name (``SIGTERM``, ``SIGHUP``, ...).
When the signal arrives the handler publishes that channel, and the listeners subscribed to it
act.  The default listeners are:

* ``SIGHUP``: restart the process when it runs as a daemon, otherwise exit (a terminal that
  closes sends SIGHUP to the programs attached to it);
* ``SIGTERM``: exit;
* ``SIGUSR1``: graceful (every service reloads).

Nothing is installed until :meth:`SignalHandler.subscribe` is called, which ``quickstart`` and
``cherryd`` do through ``engine.signals.subscribe()``.
"""

from __future__ import annotations

import os
import signal as _signal
import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

from cherrypy_process import daemonizer

__all__ = ["SignalHandler"]

_Handler = Callable[..., Any]


def _signal_names() -> dict[int, str]:
    return {int(sig): sig.name for sig in _signal.Signals}


class SignalHandler:
    """Install Python signal handlers that publish each signal on the bus.

    :attr:`handlers` maps signal names to the listener subscribed to that signal's channel;
    change it before :meth:`subscribe` to handle other signals or to act differently.  Names
    that do not exist on the platform (``SIGHUP`` on Windows) are skipped.

    A signal is left alone when the global config sets it to ``None`` (``engine.SIGHUP = None``,
    ``engine.SIGTERM = None``).  In the ``embedded`` environment, which sets both, no signal is
    handled at all: the hosting program owns the signals.
    """

    signals: dict[int, str] = _signal_names()
    """Signal numbers of this platform, mapped to their names."""

    handlers: dict[str, _Handler]
    """Signal name -> listener subscribed to the channel of that name by :meth:`subscribe`."""

    def __init__(self, bus: Any) -> None:
        """Prepare the default handlers for ``bus``; nothing is installed yet."""
        self.bus = bus
        self.handlers = {
            "SIGHUP": self.handle_SIGHUP,
            "SIGTERM": bus.exit,
            "SIGUSR1": bus.graceful,
        }
        self._previous_handlers: dict[int, Any] = {}
        self._original_pid = os.getpid()
        self._handling = False
        self._pending: list[int] = []

    # -- installing ------------------------------------------------------------------

    def subscribe(self) -> None:
        """Install a handler for every signal of :attr:`handlers` and subscribe its listener.

        Must run in the main thread (Python only delivers signals there).
        """
        if _environment() == "embedded":
            self.bus.log("Not handling signals in the embedded environment.")
            return
        if threading.current_thread() is not threading.main_thread():
            self.bus.log("Signal handlers can only be installed from the main thread.", level=30)
            return
        for name, listener in self.handlers.items():
            if self._disabled(name):
                continue
            try:
                self.set_handler(name, listener)
            except ValueError:
                pass  # not a signal on this platform

    def unsubscribe(self) -> None:
        """Put back the handlers that were installed before :meth:`subscribe`."""
        for signum, previous in list(self._previous_handlers.items()):
            name = self.signals.get(signum, str(signum))
            if previous is None:
                self.bus.log(f"Restoring {name} handler to SIG_DFL.")
                previous = _signal.SIG_DFL
            else:
                self.bus.log(f"Restoring {name} handler {previous!r}.")
            try:
                ours = _signal.signal(signum, previous)
            except ValueError:
                self.bus.log(
                    f"Unable to restore {name} handler {previous!r}.", level=40, traceback=True
                )
                continue
            del self._previous_handlers[signum]
            if ours != self._handle_signal:
                self.bus.log(
                    f"Restored old {name} handler {previous!r}, but our handler was not "
                    "registered.",
                    level=30,
                )
            listener = self.handlers.get(name)
            if listener is not None:
                self.bus.unsubscribe(name, listener)

    def set_handler(self, signal: int | str, listener: _Handler | None = None) -> None:
        """Handle ``signal`` (a number or a name such as ``'SIGTERM'``) by publishing it.

        With ``listener``, also subscribe it to the signal's channel.  Raises ValueError when
        the signal does not exist on this platform.
        """
        signum, name = self._resolve(signal)
        previous = _signal.signal(signum, self._handle_signal)
        if previous != self._handle_signal:
            self._previous_handlers[signum] = previous
        if listener is not None:
            self.bus.log(f"Listening for {name}.")
            self.bus.subscribe(name, listener)

    def _resolve(self, signal: int | str) -> tuple[int, str]:
        if isinstance(signal, (str, bytes)):
            name = signal.decode("ascii") if isinstance(signal, bytes) else signal
            signum = getattr(_signal, name, None)
            if not isinstance(signum, int) or not name.startswith("SIG"):
                raise ValueError(f"No such signal: {signal!r}")
            return int(signum), name
        try:
            return signal, self.signals[signal]
        except KeyError:
            raise ValueError(f"No such signal: {signal!r}")

    @staticmethod
    def _disabled(name: str) -> bool:
        """True when the global config says ``engine.<name> = None``."""
        import cherrypy

        key = f"engine.{name}"
        return key in cherrypy.config and cherrypy.config[key] is None

    # -- receiving -------------------------------------------------------------------

    def _handle_signal(self, signum: int | None = None, frame: FrameType | None = None) -> None:
        """The Python-level signal handler: log the signal and publish its channel.

        A signal that arrives while another one is being handled is handled right after it,
        instead of re-entering the bus in the middle of (say) a graceful reload; once the
        engine is exiting, signals still waiting are dropped.
        """
        if signum is None:
            return
        if self._handling:
            self._pending.append(signum)
            return
        queue = [signum]
        while queue:
            current = queue.pop(0)
            self._handling = True
            try:
                self._publish(self.signals.get(current, str(current)))
            finally:
                self._handling = False
                queue.extend(self._pending)
                self._pending.clear()
            if queue and self.bus.state is self.bus.states.EXITING:
                later = ", ".join(self.signals.get(n, str(n)) for n in queue)
                self.bus.log(f"Ignoring {later}: the engine is already exiting.")
                return

    def _publish(self, name: str) -> None:
        self.bus.log(f"Caught signal {name}.")
        if self._disabled(name):
            self.bus.log(f"{name} is disabled by the engine.{name} config entry; ignored.")
            return
        self.bus.publish(name)

    def _is_daemonized(self) -> bool:
        """True when this process runs as a daemon.

        That is, :class:`~cherrypy_process.daemonizer.Daemonizer` detached it, or it was
        forked since this handler was created and its stdin is not a terminal.
        """
        if daemonizer.daemonized_pid() == os.getpid():
            return True
        if self._original_pid == os.getpid():
            return False
        try:
            return not os.isatty(sys.stdin.fileno())
        except (AttributeError, ValueError, OSError):
            return True

    def handle_SIGHUP(self) -> None:
        """Restart the process when it is daemonized, else exit (CherryPy's rule); with
        ``engine.sighup = "reload"`` a graceful reload (``"restart"``, ``"exit"``: always
        that)."""
        action = getattr(self.bus, "sighup", "default")
        if action == "reload":
            self.bus.log("SIGHUP caught: reloading.")
            self.bus.reload()
        elif action == "restart":
            self.bus.log("SIGHUP caught: restarting.")
            self.bus.restart()
        elif action == "exit":
            self.bus.log("SIGHUP caught: exiting.")
            self.bus.exit()
        elif self._is_daemonized():
            self.bus.log("SIGHUP caught while daemonized. Restarting.")
            self.bus.restart()
        else:
            self.bus.log("SIGHUP caught but not daemonized. Exiting.")
            self.bus.exit()


def _environment() -> Any:
    import cherrypy

    return cherrypy.config.get("environment")
