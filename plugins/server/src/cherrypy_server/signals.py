"""Stop the engine cleanly on SIGTERM when cherrypy-process is not installed.

cherrypy-process provides ``engine.signal_handler`` (its ``SignalHandler`` also restarts a
daemon on SIGHUP).  Without it, a server started by ``quickstart``, ``python -m cherrypy
serve`` or a program that calls ``cherrypy.engine.signals.subscribe()`` would die on SIGTERM
without stopping the engine.  So the server plugin, after every other plugin set the engine up,
fills an empty ``engine.signal_handler`` with a :class:`StopSignalHandler`:

* ``SIGTERM`` and ``SIGHUP``: ``engine.exit()`` (the server stops, requests in flight finish,
  the process exits with status 0); with ``engine.sighup = "reload"`` SIGHUP is a graceful
  reload (``engine.reload()``) instead;
* ``SIGUSR1``: ``engine.graceful()``.

``SIGINT`` (Ctrl-C) needs no handler: Python raises ``KeyboardInterrupt`` in the main thread,
and ``engine.block()`` turns it into ``engine.exit()``.

As with cherrypy-process, nothing is installed until :meth:`StopSignalHandler.subscribe` is
called; ``engine.SIGTERM = None`` (or ``engine.SIGHUP = None``) in the global config leaves that
signal alone, and the ``embedded`` environment, where the hosting program owns the signals,
handles none.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

from cherrypy.plugin import BusView

__all__ = ["StopSignalHandler"]


class StopSignalHandler:
    """Publish SIGTERM, SIGHUP and SIGUSR1 on the bus channels of the same names.

    :attr:`handlers` maps each signal name to the listener :meth:`subscribe` puts on that
    channel; other listeners may subscribe to the channels too.
    """

    def __init__(self, bus: BusView) -> None:
        """Prepare the handlers for ``bus``; no signal is handled until :meth:`subscribe`."""
        self.bus = bus
        self.handlers: dict[str, Callable[[], Any]] = {
            "SIGTERM": bus.exit,
            "SIGHUP": self.handle_SIGHUP,
            "SIGUSR1": bus.graceful,
        }
        self._previous: dict[int, Any] = {}
        self._pending: list[str] = []
        self._busy = False

    def subscribe(self) -> None:
        """Install the signal handlers and subscribe the listeners (from the main thread)."""
        refusal = _refusal()
        if refusal is not None:
            self.bus.log(*refusal)
            return
        for name, listener in self.handlers.items():
            signum = getattr(signal, name, None)
            if signum is None or _switched_off(name):
                continue  # not a signal of this platform, or left to someone else
            previous = signal.signal(signum, self._handle)
            self._previous.setdefault(signum, previous)
            self.bus.log(f"Listening for {name}.")
            self.bus.subscribe(name, listener)

    def unsubscribe(self) -> None:
        """Put back the signal handlers found by :meth:`subscribe`; drop the listeners."""
        for signum, previous in list(self._previous.items()):
            name = signal.Signals(signum).name
            signal.signal(signum, signal.SIG_DFL if previous is None else previous)
            listener = self.handlers.get(name)
            if listener is not None:
                self.bus.unsubscribe(name, listener)
            del self._previous[signum]

    def handle_SIGHUP(self) -> None:
        """Exit, or what ``engine.sighup`` says (``"reload"``, ``"restart"``, ``"exit"``)."""
        action = getattr(self.bus, "sighup", "default")
        if action == "reload":
            self.bus.reload()
        elif action == "restart":
            self.bus.restart()
        else:
            self.bus.exit()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        """The Python signal handler: publish the signal's channel.

        A signal that arrives while another is being handled (SIGTERM during a graceful
        reload) is handled right after it; once the engine is exiting, it is dropped.
        """
        self._pending.append(signal.Signals(signum).name)
        if self._busy:
            return
        self._busy = True
        try:
            while self._pending:
                self._publish(self._pending.pop(0))
        finally:
            self._busy = False

    def _publish(self, name: str) -> None:
        if self.bus.state is self.bus.states.EXITING:
            self.bus.log(f"Ignoring {name}: the engine is already exiting.")
            return
        self.bus.log(f"Caught signal {name}.")
        if _switched_off(name):
            self.bus.log(f"{name} is switched off by the engine.{name} config entry; ignored.")
            return
        self.bus.publish(name)


def _refusal() -> tuple[str, int] | None:
    """Why no handler may be installed now, with the log level; None when they may."""
    import cherrypy

    if cherrypy.config.get("environment") == "embedded":
        return "Not handling signals in the embedded environment.", 20
    if threading.current_thread() is not threading.main_thread():
        return "Signal handlers can only be installed from the main thread.", 30
    return None


def _switched_off(name: str) -> bool:
    """Whether the global config says ``engine.<name> = None``."""
    import cherrypy

    key = f"engine.{name}"
    return key in cherrypy.config and cherrypy.config[key] is None
