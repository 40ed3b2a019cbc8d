"""The WSGI environ the in-process benchmarks send (one GET, as a WSGI server would build it).

Imported by the bench scripts, which run under our interpreter and CherryPy 18.10's alike.
"""

from __future__ import annotations

import io
import sys
from typing import Any

BASE_ENVIRON: dict[str, Any] = {
    "REQUEST_METHOD": "GET",
    "SCRIPT_NAME": "",
    "PATH_INFO": "/",
    "QUERY_STRING": "",
    "SERVER_NAME": "127.0.0.1",
    "SERVER_PORT": "8080",
    "SERVER_PROTOCOL": "HTTP/1.1",
    "REMOTE_ADDR": "127.0.0.1",
    "REMOTE_PORT": "50000",
    "HTTP_HOST": "127.0.0.1:8080",
    "HTTP_USER_AGENT": "bench",
    "HTTP_ACCEPT": "*/*",
    "wsgi.url_scheme": "http",
    "wsgi.errors": sys.stderr,
    "wsgi.multithread": True,
    "wsgi.multiprocess": False,
    "wsgi.run_once": False,
    "wsgi.version": (1, 0),
}


def environ(path: str = "/", body: bytes = b"", **extra: Any) -> dict[str, Any]:
    """A fresh environ for ``path`` with ``body`` as ``wsgi.input`` and ``extra`` keys."""
    env = dict(BASE_ENVIRON, PATH_INFO=path, **extra)
    env["wsgi.input"] = io.BytesIO(body)
    return env
