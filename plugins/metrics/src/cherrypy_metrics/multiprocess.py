"""gunicorn's (or any pre-fork server's) multi-process mode: counts in prometheus-client files.

When ``PROMETHEUS_MULTIPROC_DIR`` names a directory (set it in the environment before the
server starts: prometheus-client reads it when first imported), every worker process writes
its counts to memory-mapped files there and a scrape of ``/metrics``, served by whichever
worker, sums the files of all of them (``prometheus_client.multiprocess.MultiProcessCollector``).

The families and their labels are the same as in the single-process mode; the in-flight gauge
sums the live processes only (``multiprocess_mode="livesum"``: call
``prometheus_client.multiprocess.mark_process_dead(worker.pid)`` from gunicorn's
``child_exit`` hook).  Each request costs a few locked updates of prometheus-client values
here, more than the per-thread shards of the single-process mode.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from time import perf_counter
from typing import Any

from prometheus_client import Counter, Gauge, Histogram
from prometheus_client.registry import CollectorRegistry

from .collectors import DOCS
from .labels import LABEL_NAMES, app_label, label_values, request_key

__all__ = ["MultiProcessObserver"]


class MultiProcessObserver:
    """The request observer of the multi-process mode (prometheus-client metric objects).

    The children of each label combination are looked up once and cached, so a request costs
    one dict lookup and the value updates.
    """

    def __init__(
        self,
        registry: CollectorRegistry | None,
        duration_bounds: Sequence[float],
        size_bounds: Sequence[float],
    ) -> None:
        self.requests = Counter(
            "cherrypy_requests", DOCS["cherrypy_requests"], LABEL_NAMES, registry=registry
        )
        self.durations = Histogram(
            "cherrypy_request_duration_seconds",
            DOCS["cherrypy_request_duration_seconds"],
            LABEL_NAMES,
            registry=registry,
            buckets=tuple(duration_bounds),
        )
        self.sizes = Histogram(
            "cherrypy_response_size_bytes",
            DOCS["cherrypy_response_size_bytes"],
            LABEL_NAMES,
            registry=registry,
            buckets=tuple(size_bounds),
        )
        self.in_flight = Gauge(
            "cherrypy_requests_in_flight",
            DOCS["cherrypy_requests_in_flight"],
            ["app"],
            registry=registry,
            multiprocess_mode="livesum",
        )
        self._children: dict[tuple[Any, str, str, Any], tuple[Any, Any, Any]] = {}
        self._gauges: dict[Any, Any] = {}
        self._lock = threading.Lock()

    def request_started(self, request: Any) -> tuple[float, Any]:
        """Count the request in flight; remember when it started."""
        app = request.app
        gauge = self._gauges.get(app)
        if gauge is None:
            gauge = self._gauges[app] = self.in_flight.labels(app_label(app))
        gauge.inc()
        return perf_counter(), gauge

    def request_finished(
        self,
        request: Any,
        response: Any,
        state: tuple[float, Any],
        error: BaseException | None,
        body_bytes: int,
    ) -> None:
        """Count the finished request."""
        elapsed = perf_counter() - state[0]
        state[1].dec()
        if getattr(request, "metrics_skip", False):
            return
        key = request_key(request, response, error)
        children = self._children.get(key)
        if children is None:
            with self._lock:
                labels = label_values(key)
                children = self._children[key] = (
                    self.requests.labels(*labels),
                    self.durations.labels(*labels),
                    self.sizes.labels(*labels),
                )
        children[0].inc()
        children[1].observe(elapsed)
        children[2].observe(body_bytes)
