"""Switching metrics on and off for the site: the ``metrics.*`` global config keys.

:data:`metrics` (a :class:`MetricsSite`) holds the settings and, while switched on, the
observer registered with the kernel, the registry scrapes read and the way the page is
served.  The plugin's global ``metrics`` namespace handler feeds it each config update's
``metrics.*`` entries; the prometheus-client machinery is imported on the first switch-on,
never at start-up.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import cherrypy
from cherrypy import plugin as api

from .recorder import DEFAULT_DURATION_BUCKETS, DEFAULT_SIZE_BUCKETS, Recorder, ShardObserver

if TYPE_CHECKING:
    from prometheus_client.registry import CollectorRegistry

__all__ = [
    "DEFAULTS",
    "SESSION_STORE_ERROR_CHANNEL",
    "STATISTICS_NAMESPACE",
    "MetricsNamespace",
    "MetricsSite",
    "metrics",
]

DEFAULTS: dict[str, Any] = {
    "on": False,
    "path": "/metrics",
    "port": None,
    "host": "127.0.0.1",
    "duration_buckets": DEFAULT_DURATION_BUCKETS,
    "size_buckets": DEFAULT_SIZE_BUCKETS,
}
"""The ``metrics.*`` keys and their defaults."""

SESSION_STORE_ERROR_CHANNEL = "session_store_error"
"""The engine channel a session store publishes its failures on:
``engine.publish("session_store_error", store, operation, error)``."""

STATISTICS_NAMESPACE = "CherryPy Metrics"
"""The ``logging.statistics`` namespace the devtools statistics page shows."""


class MetricsSite:
    """The site's metrics: settings, and what is running while they are switched on."""

    def __init__(self) -> None:
        self.settings: dict[str, Any] = dict(DEFAULTS)
        """The current ``metrics.*`` settings (without the namespace)."""
        self.enabled = False
        """Whether requests are being counted (``metrics.on``)."""
        self.recorder: Recorder | None = None
        """The per-thread counts (single-process mode; None in multi-process mode)."""
        self.observer: Any = None
        """The request observer registered with the kernel while enabled."""
        self.registry: CollectorRegistry | None = None
        """The registry a scrape reads (prometheus-client's default one in single-process
        mode, a ``MultiProcessCollector``'s in multi-process mode)."""
        self.exposition: Any = None
        """The WSGI application grafted at ``metrics.path`` (None with ``metrics.port``)."""
        self.mounted_path: str | None = None
        self.port_server: Any = None
        """The :class:`~cherrypy_metrics.exposition.ExpositionServer` with ``metrics.port``."""
        self.session_errors: Any = None
        """The ``cherrypy_session_store_errors_total`` counter."""
        self._lock = threading.RLock()
        self._process_state: dict[str, Any] = {}

    # -- configuration -----------------------------------------------------------------------

    def configure(self, entries: Mapping[str, Any]) -> None:
        """Apply ``metrics.*`` entries (keys without the namespace), then switch accordingly."""
        with self._lock:
            was = dict(self.settings)
            # Unknown keys are the config checker's to report (it warns, naming the key).
            self.settings.update((k, v) for k, v in entries.items() if k in DEFAULTS)
            if self.enabled and self.settings != was:
                self.disable()
            if self.settings["on"] and not self.enabled:
                self.enable()
            elif not self.settings["on"] and self.enabled:
                self.disable()

    @property
    def multiprocess(self) -> bool:
        """Whether prometheus-client's multi-process mode is on (``PROMETHEUS_MULTIPROC_DIR``)."""
        return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))

    # -- switching -----------------------------------------------------------------------------

    def enable(self) -> None:
        """Count requests and serve the page (what ``metrics.on = True`` does)."""
        with self._lock:
            if self.enabled:
                return
            settings = self.settings
            if self.multiprocess:
                self._enable_multiprocess()
            else:
                self._enable_single_process()
            self._subscribe_session_errors()
            assert self.registry is not None
            if settings["port"] is not None:
                from .exposition import ExpositionServer

                server = ExpositionServer(
                    cherrypy.engine, self.registry, settings["host"], int(settings["port"])
                )
                server.subscribe()
                engine = cherrypy.engine
                if engine.state == engine.states.STARTED:
                    server.start()
                self.port_server = server
            else:
                self.mount()
            api.add_request_observer(self.observer)
            api.want_request_id_header("metrics")
            self.enabled = True

    def disable(self) -> None:
        """Stop counting and serving (what ``metrics.on = False`` does); the counts stay."""
        with self._lock:
            if not self.enabled:
                return
            self.enabled = False
            api.remove_request_observer(self.observer)
            api.want_request_id_header("metrics", wanted=False)
            self.unmount()
            server, self.port_server = self.port_server, None
            if server is not None:
                server.unsubscribe()
                server.stop()
            cherrypy.engine.unsubscribe(SESSION_STORE_ERROR_CHANNEL, self.count_session_error)
            stats = getattr(logging, "statistics", None)
            if isinstance(stats, dict):
                stats.pop(STATISTICS_NAMESPACE, None)

    def mount(self) -> None:
        """Graft the page at ``metrics.path`` on ``cherrypy.tree`` (again, if it was removed)."""
        from .exposition import ExpositionApp

        assert self.registry is not None
        path = "/" + str(self.settings["path"]).strip("/")
        if self.exposition is None or self.exposition.registry is not self.registry:
            self.exposition = ExpositionApp(self.registry)
        cherrypy.tree.graft(self.exposition, path)
        self.mounted_path = path

    def unmount(self) -> None:
        """Take the page off ``cherrypy.tree`` (if it is still the one mounted there)."""
        path, self.mounted_path = self.mounted_path, None
        if path is not None and cherrypy.tree.apps.get(path) is self.exposition:
            del cherrypy.tree.apps[path]

    def _enable_single_process(self) -> None:
        from prometheus_client import REGISTRY

        from .collectors import RequestCollector, ServerCollector

        state = self._process_state
        buckets = (tuple(self.settings["duration_buckets"]), tuple(self.settings["size_buckets"]))
        recorder = state.get("recorder")
        if recorder is None or state.get("buckets") != buckets:
            recorder = Recorder(*buckets)
            collector = state.get("request_collector")
            if collector is None:
                collector = state["request_collector"] = RequestCollector(recorder)
                REGISTRY.register(collector)
            collector.recorder = recorder
            state["recorder"], state["buckets"] = recorder, buckets
        if "server_collector" not in state:
            state["server_collector"] = ServerCollector(http_servers)
            REGISTRY.register(state["server_collector"])
        self.recorder = recorder
        self.observer = ShardObserver(recorder)
        self.registry = REGISTRY
        self._publish_statistics(recorder)

    def _enable_multiprocess(self) -> None:
        from prometheus_client.multiprocess import MultiProcessCollector
        from prometheus_client.registry import CollectorRegistry

        from .multiprocess import MultiProcessObserver

        state = self._process_state
        observer = state.get("mp_observer")
        if observer is None:
            observer = state["mp_observer"] = MultiProcessObserver(
                None, self.settings["duration_buckets"], self.settings["size_buckets"]
            )
            registry = state["mp_registry"] = CollectorRegistry()
            MultiProcessCollector(registry)
        self.recorder = None
        self.observer = observer
        self.registry = state["mp_registry"]

    # -- session store errors ----------------------------------------------------------------

    def _subscribe_session_errors(self) -> None:
        if self.session_errors is None:
            from prometheus_client import Counter

            self.session_errors = Counter(
                "cherrypy_session_store_errors",
                "Failures of the session store, by store and operation.",
                ["store", "operation"],
                registry=None if self.multiprocess else self.registry,
            )
        cherrypy.engine.subscribe(SESSION_STORE_ERROR_CHANNEL, self.count_session_error)

    def count_session_error(self, store: Any, operation: Any, error: Any = None) -> None:
        """Count one failure of a session store (the ``session_store_error`` channel, published by cherrypy-sessions).

        ``store`` is the store's name or class, ``operation`` what failed (``"load"``,
        ``"save"``, ``"delete"``, ``"lock"``, ``"clean_up"``); other operations count as
        ``"other"``, so the labels stay bounded.
        """
        if not isinstance(store, str):
            store = getattr(store, "__name__", None) or type(store).__name__
        if operation not in _SESSION_OPERATIONS:
            operation = "other"
        self.session_errors.labels(store, operation).inc()

    # -- the devtools statistics page --------------------------------------------------------

    def _publish_statistics(self, recorder: Recorder) -> None:
        stats = getattr(logging, "statistics", None)
        if not isinstance(stats, dict):
            stats = logging.statistics = {}  # type: ignore[attr-defined]
        stats[STATISTICS_NAMESPACE] = statistics_namespace(recorder)


_SESSION_OPERATIONS = frozenset({"load", "save", "delete", "lock", "clean_up"})


def statistics_namespace(recorder: Recorder) -> dict[str, Any]:
    """The ``logging.statistics`` namespace reading ``recorder``: totals, per status class and
    per route (values computed when the page reads them)."""

    def total(_ns: Mapping[str, Any]) -> int:
        return sum(recorder.snapshot().counts_by_status().values())

    def in_flight(_ns: Mapping[str, Any]) -> int:
        return sum(recorder.snapshot().in_flight.values())

    def by_status(_ns: Mapping[str, Any]) -> dict[str, dict[str, int]]:
        counts = recorder.snapshot().counts_by_status()
        return {status: {"Requests": n} for status, n in sorted(counts.items())}

    def by_route(_ns: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
        routes: dict[str, dict[str, Any]] = {}
        for (app, _method, _status, route), record in recorder.snapshot().records.items():
            row = routes.setdefault(
                f"{app} {route}", {"Requests": 0, "Total Time": 0.0, "Bytes Written": 0}
            )
            row["Requests"] += int(record[0])
            row["Total Time"] += record[1]
            row["Bytes Written"] += int(record[2])
        return routes

    return {
        "Requests": total,
        "Requests In Flight": in_flight,
        "Requests by Status Class": by_status,
        "Requests by Route": by_route,
    }


def http_servers() -> list[tuple[str, Any]]:
    """``(name, HTTP server)`` of the site's running servers: ``cherrypy.server`` as
    ``"main"`` and the extra ``server.<name>.*`` ones (``cherrypy.servers``)."""
    found: list[tuple[str, Any]] = []
    try:
        adapters: list[tuple[str, Any]] = [("main", cherrypy.server)]
    except Exception:
        return found
    extra = getattr(cherrypy, "servers", None)
    if isinstance(extra, Mapping):
        adapters.extend(sorted(extra.items()))
    for name, adapter in adapters:
        httpserver = getattr(adapter, "httpserver", None)
        if httpserver is not None and getattr(httpserver, "ready", False):
            found.append((str(name), httpserver))
    return found


metrics = MetricsSite()
"""The site's metrics (one per process, like ``cherrypy.server``)."""


class MetricsNamespace(api.BatchNamespace):
    """The global ``metrics`` config namespace handler: one update's ``metrics.*`` entries are
    applied together (``metrics.on`` and the other keys may come in any order)."""

    def __init__(self, site: MetricsSite) -> None:
        super().__init__(site.configure)
        self.site = site
