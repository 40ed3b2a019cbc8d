"""Generic engine plugins: the building blocks that ride on :class:`~cherrypy.kernel.bus.Bus`.

These are the process-independent pieces of CherryPy's ``cherrypy.process.plugins``:

* :class:`SimplePlugin` subscribes its methods named after bus channels;
* :class:`ThreadManager` turns ``acquire_thread`` / ``release_thread`` into
  ``start_thread`` / ``stop_thread`` events, once per worker thread;
* :class:`PerpetualTimer` and :class:`BackgroundTask` run a function repeatedly in a thread;
* :class:`Monitor` runs a callback in a :class:`BackgroundTask` while the engine is started.

OS-level plugins (signals, daemonizing, PID files, privileges, autoreload) live in the
``cherrypy-process`` distribution and build on these classes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cherrypy.kernel.views import BusView

__all__ = ["BackgroundTask", "Monitor", "PerpetualTimer", "SimplePlugin", "ThreadManager"]


class SimplePlugin:
    """Base class for engine plugins whose methods are named after bus channels.

    ``subscribe()`` registers every method whose name matches a channel the bus knows
    (``start``, ``stop``, ``graceful``, ``exit``, ``log``, ``main`` and any channel added
    since), and ``unsubscribe()`` removes them again.  A method may carry a ``priority``
    attribute to change its place in the channel (lower runs first, default 50).
    """

    bus: BusView
    """The bus (usually ``cherrypy.engine``) this plugin attaches to."""

    def __init__(self, bus: BusView) -> None:
        """Remember the bus; nothing is subscribed until :meth:`subscribe` is called."""
        self.bus = bus

    def _channel_methods(self) -> list[tuple[str, Callable[..., Any]]]:
        found = []
        for channel in list(self.bus.listeners):
            method = getattr(self, channel, None)
            if method is not None and callable(method):
                found.append((channel, method))
        return found

    def subscribe(self) -> None:
        """Subscribe each method named like a known channel to that channel."""
        for channel, method in self._channel_methods():
            self.bus.subscribe(channel, method)

    def unsubscribe(self) -> None:
        """Unsubscribe each method previously subscribed by :meth:`subscribe`."""
        for channel, method in self._channel_methods():
            self.bus.unsubscribe(channel, method)


class ThreadManager(SimplePlugin):
    """Track request threads and publish ``start_thread`` / ``stop_thread`` for them.

    A server that controls its worker threads publishes ``acquire_thread`` when a thread
    begins serving and ``release_thread`` when it ends.  The first ``acquire_thread`` from a
    thread publishes ``start_thread`` with the thread's index (1, 2, ...; never shared by two
    live threads); later ones from the same thread do nothing.  When the thread is released,
    or when the engine stops or reloads, ``stop_thread`` is published with that index.

    When threads belong to someone else (a foreign WSGI server), publish ``acquire_thread``
    at the start of every request and never ``release_thread``: the engine's ``stop`` will
    publish ``stop_thread`` for every thread seen.
    """

    threads: dict[int, int]
    """Map of thread ident to the index handed to ``start_thread`` listeners."""

    def __init__(self, bus: BusView) -> None:
        """Create the manager and declare its four channels on ``bus``."""
        self.threads = {}
        self._lock = threading.Lock()
        self._next_index = 0
        super().__init__(bus)
        for channel in ("acquire_thread", "start_thread", "release_thread", "stop_thread"):
            bus.listeners.setdefault(channel, set())

    def acquire_thread(self) -> None:
        """Publish ``start_thread`` the first time the calling thread is seen."""
        ident = threading.get_ident()
        with self._lock:
            if ident in self.threads:
                return
            # A running count rather than the ident, which the OS may reuse.
            self._next_index += 1
            index = self._next_index
            self.threads[ident] = index
        self.bus.publish("start_thread", index)

    def release_thread(self) -> None:
        """Forget the calling thread and publish ``stop_thread`` for it."""
        with self._lock:
            index = self.threads.pop(threading.get_ident(), None)
        if index is not None:
            self.bus.publish("stop_thread", index)

    def stop(self) -> None:
        """Publish ``stop_thread`` for every tracked thread, then forget them all."""
        with self._lock:
            indexes = list(self.threads.values())
            self.threads.clear()
            self._next_index = 0
        for index in indexes:
            self.bus.publish("stop_thread", index)

    graceful = stop


class PerpetualTimer(threading.Timer):
    """A :class:`threading.Timer` that fires every ``interval`` seconds until cancelled.

    Accepts an extra ``bus`` keyword argument; when given, an exception from the function
    is logged on the bus before it ends the timer thread.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Take the usual :class:`threading.Timer` arguments plus an optional ``bus``."""
        self.bus: BusView | None = kwargs.pop("bus", None)
        super().__init__(*args, **kwargs)

    def run(self) -> None:
        """Call the function after each interval until :meth:`cancel` is called."""
        while not self.finished.wait(self.interval):
            try:
                self.function(*self.args, **self.kwargs)
            except Exception:
                if self.bus is not None:
                    self.bus.log(
                        f"Error in perpetual timer thread function {self.function!r}.",
                        level=40,
                        traceback=True,
                    )
                # The first failure ends the timer so that a broken function cannot flood logs.
                raise


class BackgroundTask(threading.Thread):
    """A daemon thread that calls ``function(*args, **kwargs)`` every ``interval`` seconds.

    :meth:`cancel` stops it: the thread finishes its current call (if any) and exits without
    waiting out the rest of the interval.  An exception from the function is logged on
    ``bus`` (when given) and ends the thread.
    """

    def __init__(
        self,
        interval: float,
        function: Callable[..., Any],
        args: Sequence[Any] = (),
        kwargs: Mapping[str, Any] | None = None,
        bus: BusView | None = None,
    ) -> None:
        """Prepare the task; call :meth:`start` to begin running it."""
        super().__init__()
        self.interval = interval
        self.function = function
        self.args = args
        self.kwargs = {} if kwargs is None else kwargs
        self.running = False
        self.bus = bus
        self.daemon = True
        self._cancelled = threading.Event()

    def cancel(self) -> None:
        """Ask the task to stop; it exits at its next wake-up, which is immediate."""
        self.running = False
        self._cancelled.set()

    def run(self) -> None:
        """Sleep ``interval``, call the function, repeat until cancelled."""
        self.running = True
        while self.running:
            self._cancelled.wait(self.interval)
            if not self.running:
                return
            try:
                self.function(*self.args, **self.kwargs)
            except Exception:
                if self.bus is not None:
                    self.bus.log(
                        f"Error in background task thread function {self.function!r}.",
                        level=40,
                        traceback=True,
                    )
                raise


class Monitor(SimplePlugin):
    """Run ``callback`` every ``frequency`` seconds in a background thread while started.

    The thread starts on the engine's ``start`` channel (at priority 70, after the usual
    listeners), stops on ``stop`` and is replaced on ``graceful``.  A ``frequency`` of 0 or
    less disables the monitor.
    """

    callback: Callable[[], Any]
    """The function called at each tick."""

    frequency: float = 60
    """Seconds between two calls of :attr:`callback`."""

    thread: BackgroundTask | None = None
    """The running :class:`BackgroundTask`, or None while stopped."""

    def __init__(
        self,
        bus: BusView,
        callback: Callable[[], Any],
        frequency: float = 60,
        name: str | None = None,
    ) -> None:
        """Configure the monitor; call :meth:`subscribe` to attach it to the engine."""
        super().__init__(bus)
        self.callback = callback
        self.frequency = frequency
        self.thread = None
        self.name = name

    def _thread_name(self) -> str:
        return self.name or type(self).__name__

    def start(self) -> None:
        """Start the background thread (once) if the frequency is positive."""
        if self.frequency <= 0:
            return
        name = self._thread_name()
        if self.thread is not None:
            self.bus.log(f"Monitor thread {name!r} already started.")
            return
        self.thread = BackgroundTask(self.frequency, self.callback, bus=self.bus)
        self.thread.name = name
        self.thread.start()
        self.bus.log(f"Started monitor thread {name!r}.")

    start.priority = 70  # type: ignore[attr-defined]

    def stop(self) -> None:
        """Cancel the background thread, joining it unless it is a daemon."""
        thread = self.thread
        if thread is None:
            self.bus.log(f"No thread running for {self._thread_name()}.")
            return
        if thread is not threading.current_thread():
            name = thread.name
            thread.cancel()
            if not thread.daemon:
                self.bus.log(f"Joining {name!r}")
                thread.join()
            self.bus.log(f"Stopped thread {name!r}.")
        self.thread = None

    def graceful(self) -> None:
        """Replace the background thread with a fresh one."""
        self.stop()
        self.start()


def __getattr__(name: str) -> Any:
    """Resolve process-management plugins (SignalHandler, Autoreloader, ...) from cherrypy-process."""
    from cherrypy.kernel.compat import module_getattr

    return module_getattr("cherrypy.process.plugins", name)
