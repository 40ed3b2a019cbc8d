"""A bounded load loop for the zero-downtime tests: about 200 requests a second.

Half the threads open a new connection per request (any error there is a failure: those
requests were never at risk from a stale keep-alive connection), half keep connections alive
and, like every HTTP client library, send a request again on a new connection when a kept-alive
connection turns out to have been closed before any byte of the answer came back (RFC 9112,
section 9.3.1).  Such retries are counted apart; a request that fails on a new connection is a
failure.
"""

from __future__ import annotations

import http.client
import socket
import threading
import time
from dataclasses import dataclass, field


@dataclass
class LoadResult:
    ok: int = 0
    failures: list[str] = field(default_factory=list)
    resets: int = 0
    stale_retries: int = 0
    refused: int = 0
    bodies: dict[str, int] = field(default_factory=dict)
    slowest: float = 0.0


class LoadLoop:
    """Requests ``path`` on ``host:port`` from ``threads`` threads until :meth:`stop`."""

    def __init__(
        self,
        host: str,
        port: int,
        path: str = "/",
        threads: int = 4,
        rate: float = 200.0,
        refused_ok: bool = False,
        tls_context=None,
    ) -> None:
        self.host, self.port, self.path = host, port, path
        self.interval = threads / rate
        self.refused_ok = refused_ok
        self.tls_context = tls_context
        self.result = LoadResult()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._run, args=(i % 2 == 1,), daemon=True)
            for i in range(threads)
        ]

    def __enter__(self) -> LoadLoop:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> LoadResult:
        self._stop.set()
        for thread in self._threads:
            thread.join(15)
        return self.result

    def _connection(self) -> http.client.HTTPConnection:
        if self.tls_context is not None:
            return http.client.HTTPSConnection(
                self.host, self.port, timeout=10, context=self.tls_context
            )
        return http.client.HTTPConnection(self.host, self.port, timeout=10)

    def _record(self, body: str, took: float) -> None:
        with self._lock:
            self.result.ok += 1
            self.result.bodies[body] = self.result.bodies.get(body, 0) + 1
            self.result.slowest = max(self.result.slowest, took)

    def _fail(self, text: str, reset: bool = False) -> None:
        with self._lock:
            self.result.failures.append(text)
            if reset:
                self.result.resets += 1

    def _run(self, keep_alive: bool) -> None:
        conn: http.client.HTTPConnection | None = None
        next_at = time.monotonic()
        while not self._stop.is_set():
            next_at += self.interval
            began = time.monotonic()
            reused = conn is not None
            try:
                if conn is None:
                    conn = self._connection()
                headers = {} if keep_alive else {"Connection": "close"}
                conn.request("GET", self.path, headers=headers)
                response = conn.getresponse()
                body = response.read().decode("utf-8", "replace")
                if response.status != 200:
                    self._fail(f"status {response.status}: {body[:80]}")
                else:
                    self._record(body, time.monotonic() - began)
                if not keep_alive or response.will_close:
                    conn.close()
                    conn = None
            except ConnectionRefusedError:
                if conn is not None:
                    conn.close()
                    conn = None
                with self._lock:
                    self.result.refused += 1
                if not self.refused_ok:
                    self._fail("connection refused")
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as exc:
                if conn is not None:
                    conn.close()
                    conn = None
                if reused:
                    with self._lock:
                        self.result.stale_retries += 1
                    next_at = time.monotonic()  # at once, on a new connection
                    continue
                self._fail(
                    f"{type(exc).__name__}: {exc}", reset=isinstance(exc, ConnectionResetError)
                )
            except (OSError, http.client.HTTPException) as exc:
                if conn is not None:
                    conn.close()
                    conn = None
                self._fail(f"{type(exc).__name__}: {exc}")
            delay = next_at - time.monotonic()
            if delay > 0:
                self._stop.wait(delay)
            else:
                next_at = time.monotonic()
        if conn is not None:
            conn.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
