"""Prometheus metrics for cherrypy-kernel: ``metrics.on = True`` and scrape ``/metrics``.

Request families (``cherrypy_requests_total``, ``cherrypy_request_duration_seconds``,
``cherrypy_response_size_bytes``, ``cherrypy_requests_in_flight``), server gauges and session
store errors; see ``docs/metrics.md``.  :data:`metrics` is the site's switch and state.
Importing this package does not import prometheus-client.
"""

from __future__ import annotations

from .labels import LABEL_NAMES, METHODS
from .recorder import DEFAULT_DURATION_BUCKETS, DEFAULT_SIZE_BUCKETS, Recorder, ShardObserver
from .site import SESSION_STORE_ERROR_CHANNEL, MetricsSite, metrics

__all__ = [
    "DEFAULT_DURATION_BUCKETS",
    "DEFAULT_SIZE_BUCKETS",
    "LABEL_NAMES",
    "METHODS",
    "SESSION_STORE_ERROR_CHANNEL",
    "MetricsSite",
    "Recorder",
    "ShardObserver",
    "metrics",
]
