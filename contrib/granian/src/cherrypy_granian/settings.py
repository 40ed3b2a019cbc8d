"""The global ``granian`` config namespace: whether ``engine.start()`` hands over to granian, and
how granian runs (workers, threads per worker, HTTP versions).

``python -m cherrypy serve --server granian`` reads the same keys, except that its
``--workers`` option, when given, wins over ``granian.workers``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

__all__ = ["DEFAULTS", "HTTP_MODES", "KEY_DOCS", "KEY_TYPES", "Settings", "namespace_handler"]

HTTP_MODES = ("auto", "1", "2")
"""The values of ``granian.http``: both HTTP/1.1 and HTTP/2, HTTP/1.1 only, HTTP/2 only."""

DEFAULTS: dict[str, Any] = {
    "on": False,
    "workers": 1,
    "threads": None,
    "http": "auto",
    "shutdown_timeout": 10,
}
"""Every ``granian.*`` key and its default."""

KEY_TYPES: dict[str, Any] = {
    "on": bool,
    "workers": int,
    "threads": "int | None",
    "http": str,
    "shutdown_timeout": int,
}

KEY_DOCS: dict[str, str] = {
    "on": "Serve on granian instead of the built-in server when the engine starts "
    "(cherrypy.quickstart() or engine.start()): the process becomes granian's supervisor and "
    "each worker process starts its own engine (global).",
    "workers": "Worker processes, each importing the application and running its own engine "
    "(global; serve --workers wins when given).",
    "threads": "Python threads per worker that run requests (granian's blocking threads, "
    "like server.thread_pool); None: twice the CPUs plus one, at most 10 (global).",
    "http": "HTTP versions granian speaks: 'auto' (HTTP/1.1 and HTTP/2), '1' or '2' (global).",
    "shutdown_timeout": "Seconds a stopping worker may take before granian kills it (its "
    "engine's stop listeners then do not run) (global).",
}


@dataclass
class Settings:
    """The current ``granian.*`` values of this process."""

    on: bool = False
    workers: int = 1
    threads: int | None = None
    http: str = "auto"
    shutdown_timeout: int = 10

    def thread_count(self) -> int:
        """``threads``, or the default for this machine: 2 x CPUs + 1, at most 10."""
        if self.threads is not None:
            return self.threads
        return min(10, 2 * (os.cpu_count() or 1) + 1)

    def set(self, key: str, value: Any) -> None:
        """Set ``granian.<key>`` to ``value``, checked; raise ``ValueError`` when it is wrong."""
        if key not in DEFAULTS:
            raise ValueError(
                f"unknown config key 'granian.{key}' (known: {', '.join(sorted(DEFAULTS))})"
            )
        if key == "on":
            setattr(self, key, bool(value))
        elif key == "http":
            text = str(value)
            if text not in HTTP_MODES:
                raise ValueError(f"granian.http must be one of {HTTP_MODES}, not {value!r}")
            self.http = text
        elif key == "threads" and value is None:
            self.threads = None
        else:
            number = int(value)
            if number < 1:
                raise ValueError(f"granian.{key} must be at least 1, not {value!r}")
            setattr(self, key, number)


settings = Settings()
"""The process's ``granian.*`` settings, filled by :func:`namespace_handler`."""


def namespace_handler(key: str, value: Any) -> None:
    """Apply one global ``granian.*`` config entry (``key`` is the part after ``granian.``)."""
    settings.set(key, value)
