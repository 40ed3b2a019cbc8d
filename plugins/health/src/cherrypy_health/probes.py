"""What the probes answer: liveness, readiness, and the WSGI application serving each.

Liveness says only that the process answers.  Readiness follows ``cherrypy.engine``: it is
ready when the engine is STARTED, none of the engine's HTTP servers is draining (its
``stopping`` flag is set while in-flight requests finish) and every operator check
(``health.checks``) returns a truthy value.  Each probe is a plain WSGI application grafted
on ``cherrypy.tree`` (see :mod:`cherrypy_health.site`), so it runs no tool.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import cherrypy

__all__ = [
    "Check",
    "ProbeApp",
    "Verdict",
    "draining_servers",
    "liveness",
    "readiness",
]

ALLOWED_METHODS = ("GET", "HEAD")
"""The methods a probe answers; any other gets 405 with ``Allow: GET, HEAD``."""

_STATUS_LINES = {
    200: "200 OK",
    404: "404 Not Found",
    405: "405 Method Not Allowed",
    503: "503 Service Unavailable",
}


@dataclass(frozen=True)
class Check:
    """One operator check of ``health.checks``: ``func()`` returns truthy when healthy."""

    name: str
    """What a failing readiness answer names (the ``"module:function"`` name as written,
    else the callable's ``__name__``, else its type's name)."""
    func: Callable[[], Any]


@dataclass(frozen=True)
class Verdict:
    """A probe's answer: its HTTP status code and its JSON body."""

    status: int
    body: dict[str, str]


def liveness() -> Verdict:
    """The process answers: always 200 ``{"status": "alive"}``."""
    return Verdict(200, {"status": "alive"})


def _engine_state() -> tuple[bool, str]:
    """``(started, name)`` of ``cherrypy.engine``'s state (``name`` as ``"STARTED"``)."""
    engine = cherrypy.engine
    state = engine.state
    name = str(getattr(state, "name", None) or str(state).rpartition(".")[2])
    return state is engine.states.STARTED, name


def _server_adapters() -> list[tuple[str, Any]]:
    """``(name, adapter)`` of ``cherrypy.server`` (``"main"``) and the ``server.<name>.*``
    servers (``cherrypy.servers``); none when cherrypy-server is not installed."""
    try:
        adapters: list[tuple[str, Any]] = [("main", cherrypy.server)]
    except Exception:
        return []
    extra = getattr(cherrypy, "servers", None)
    if isinstance(extra, Mapping):
        adapters.extend((str(name), adapter) for name, adapter in sorted(extra.items()))
    return adapters


def draining_servers() -> list[str]:
    """Names of the engine's HTTP servers that are stopping (draining in-flight requests).

    A server counts while its ``stopping`` flag is set, unless both its adapter says it is no
    longer running and the server says it is no longer ready: a server stopped for good keeps
    the flag, and must not hold readiness down.
    """
    found = []
    for name, adapter in _server_adapters():
        httpserver = getattr(adapter, "httpserver", None)
        if httpserver is None or not getattr(httpserver, "stopping", False):
            continue
        if getattr(adapter, "running", True) or getattr(httpserver, "ready", True):
            found.append(name)
    return found


def _failing_check(checks: Sequence[Check]) -> str | None:
    """The name of the first check that returns falsy or raises; None when all pass."""
    for check in checks:
        try:
            healthy = check.func()
        except Exception as exc:
            cherrypy.log(
                f"Health check {check.name} raised {type(exc).__name__}: {exc}",
                "HEALTH",
                severity=logging.WARNING,
            )
            return check.name
        if not healthy:
            return check.name
    return None


def readiness(checks: Sequence[Check] = ()) -> Verdict:
    """200 when the engine is STARTED, no server drains and every check passes, else 503.

    The 503 body says why: ``{"status": "starting", "engine": "STARTING"}`` (the engine's
    state, lower case), ``{"status": "draining", "engine": "STARTED", "server": "main"}`` or
    ``{"status": "failing", "engine": "STARTED", "check": "<name>"}``.  Checks run only when
    the engine and servers are ready, in order, up to the first failure.
    """
    started, state = _engine_state()
    if not started:
        return Verdict(503, {"status": state.lower(), "engine": state})
    draining = draining_servers()
    if draining:
        return Verdict(503, {"status": "draining", "engine": state, "server": draining[0]})
    failing = _failing_check(checks)
    if failing is not None:
        return Verdict(503, {"status": "failing", "engine": state, "check": failing})
    return Verdict(200, {"status": "ready", "engine": state})


class ProbeApp:
    """The WSGI application of one probe, answering at exactly the path it is grafted at.

    ``probe()`` is asked for a :class:`Verdict` on every GET or HEAD; the answer is JSON,
    never cached (``Cache-Control: no-store``), and a 503 carries ``Retry-After: 1``.
    """

    def __init__(self, name: str, probe: Callable[[], Verdict]) -> None:
        self.name = name
        """``"live"`` or ``"ready"``."""
        self.probe = probe

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        """Answer one request (GET or HEAD; anything but the exact path is a 404)."""
        headers = [("Content-Type", "application/json"), ("Cache-Control", "no-store")]
        method = environ.get("REQUEST_METHOD", "GET")
        if environ.get("PATH_INFO", "") not in ("", "/"):
            verdict = Verdict(404, {"status": "not found"})
        elif method not in ALLOWED_METHODS:
            verdict = Verdict(405, {"status": "method not allowed"})
            headers.append(("Allow", ", ".join(ALLOWED_METHODS)))
        else:
            verdict = self.probe()
        if verdict.status == 503:
            headers.append(("Retry-After", "1"))
        payload = json.dumps(verdict.body).encode("utf-8")
        headers.append(("Content-Length", str(len(payload))))
        start_response(_STATUS_LINES[verdict.status], headers)
        return [] if method == "HEAD" else [payload]

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"
