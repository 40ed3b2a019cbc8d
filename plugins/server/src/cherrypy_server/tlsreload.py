"""Renew the server's TLS certificate without a restart.

A :class:`CertificateReloader` watches the files a server's :class:`ssl.SSLContext` was built
from (``server.ssl_certificate``, ``ssl_private_key``, ``ssl_certificate_chain``).  When one of
them changes, or when :meth:`~CertificateReloader.reload` is called (the adapter subscribes it
to the engine's ``graceful`` channel), it builds a whole new context from the files and, only if
that worked, puts it in the server's ``ssl_context`` attribute.  Connections accepted from then
on shake hands with the new certificate; handshakes already under way finish with the context
they began with, which nothing closes.  A pair that does not load (files half written, a key
that does not match the certificate, a file that cannot be read) leaves the previous context
serving, and the reloader tries again at its next check.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from .tls import make_ssl_context

__all__ = ["CertificateReloader", "reloader_for"]

INFO = 20
WARNING = 30


def _signature(path: str) -> tuple[int, int, int] | str:
    """``(st_mtime_ns, st_size, st_ino)`` of ``path`` (links followed), or the stat error."""
    try:
        stat = os.stat(path)
    except OSError as exc:
        return f"{type(exc).__name__}: {exc.strerror or exc}"
    return (stat.st_mtime_ns, stat.st_size, stat.st_ino)


class CertificateReloader:
    """Replace ``httpserver.ssl_context`` when the certificate files change or on request.

    ``certificate``, ``private_key``, ``certificate_chain`` and ``ciphers`` are the values the
    server's context was built from (see :func:`cherrypy_server.tls.make_ssl_context`).
    Every ``interval`` seconds a daemon thread compares each file's (mtime, size, inode) with
    those of the last successful load; ``0`` or ``None`` turns that watching off, leaving
    :meth:`reload` as the only trigger.  Messages go to ``httpserver.error_log``.
    """

    def __init__(
        self,
        httpserver: Any,
        certificate: str,
        private_key: str | None = None,
        certificate_chain: str | None = None,
        ciphers: str | None = None,
        interval: float | None = 1.0,
    ) -> None:
        """Prepare a reloader for ``httpserver``; nothing runs until :meth:`start`."""
        self.httpserver = httpserver
        self.certificate = str(certificate)
        self.private_key = str(private_key) if private_key else None
        self.certificate_chain = str(certificate_chain) if certificate_chain else None
        self.ciphers = ciphers
        self.interval = max(0.0, float(interval or 0))
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._bus: Any = None
        self._loaded: dict[str, Any] | None = None  # the signatures of the last good load
        self._last_seen: dict[str, Any] | None = None  # the signatures at the last check
        self._pending = False  # the last attempt failed: try again at the next check
        self._reported: str | None = None  # the failure last logged

    @property
    def paths(self) -> list[str]:
        """The files watched: the certificate, then the key and the chain when given."""
        found: list[str] = []
        for path in (self.certificate, self.private_key, self.certificate_chain):
            if path and path not in found:
                found.append(path)
        return found

    @property
    def running(self) -> bool:
        """Whether the watching thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def settings(self) -> tuple[str, str | None, str | None, str | None]:
        """The four values a context is built from, to compare reloaders with."""
        return (self.certificate, self.private_key, self.certificate_chain, self.ciphers)

    def snapshot(self) -> dict[str, Any]:
        """The current signature of every watched file."""
        return {path: _signature(path) for path in self.paths}

    def start(self, bus: Any = None) -> None:
        """Start watching (unless the interval is 0) and reload on ``bus``'s ``graceful``.

        The files as they are now count as loaded, unless an earlier start recorded them:
        then a change made while the reloader was stopped is still seen.
        """
        if self._loaded is None:
            self._loaded = self._last_seen = self.snapshot()
        if bus is not None:
            bus.subscribe("graceful", self.reload)
            self._bus = bus
        if self.interval > 0 and not self.running:
            self._wake.clear()
            self._thread = threading.Thread(
                target=self._watch, name="TLS certificate reloader", daemon=True
            )
            self._thread.start()

    def stop(self) -> None:
        """Stop watching and leave the ``graceful`` channel; the current context stays."""
        if self._bus is not None:
            self._bus.unsubscribe("graceful", self.reload)
            self._bus = None
        thread, self._thread = self._thread, None
        self._wake.set()
        if thread is not None and thread is not threading.current_thread():
            thread.join(5)

    def _watch(self) -> None:
        wake = self._wake
        while not wake.wait(self.interval):
            try:
                self.check()
            except Exception:  # never let one bad check end the watching
                self._log("Error while checking the TLS certificate files", WARNING, True)

    def check(self) -> bool:
        """Reload if a file changed since the last load, or the last attempt failed.

        A failure is reported once the files have stayed the same for one check, so that a
        renewal caught between its certificate and its key makes no noise; the same failure
        is not reported again.  Returns whether a new context was put in place.
        """
        current = self.snapshot()
        settled = current == self._last_seen
        self._last_seen = current
        if current == self._loaded and not self._pending:
            return False
        return self._load(current, report=settled)

    def reload(self) -> bool:
        """Build a new context from the files now, and use it if it loads; report a failure.

        Returns whether the new context was put in place.
        """
        current = self.snapshot()
        self._last_seen = current
        return self._load(current, report=True, force_report=True)

    def _load(self, signatures: dict[str, Any], report: bool, force_report: bool = False) -> bool:
        with self._lock:
            try:
                context = make_ssl_context(
                    self.certificate, self.private_key, self.certificate_chain, self.ciphers
                )
            except Exception as exc:
                self._pending = True
                failure = self._describe(exc)
                if force_report or (report and failure != self._reported):
                    self._reported = failure
                    self._log(
                        f"TLS certificate reload failed, still serving the previous "
                        f"certificate: {failure}",
                        WARNING,
                    )
                return False
            # One attribute assignment: the accept loop reads it once per connection.
            self.httpserver.ssl_context = context
            self._loaded = signatures
            self._pending = False
            self._reported = None
        self._log(f"TLS certificate reloaded from {self.certificate}", INFO)
        return True

    def _describe(self, exc: BaseException) -> str:
        """``<file>: <error>`` for a failed load, finding which file is at fault."""
        import ssl

        for path in self.paths:
            try:
                with open(path, "rb"):
                    pass
            except OSError as error:
                return f"{path}: {error.strerror or error}"
        if getattr(exc, "reason", None) == "KEY_VALUES_MISMATCH":
            key = self.private_key or self.certificate
            return f"{key}: the private key does not match the certificate {self.certificate}"
        probe = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        try:
            probe.load_verify_locations(self.certificate)
        except (OSError, ValueError) as error:
            return f"{self.certificate}: not a PEM certificate ({error})"
        try:
            ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(
                self.certificate, self.private_key
            )
        except (OSError, ValueError) as error:
            return f"{self.private_key or self.certificate}: no usable private key ({error})"
        if self.certificate_chain:
            try:
                probe.load_verify_locations(self.certificate_chain)
            except (OSError, ValueError) as error:
                return f"{self.certificate_chain}: {error}"
        if self.ciphers:
            return f"ssl_ciphers {self.ciphers!r}: {exc}"
        return f"{self.certificate}: {exc}"

    def _log(self, msg: str, level: int, traceback: bool = False) -> None:
        log = getattr(self.httpserver, "error_log", None)
        if log is not None:
            log(msg, level, traceback)


def reloader_for(
    adapter: Any, previous: CertificateReloader | None = None
) -> CertificateReloader | None:
    """The started reloader for ``adapter``'s HTTP server, or None when there is nothing to do.

    There is one when the server was built from ``adapter`` (a
    :class:`~cherrypy_server.wsgi_server.CPWSGIServer`) with a context made from
    ``ssl_certificate``, not from a ready ``ssl_context``.  ``previous``, the reloader of an
    earlier start, is started again when it still fits (same server, same files).
    """
    httpserver = adapter.httpserver
    certificate = getattr(adapter, "ssl_certificate", None)
    built_here = getattr(httpserver, "server_adapter", None) is adapter
    if (
        not certificate
        or not built_here
        or getattr(adapter, "ssl_context", None) is not None
        or getattr(httpserver, "ssl_context", None) is None
    ):
        return None
    reloader = CertificateReloader(
        httpserver,
        certificate,
        getattr(adapter, "ssl_private_key", None),
        getattr(adapter, "ssl_certificate_chain", None),
        getattr(adapter, "ssl_ciphers", None),
        getattr(adapter, "ssl_reload_interval", 1.0),
    )
    if (
        previous is not None
        and previous.httpserver is httpserver
        and previous.settings() == reloader.settings()
    ):
        previous.interval = reloader.interval
        reloader = previous
    reloader.start(adapter.bus)
    return reloader
