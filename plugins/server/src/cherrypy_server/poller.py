"""Readiness polling for the selector thread, with one-shot arming that workers may renew.

A connection is armed for one event at a time.  When the event fires the selector thread
handles it, and the connection stays silent until someone arms it again: the selector
thread itself (waiting for more of a request head) or the worker that finished serving it
(waiting for the next keep-alive request).  On Linux this is ``epoll`` with
``EPOLLONESHOT``, where re-arming from a worker thread is a single system call; elsewhere a
:mod:`selectors` selector emulates it, with re-arm requests passed to the selector thread
through a wake-up socket.
"""

from __future__ import annotations

import select
import selectors
import socket
import threading
from collections import deque
from typing import Any

__all__ = ["EpollPoller", "Poller", "SelectorPoller", "make_poller"]


class Poller:
    """The interface both pollers implement."""

    def __init__(self) -> None:
        """Create the wake-up socket pair used by :meth:`wake`."""
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self.objects: dict[int, Any] = {}

    def add(self, fd: int, obj: Any, oneshot: bool = True, write: bool = False) -> None:
        """Start watching ``fd`` (armed); ``obj`` is returned with its events."""
        raise NotImplementedError

    def rearm(self, fd: int, write: bool = False) -> None:
        """Arm a one-shot ``fd`` again; safe to call from any thread."""
        raise NotImplementedError

    def arm(self, fd: int, read: bool, write: bool) -> None:
        """Arm a one-shot ``fd`` for reading, writing, both or neither (selector thread)."""
        raise NotImplementedError

    def remove(self, fd: int) -> None:
        """Stop watching ``fd`` (call before closing it); safe from any thread."""
        raise NotImplementedError

    def forget(self, fd: int) -> None:
        """Stop watching ``fd``, which the caller closes right after (and never duplicated):
        :meth:`remove` unless closing is enough for the poller to stop watching it."""
        self.remove(fd)

    def poll(self, timeout: float) -> list[tuple[Any, int]]:
        """Wait up to ``timeout`` seconds; return ``(obj, events)`` pairs that are ready."""
        raise NotImplementedError

    def wake(self) -> None:
        """Make a pending or the next :meth:`poll` return at once."""
        try:
            self._wake_w.send(b"\0")
        except OSError:
            pass

    def _drain_wake(self) -> None:
        try:
            while self._wake_r.recv(4096):
                pass
        except OSError:
            pass

    def close(self) -> None:
        """Release the poller's own resources."""
        self._wake_r.close()
        self._wake_w.close()


_READ_ONCE = getattr(select, "EPOLLIN", 1) | getattr(select, "EPOLLONESHOT", 1 << 30)
_WRITE_ONCE = getattr(select, "EPOLLOUT", 4) | getattr(select, "EPOLLONESHOT", 1 << 30)
"""The masks :meth:`EpollPoller.rearm` arms a connection with (epoll exists on Linux only)."""


class EpollPoller(Poller):
    """``epoll`` with ``EPOLLONESHOT`` (Linux)."""

    def __init__(self) -> None:
        """Create the epoll object and register the wake-up socket."""
        super().__init__()
        self._epoll = select.epoll()
        self._epoll.register(self._wake_r.fileno(), select.EPOLLIN)
        self._wake_fd = self._wake_r.fileno()

    def add(self, fd: int, obj: Any, oneshot: bool = True, write: bool = False) -> None:
        """Start watching ``fd``."""
        self.objects[fd] = obj
        mask = select.EPOLLOUT if write else select.EPOLLIN
        if oneshot:
            mask |= select.EPOLLONESHOT
        self._epoll.register(fd, mask)

    def rearm(self, fd: int, write: bool = False) -> None:
        """Arm ``fd`` again."""
        mask = _WRITE_ONCE if write else _READ_ONCE
        try:
            self._epoll.modify(fd, mask)
        except (OSError, ValueError):
            pass

    def arm(self, fd: int, read: bool, write: bool) -> None:
        """Arm ``fd`` for the events asked (none: disarmed)."""
        mask = select.EPOLLONESHOT
        if read:
            mask |= select.EPOLLIN
        if write:
            mask |= select.EPOLLOUT
        try:
            self._epoll.modify(fd, mask)
        except (OSError, ValueError):
            pass

    def remove(self, fd: int) -> None:
        """Stop watching ``fd``."""
        self.objects.pop(fd, None)
        try:
            self._epoll.unregister(fd)
        except (OSError, ValueError):
            pass

    def forget(self, fd: int) -> None:
        """Stop watching ``fd`` about to be closed: closing its only descriptor takes it out
        of the epoll set, so the ``epoll_ctl`` of :meth:`remove` is not needed."""
        self.objects.pop(fd, None)

    def poll(self, timeout: float) -> list[tuple[Any, int]]:
        """Wait for events."""
        try:
            events = self._epoll.poll(timeout)
        except InterruptedError:
            return []
        objects = self.objects
        ready = []
        for fd, mask in events:
            if fd == self._wake_fd:
                self._drain_wake()
                continue
            obj = objects.get(fd)
            if obj is not None:
                ready.append((obj, mask))
        return ready

    def close(self) -> None:
        """Close the epoll object."""
        self._epoll.close()
        super().close()


class SelectorPoller(Poller):
    """Portable emulation on :mod:`selectors`; re-arming goes through the selector thread."""

    def __init__(self) -> None:
        """Create the selector and register the wake-up socket."""
        super().__init__()
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._wake_r, selectors.EVENT_READ, None)
        self._oneshot: set[int] = set()
        self._pending: deque[tuple[int, bool]] = deque()
        self._removed: deque[int] = deque()
        self._thread: int | None = None

    def _in_poll_thread(self) -> bool:
        return self._thread is None or self._thread == threading.get_ident()

    def add(self, fd: int, obj: Any, oneshot: bool = True, write: bool = False) -> None:
        """Start watching ``fd`` (from the selector thread)."""
        self.objects[fd] = obj
        if oneshot:
            self._oneshot.add(fd)
        self._selector.register(fd, selectors.EVENT_WRITE if write else selectors.EVENT_READ)

    def rearm(self, fd: int, write: bool = False) -> None:
        """Arm ``fd`` again; from another thread the request is queued for the poll loop."""
        if self._in_poll_thread():
            self._register(fd, write)
        else:
            self._pending.append((fd, write))
            self.wake()

    def _register(self, fd: int, write: bool) -> None:
        if fd not in self.objects:
            return
        events = selectors.EVENT_WRITE if write else selectors.EVENT_READ
        try:
            self._selector.register(fd, events)
        except KeyError:
            self._selector.modify(fd, events)
        except (OSError, ValueError):
            pass

    def arm(self, fd: int, read: bool, write: bool) -> None:
        """Arm ``fd`` for the events asked (none: unregistered until armed again)."""
        if fd not in self.objects:
            return
        events = (selectors.EVENT_READ if read else 0) | (selectors.EVENT_WRITE if write else 0)
        try:
            if not events:
                self._selector.unregister(fd)
            else:
                try:
                    self._selector.register(fd, events)
                except KeyError:
                    self._selector.modify(fd, events)
        except (KeyError, OSError, ValueError):
            pass

    def remove(self, fd: int) -> None:
        """Stop watching ``fd``."""
        self.objects.pop(fd, None)
        self._oneshot.discard(fd)
        if self._in_poll_thread():
            try:
                self._selector.unregister(fd)
            except (KeyError, OSError, ValueError):
                pass
        else:
            # A worker only removes descriptors it owns, which are not registered.
            self._removed.append(fd)

    def poll(self, timeout: float) -> list[tuple[Any, int]]:
        """Wait for events; one-shot descriptors are unregistered as they fire."""
        self._thread = threading.get_ident()
        while self._pending:
            self._register(*self._pending.popleft())
        while self._removed:
            fd = self._removed.popleft()
            if fd not in self.objects:
                try:
                    self._selector.unregister(fd)
                except (KeyError, OSError, ValueError):
                    pass
        try:
            events = self._selector.select(timeout)
        except InterruptedError:
            return []
        ready = []
        for key, mask in events:
            if key.fileobj is self._wake_r:
                self._drain_wake()
                continue
            fd = key.fd
            obj = self.objects.get(fd)
            if fd in self._oneshot:
                try:
                    self._selector.unregister(fd)
                except (KeyError, OSError, ValueError):
                    pass
            if obj is not None:
                ready.append((obj, mask))
        return ready

    def close(self) -> None:
        """Close the selector."""
        self._selector.close()
        super().close()


def make_poller(prefer_epoll: bool = True) -> Poller:
    """The best poller for this platform (``epoll`` on Linux)."""
    if prefer_epoll and hasattr(select, "epoll"):
        return EpollPoller()
    return SelectorPoller()
