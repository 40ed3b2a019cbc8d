"""The response store of ``tools.caching``: :class:`Cache` and :class:`MemoryCache`.

:class:`MemoryCache` keeps, per URI, one response per combination of the request headers
named by the response's ``Vary`` (the "variants").  Every structure is bounded whatever URLs
clients ask for: at most ``maxobjects`` variants of at most ``maxobj_size`` bytes each and
``maxsize`` bytes in all; a URI with no stored variant and no request computing one has no
entry; the expiry index is compacted to at most twice the stored variants.  When a limit
is reached a new response is *refused* (not stored) until expiry frees room: stored entries
are never evicted early.

Entries expire ``delay`` seconds after they were made (sooner when the response's
``s-maxage`` / ``max-age`` says so): a lookup never returns an expired entry, expired entries
are freed when the store is next written to, and a daemon thread, started with the first
miss (never at import), frees them every ``expire_freq`` seconds.  It also gives up
anti-stampede reservations older than ``antistampede_timeout`` that their request never
released.
"""

from __future__ import annotations

import heapq
import threading
import time
from collections import OrderedDict
from typing import Any

import cherrypy
from cherrypy.plugin import serving

from .policy import freshness_lifetime, vary_names

__all__ = ["AntiStampedeCache", "Cache", "MemoryCache"]

Variant = tuple[Any, Any, bytes, float]
"""A stored response: ``(status, headers, body, creation time)``."""

VariantKey = tuple[tuple[str, str], ...]
"""The ``(lower-cased header name, request value)`` pairs selecting one variant."""


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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.selecting_headers: list[str] = []
        self.expires: dict[Any, float] = {}
        """Key -> the time its variant expires (kept by :class:`MemoryCache`)."""
        self.uri: str | None = None
        self.owner: MemoryCache | None = None

    def wait(self, key: Any, timeout: float | None = 5, debug: bool = False) -> Any:
        """Return the value at ``key``, waiting up to ``timeout`` for one being computed.

        Returns None when the caller should compute the value itself; it then owns the slot
        (a pending event), which a later ``__setitem__`` or :meth:`release` fills or clears.
        With ``timeout`` None nothing waits (as in CherryPy, an empty slot is still reserved).
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

    def clear(self) -> None:
        """Drop every variant (freeing their room in the owning cache) and wake all waiters."""
        owner = self.owner
        if owner is not None:
            owner.drop_uri_cache(self)
            return
        for value in list(self.values()):
            if isinstance(value, threading.Event):
                value.set()
        dict.clear(self)
        self.expires.clear()


def _is_variant(value: Any) -> bool:
    return isinstance(value, tuple)


class MemoryCache(Cache):
    """An in-process response cache, the default ``cache_class`` of ``tools.caching``."""

    maxobjects = 1000
    """The most variants kept."""
    maxobj_size = 100000
    """Bodies of this many bytes or more are not stored."""
    maxsize = 10000000
    """The most bytes of bodies kept in all."""
    delay = 600
    """Seconds a stored response stays fresh."""
    antistampede_timeout: float | None = 5
    """Seconds a request waits for another computing the same variant (None: never)."""
    expire_freq = 0.1
    """Seconds between sweeps of the expiry thread."""
    private_headers: tuple[str, ...] | list[str] = ("Cookie",)
    """Request headers identifying a user (see :func:`cherrypy_caching.policy.shareable`)."""
    debug = False

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self.expiration_thread: threading.Thread | None = None
        self.store: dict[str, AntiStampedeCache] = {}
        self.clear()

    def clear(self) -> None:
        """Remove everything and reset the counters (waiting requests compute themselves)."""
        with self._lock:
            old = self.store
            self.store = {}
            self.expirations: list[tuple[float, str, VariantKey]] = []
            """The expiry index: a heap of ``(expiry time, uri, key)``, some of them stale."""
            self._reservations: OrderedDict[_Pending, tuple[float, AntiStampedeCache, Any]] = (
                OrderedDict()
            )
            self.tot_puts = 0
            self.tot_gets = 0
            self.tot_hist = 0
            self.tot_expires = 0
            self.tot_non_modified = 0
            self.cursize = 0
            self.objects = 0
        for uricache in old.values():
            uricache.owner = None
            for value in list(uricache.values()):
                if isinstance(value, threading.Event):
                    value.set()

    # -- keys -------------------------------------------------------------------------------

    @staticmethod
    def _uri() -> str:
        """The current request's URL: ``base`` + script name + path + ``?query``.

        Unlike ``cherrypy.url()`` the path is taken as requested (no dot-segment or
        trailing-slash normalisation, no ``relative_urls``), with ``%`` and ``?`` escaped, so
        that two requests share a key only if the application saw the same host, path and
        query string (``/a%3Fb`` is not ``/a?b``).  ``base`` holds the validated ``Host``
        (or what ``tools.proxy`` validated and set).
        """
        request = serving.request
        path = request.script_name + request.path_info
        if "%" in path or "?" in path or "#" in path:
            path = path.replace("%", "%25").replace("?", "%3F").replace("#", "%23")
        query = request.query_string
        base = getattr(request, "base", "")
        return f"{base}{path}?{query}" if query else f"{base}{path}"

    @staticmethod
    def _variant_key(selecting_headers: list[str]) -> VariantKey:
        headers = serving.request.headers
        return tuple((name.lower(), headers.get(name, "")) for name in selecting_headers)

    # -- bookkeeping (call with the lock held) ------------------------------------------------

    def _new_uri_cache(self, uri: str) -> AntiStampedeCache:
        uricache = AntiStampedeCache()
        uricache.uri = uri
        uricache.owner = self
        self.store[uri] = uricache
        return uricache

    def _discard_if_empty(self, uricache: AntiStampedeCache) -> None:
        """Forget a URI with no stored variant and no pending computation."""
        if not uricache and uricache.uri is not None and self.store.get(uricache.uri) is uricache:
            del self.store[uricache.uri]

    def _forget(self, uricache: AntiStampedeCache, key: Any, expired: bool = False) -> None:
        variant = dict.pop(uricache, key)
        uricache.expires.pop(key, None)
        self.cursize -= len(variant[2])
        self.objects -= 1
        if expired:
            self.tot_expires += 1

    def _drop_all(self, uricache: AntiStampedeCache) -> None:
        """Remove every variant of ``uricache`` and wake the requests waiting on it."""
        for key, value in list(uricache.items()):
            if _is_variant(value):
                self._forget(uricache, key)
            else:
                dict.pop(uricache, key, None)
                value.set()

    def drop_uri_cache(self, uricache: AntiStampedeCache) -> None:
        """Remove a URI's variants (``store[uri].clear()`` lands here) and its entry."""
        with self._lock:
            self._drop_all(uricache)
            self._discard_if_empty(uricache)

    def _expire(self, now: float) -> None:
        reservations = self._reservations
        while reservations:
            pending, (deadline, reserved, slot) = next(iter(reservations.items()))
            if deadline > now:
                break
            # Nobody waits longer than antistampede_timeout for a slot: one still pending
            # after that (its request never released it) is given up.
            del reservations[pending]
            if dict.get(reserved, slot) is pending:
                reserved.release(slot)
                self._discard_if_empty(reserved)
        heap = self.expirations
        while heap and heap[0][0] <= now:
            _when, uri, key = heapq.heappop(heap)
            uricache = self.store.get(uri)
            if uricache is None:
                continue
            if uricache.expires.get(key, now + 1) <= now and _is_variant(dict.get(uricache, key)):
                self._forget(uricache, key, expired=True)
                self._discard_if_empty(uricache)

    def _compact(self) -> None:
        """Rebuild the expiry index from the live entries once stale records dominate it."""
        if len(self.expirations) <= 2 * self.objects + 64:
            return
        heap = [
            (when, uri, key)
            for uri, uricache in self.store.items()
            for key, when in uricache.expires.items()
        ]
        heapq.heapify(heap)
        self.expirations = heap

    def _lookup(self, uri: str, now: float) -> tuple[AntiStampedeCache | None, VariantKey, Any]:
        uricache = self.store.get(uri)
        if uricache is None:
            return None, (), None
        key = self._variant_key(uricache.selecting_headers)
        value = dict.get(uricache, key)
        if _is_variant(value) and uricache.expires.get(key, now + 1) <= now:
            self._forget(uricache, key, expired=True)
            value = None
        return uricache, key, value

    def _reserve(self, uri: str, uricache: AntiStampedeCache | None, key: VariantKey) -> None:
        """Leave a pending slot others wait on; the request keeps it in ``caching_reservation``."""
        if uricache is None:
            uricache = self._new_uri_cache(uri)
            key = self._variant_key(uricache.selecting_headers)
        pending = _Pending()
        dict.__setitem__(uricache, key, pending)
        deadline = time.time() + (self.antistampede_timeout or 0)
        self._reservations[pending] = (deadline, uricache, key)
        serving.request.caching_reservation = (uricache, key, pending)

    # -- expiry -----------------------------------------------------------------------------

    def _start_expiry(self) -> None:
        thread = self.expiration_thread
        if thread is not None and thread.is_alive():
            return
        with self._lock:
            thread = self.expiration_thread
            if thread is not None and thread.is_alive():
                return
            self._stop.clear()
            thread = threading.Thread(target=self.expire_cache, name="expire_cache", daemon=True)
            self.expiration_thread = thread
            thread.start()

    def stop(self) -> None:
        """Stop the expiry thread (it starts again with the next miss or stored response)."""
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
        """Free the entries whose expiry time has passed (and URIs left with none)."""
        with self._lock:
            self._expire(time.time() if now is None else now)

    # -- Cache API --------------------------------------------------------------------------

    def get(self) -> Variant | None:
        """Return the current request's fresh variant, else None (waiting out a stampede).

        On a miss the request reserves the variant (even for a URI never seen before), so
        that concurrent requests for it wait up to ``antistampede_timeout`` for its result.
        """
        uri = self._uri()
        timeout = self.antistampede_timeout
        with self._lock:
            self.tot_gets += 1
            uricache, key, value = self._lookup(uri, time.time())
            if _is_variant(value):
                self.tot_hist += 1
                return value  # type: ignore[no-any-return]
            if timeout is None:
                if uricache is not None:
                    self._discard_if_empty(uricache)
                return None
            if value is None:
                self._reserve(uri, uricache, key)
                reserved = True
            else:
                reserved = False
                pending = value
        if reserved:
            self._start_expiry()  # also gives up reservations a request never released
            return None
        if self.debug:
            cherrypy.log(f"Waiting up to {timeout} seconds", "TOOLS.CACHING")
        pending.wait(timeout)
        result = pending.result
        with self._lock:
            if result is not None:
                self.tot_hist += 1
                return result  # type: ignore[no-any-return]
            uricache, key, value = self._lookup(uri, time.time())
            if _is_variant(value):
                self.tot_hist += 1
                return value  # type: ignore[no-any-return]
            if value is None or value is pending:
                self._reserve(uri, uricache, key)
            return None

    def put(self, variant: Variant, size: int) -> None:
        """Store ``variant`` for the current request if it fits the bounds; else refuse it.

        A response whose ``Vary`` names other headers than the URI's stored variants
        replaces them all.  The entry expires after ``delay`` seconds, or sooner when the
        response's ``s-maxage`` / ``max-age`` says so.
        """
        request = serving.request
        uri = self._uri()
        headers = variant[1]
        now = time.time()
        expires = variant[3] + freshness_lifetime(headers, self.delay)
        vary = vary_names(headers)
        with self._lock:
            self._expire(now)
            uricache = self.store.get(uri)
            if uricache is None:
                uricache = self._new_uri_cache(uri)
            if [name.lower() for name in uricache.selecting_headers] != [
                name.lower() for name in vary
            ]:
                self._drop_all(uricache)
                uricache.selecting_headers = vary
            key = self._variant_key(uricache.selecting_headers)
            old: Any = dict.get(uricache, key)
            old_size, old_count = (len(old[2]), 1) if _is_variant(old) else (0, 0)
            fits = (
                expires > now
                and size < self.maxobj_size
                and self.objects - old_count < self.maxobjects
                and self.cursize - old_size + size < self.maxsize
            )
            if not fits:
                uricache.release(key)
                self._discard_if_empty(uricache)
                return
            if old_count:
                self._forget(uricache, key)
            uricache[key] = variant
            uricache.expires[key] = expires
            heapq.heappush(self.expirations, (expires, uri, key))
            self._compact()
            self.tot_puts += 1
            self.cursize += size
            self.objects += 1
        if request is not None:
            self._start_expiry()

    def release(self) -> None:
        """Give up the slot this request reserved if it stored nothing: wake the waiters.

        Without this, a request that ends without storing its response (an error, a status
        that is not cached, an oversized body) would leave the others waiting for the full
        ``antistampede_timeout`` (and its URI would keep an entry).
        """
        request = serving.request
        reserved = getattr(request, "caching_reservation", None)
        if reserved is None:
            return
        request.caching_reservation = None
        uricache, key, pending = reserved
        with self._lock:
            self._reservations.pop(pending, None)
            if dict.get(uricache, key) is pending:
                uricache.release(key)
            self._discard_if_empty(uricache)

    def delete(self) -> None:
        """Remove every stored variant of the current request's URI."""
        uri = self._uri()
        with self._lock:
            uricache = self.store.get(uri)
            if uricache is not None:
                self._drop_all(uricache)
                self._discard_if_empty(uricache)

    def sizes(self) -> dict[str, int]:
        """How many URIs, variants, pending computations and expiry records are held now."""
        with self._lock:
            variants = sum(
                1 for uc in self.store.values() for value in uc.values() if _is_variant(value)
            )
            return {
                "uris": len(self.store),
                "variants": variants,
                "pending": sum(len(uc) for uc in self.store.values()) - variants,
                "expiry_records": len(self.expirations),
                "reservations": len(self._reservations),
                "objects": self.objects,
                "bytes": self.cursize,
            }
