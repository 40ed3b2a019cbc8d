"""The response store of ``tools.caching``: :class:`Cache` and :class:`MemoryCache`.

:class:`MemoryCache` keeps, per URI, one response per combination of the request headers
named by the response's ``Vary`` (the "variants"), bounded in object size, object count and
total size.  Entries expire ``delay`` seconds after they were made: a lookup never returns an
expired entry, and a daemon thread, started with the first stored response (never at import),
frees expired entries every ``expire_freq`` seconds.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import cherrypy
from cherrypy.plugin import serving, url

__all__ = ["AntiStampedeCache", "Cache", "MemoryCache"]

Variant = tuple[Any, Any, bytes, float]
"""A stored response: ``(status, headers, body, creation time)``."""


class Cache:
    """The interface of a ``tools.caching`` store (``cache_class``)."""

    def get(self) -> Any:
        """Return the current request's variant if stored, else None."""
        raise NotImplementedError

    def put(self, obj: Any, size: int) -> None:
        """Store ``obj`` (``size`` bytes) as the current request's variant."""
        raise NotImplementedError

    def delete(self) -> None:
        """Remove every stored variant of the current request's URI."""
        raise NotImplementedError

    def clear(self) -> None:
        """Remove everything and reset the counters."""
        raise NotImplementedError


class _Pending(threading.Event):
    """Placed in a slot while one thread computes the response others will wait for."""

    result: Any = None


class AntiStampedeCache(dict):  # type: ignore[type-arg]
    """The variants of one URI; a missing variant is computed by one request at a time.

    The first request to miss leaves a :class:`threading.Event` in the slot; later requests
    for that variant wait for it (up to ``timeout``) instead of all recomputing it.
    """

    selecting_headers: list[str]

    def wait(self, key: Any, timeout: float | None = 5, debug: bool = False) -> Any:
        """Return the value at ``key``, waiting up to ``timeout`` for one being computed.

        Returns None when the caller should compute the value itself; it then owns the slot
        (a pending event), which a later ``__setitem__`` or :meth:`release` fills or clears.
        """
        value = self.get(key)
        if isinstance(value, threading.Event):
            if timeout is None:
                return None
            if debug:
                cherrypy.log(f"Waiting up to {timeout} seconds", "TOOLS.CACHING")
            value.wait(timeout)
            result = getattr(value, "result", None)
            if result is not None:
                return result
            value = None
        if value is None:
            dict.__setitem__(self, key, _Pending())
        return value

    def __setitem__(self, key: Any, value: Any) -> None:
        """Store ``value``, waking the requests waiting for it."""
        existing = self.get(key)
        dict.__setitem__(self, key, value)
        if isinstance(existing, threading.Event):
            existing.result = value  # type: ignore[attr-defined]
            existing.set()

    def release(self, key: Any) -> None:
        """Give up a slot left pending (the response was not stored): wake the waiters."""
        existing = self.get(key)
        if isinstance(existing, threading.Event):
            dict.pop(self, key, None)
            existing.set()


class MemoryCache(Cache):
    """An in-process response cache, the default ``cache_class`` of ``tools.caching``."""

    maxobjects = 1000
    """The most variants kept."""
    maxobj_size = 100000
    """The largest body stored, in bytes."""
    maxsize = 10000000
    """The most bytes of bodies kept in all."""
    delay = 600
    """Seconds a stored response stays fresh."""
    antistampede_timeout: float | None = 5
    """Seconds a request waits for another computing the same variant (None: never)."""
    expire_freq = 0.1
    """Seconds between sweeps of the expiry thread."""
    debug = False

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self.expiration_thread: threading.Thread | None = None
        self.clear()

    def clear(self) -> None:
        """Remove everything and reset the counters."""
        with self._lock:
            self.store: dict[str, AntiStampedeCache] = {}
            self.expirations: dict[float, list[tuple[int, str, tuple[str, ...], float]]] = {}
            self.tot_puts = 0
            self.tot_gets = 0
            self.tot_hist = 0
            self.tot_expires = 0
            self.tot_non_modified = 0
            self.cursize = 0
            self.objects = 0

    # -- keys -------------------------------------------------------------------------------

    @staticmethod
    def _uri() -> str:
        return url(qs=serving.request.query_string)

    @staticmethod
    def _variant_key(selecting_headers: list[str]) -> tuple[str, ...]:
        headers = serving.request.headers
        return tuple(headers.get(name, "") for name in selecting_headers)

    # -- expiry -----------------------------------------------------------------------------

    def _start_expiry(self) -> None:
        thread = self.expiration_thread
        if thread is not None and thread.is_alive():
            return
        self._stop.clear()
        thread = threading.Thread(target=self.expire_cache, name="expire_cache", daemon=True)
        self.expiration_thread = thread
        thread.start()

    def stop(self) -> None:
        """Stop the expiry thread (it starts again with the next stored response)."""
        self._stop.set()
        thread = self.expiration_thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(max(1.0, self.expire_freq * 5))
        self.expiration_thread = None

    def expire_cache(self) -> None:
        """Free expired entries every ``expire_freq`` seconds until :meth:`stop`."""
        while not self._stop.is_set():
            self.expire_now()
            self._stop.wait(self.expire_freq)

    def expire_now(self, now: float | None = None) -> None:
        """Free the entries whose expiry time has passed."""
        now = time.time() if now is None else now
        with self._lock:
            for expiration_time in [t for t in self.expirations if t <= now]:
                for _size, uri, key, created in self.expirations.pop(expiration_time):
                    self._remove(uri, key, expired=True, created=created)

    def _remove(
        self, uri: str, key: tuple[str, ...], expired: bool = False, created: float | None = None
    ) -> None:
        """Drop one stored variant (only the one made at ``created``, when given)."""
        uricache = self.store.get(uri)
        if uricache is None:
            return
        variant = uricache.get(key)
        if variant is None or isinstance(variant, threading.Event):
            return
        if created is not None and variant[3] != created:
            return  # replaced since: its own expiry record will remove it
        dict.pop(uricache, key, None)
        self.cursize -= len(variant[2])
        self.objects -= 1
        if expired:
            self.tot_expires += 1

    # -- Cache API --------------------------------------------------------------------------

    def get(self) -> Variant | None:
        """Return the current request's fresh variant, else None (waiting out a stampede)."""
        self.tot_gets += 1
        uricache = self.store.get(self._uri())
        if uricache is None:
            return None
        key = self._variant_key(uricache.selecting_headers)
        variant = uricache.get(key)
        if (
            variant is not None
            and not isinstance(variant, threading.Event)
            and variant[3] + self.delay <= time.time()
        ):
            with self._lock:
                self._remove(self._uri(), key, expired=True)
        variant = uricache.wait(key, timeout=self.antistampede_timeout, debug=self.debug)
        if variant is not None:
            self.tot_hist += 1
        else:
            pending = uricache.get(key)
            if isinstance(pending, _Pending):
                serving.request.caching_reservation = (uricache, key, pending)
        return variant  # type: ignore[no-any-return]

    def put(self, variant: Variant, size: int) -> None:
        """Store ``variant`` for the current request if it fits the size bounds."""
        request = serving.request
        uri = self._uri()
        with self._lock:
            uricache = self.store.get(uri)
            if uricache is None:
                uricache = AntiStampedeCache()
                vary = serving.response.headers.elements("Vary")
                uricache.selecting_headers = [element.value for element in vary]
                self.store[uri] = uricache
            key = self._variant_key(uricache.selecting_headers)
            fits = (
                self.objects < self.maxobjects
                and size < self.maxobj_size
                and self.cursize + size < self.maxsize
            )
            if not fits:
                uricache.release(key)
                return
            self._remove(uri, key)
            expiration_time = variant[3] + self.delay
            self.expirations.setdefault(expiration_time, []).append((size, uri, key, variant[3]))
            uricache[key] = variant
            self.tot_puts += 1
            self.cursize += size
            self.objects += 1
        if request is not None:
            self._start_expiry()

    def release(self) -> None:
        """Give up the slot this request reserved if it stored nothing: wake the waiters.

        Without this, a request that ends without storing its response (an error, a status
        that is not cached, an oversized body) would leave the others waiting for the full
        ``antistampede_timeout``.
        """
        request = serving.request
        reserved = getattr(request, "caching_reservation", None)
        if reserved is None:
            return
        request.caching_reservation = None
        uricache, key, pending = reserved
        if uricache.get(key) is pending:
            uricache.release(key)

    def delete(self) -> None:
        """Remove every stored variant of the current request's URI."""
        uri = self._uri()
        with self._lock:
            uricache = self.store.pop(uri, None)
            if uricache is None:
                return
            for key, variant in list(uricache.items()):
                if isinstance(variant, threading.Event):
                    uricache.release(key)
                else:
                    self.cursize -= len(variant[2])
                    self.objects -= 1
