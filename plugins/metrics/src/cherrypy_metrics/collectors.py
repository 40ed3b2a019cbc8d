"""prometheus-client collectors: the request families from a :class:`~.recorder.Recorder`
snapshot, and the server gauges read when scraped.

Nothing here runs per request: a scrape calls ``collect()``, which sums the recorder's shards
or reads the HTTP servers' public attributes at that moment.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

from .labels import LABEL_NAMES
from .recorder import Recorder

__all__ = [
    "DOCS",
    "SERVER_GAUGES",
    "RequestCollector",
    "ServerCollector",
]

DOCS = {
    "cherrypy_requests": "Requests served, by application, method, status class and route.",
    "cherrypy_request_duration_seconds": (
        "Time from the request's start to its body handed to the server, in seconds."
    ),
    "cherrypy_response_size_bytes": "Response body bytes handed to the server.",
    "cherrypy_requests_in_flight": "Requests started and not finished, by application.",
}
"""The help text of each request family."""

SERVER_GAUGES = {
    "cherrypy_server_workers": ("workers", "Worker threads alive."),
    "cherrypy_server_workers_busy": ("busy_workers", "Worker threads running a request."),
    "cherrypy_server_connections": (
        "open_connections",
        "Connections open in the server (idle keep-alive ones held by the selector included).",
    ),
    "cherrypy_server_queue_length": (
        "queued_requests",
        "Requests read and waiting for a free worker.",
    ),
    "cherrypy_server_taken_over_connections": (
        "open_takeovers",
        "Connections handed over to a plugin (WebSocket, Server-Sent Events) and still open.",
    ),
}
"""Gauge name -> (public attribute of the HTTP server it reads, help text).  A server that
lacks an attribute does not report that gauge."""


class RequestCollector(Collector):
    """The request families of the single-process mode, summed from a recorder when scraped."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder

    def describe(self) -> list[Metric]:
        """The families' names (so that the registry rejects a second owner of a name)."""
        return list(self._families())

    def _families(self) -> Iterator[Metric]:
        yield CounterMetricFamily(
            "cherrypy_requests", DOCS["cherrypy_requests"], labels=LABEL_NAMES
        )
        for name in ("cherrypy_request_duration_seconds", "cherrypy_response_size_bytes"):
            yield HistogramMetricFamily(name, DOCS[name], labels=LABEL_NAMES)
        yield GaugeMetricFamily(
            "cherrypy_requests_in_flight", DOCS["cherrypy_requests_in_flight"], labels=["app"]
        )

    def collect(self) -> Iterator[Metric]:
        """One sample set per label combination seen since start (or the last clear)."""
        snapshot = self.recorder.snapshot()
        requests, durations, sizes, in_flight = self._families()
        for key, record in sorted(snapshot.records.items()):
            labels = list(key)
            requests.add_metric(labels, record[0])  # type: ignore[attr-defined]
            duration_buckets, duration_sum, size_buckets, size_sum = snapshot.histograms(record)
            durations.add_metric(labels, _go(duration_buckets), duration_sum)  # type: ignore[attr-defined]
            sizes.add_metric(labels, _go(size_buckets), size_sum)  # type: ignore[attr-defined]
        for app, count in sorted(snapshot.in_flight.items()):
            in_flight.add_metric([app], count)  # type: ignore[attr-defined]
        yield from (requests, durations, sizes, in_flight)


def _go(pairs: list[tuple[float, int]]) -> list[tuple[str, float]]:
    return [(floatToGoString(bound), count) for bound, count in pairs]


class ServerCollector(Collector):
    """Gauges of the site's HTTP servers, read from their public attributes when scraped.

    ``servers()`` returns ``(name, http server)`` pairs: ``("main", cherrypy.server.httpserver)``
    and the extra ``server.<name>.*`` servers; a server not started yet is skipped.
    """

    def __init__(self, servers: Callable[[], list[tuple[str, Any]]]) -> None:
        self.servers = servers

    def describe(self) -> list[Metric]:
        """The gauges' names."""
        return [
            GaugeMetricFamily(name, doc, labels=["server"])
            for name, (_, doc) in SERVER_GAUGES.items()
        ]

    def collect(self) -> Iterator[Metric]:
        """The gauges of every running server that has the attribute each one reads."""
        servers = self.servers()
        for name, (attribute, doc) in SERVER_GAUGES.items():
            family = GaugeMetricFamily(name, doc, labels=["server"])
            for server_name, httpserver in servers:
                value = getattr(httpserver, attribute, None)
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    family.add_metric([server_name], value)
            if family.samples:
                yield family
