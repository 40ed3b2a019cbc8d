"""Liveness and readiness probes for cherrypy-kernel: ``health.on = True``, then ``/healthz``
and ``/readyz``.

Liveness answers 200 whenever the process answers; readiness answers 200 only while
``cherrypy.engine`` is STARTED, no HTTP server is draining and every ``health.checks``
callable passes, else 503 with the reason; see ``docs/health.md``.  :data:`health` is the
site's switch and state.
"""

from __future__ import annotations

from .probes import Check, ProbeApp, Verdict, draining_servers, liveness, readiness
from .site import HealthConfigError, HealthSite, health

__all__ = [
    "Check",
    "HealthConfigError",
    "HealthSite",
    "ProbeApp",
    "Verdict",
    "draining_servers",
    "health",
    "liveness",
    "readiness",
]
