"""Request counts kept per thread, summed when scraped: the single-process fast path.

Each thread that finishes a request writes only to its own :class:`Shard` (a dict from a raw
label key to a list of numbers), so no lock is taken per request and no update is lost: the
counts are exact.  A scrape (:meth:`Recorder.snapshot`) copies every shard and sums them;
the shards of threads that have ended are folded into one retired shard then, so a worker
pool that grows and shrinks does not make the shard list grow.

:class:`ShardObserver` is the kernel's request observer for this mode
(``cherrypy.plugin.add_request_observer``); the prometheus-client families are built from a
snapshot by :mod:`cherrypy_metrics.collectors`.  Under gunicorn's multi-process mode the
counts must live in files shared by the workers instead: see
:mod:`cherrypy_metrics.multiprocess`.
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections.abc import Sequence
from time import perf_counter
from typing import Any

from .labels import app_label, label_values, request_key

__all__ = [
    "DEFAULT_DURATION_BUCKETS",
    "DEFAULT_SIZE_BUCKETS",
    "Recorder",
    "Shard",
    "ShardObserver",
    "Snapshot",
]

DEFAULT_DURATION_BUCKETS = (
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
)
"""Upper bounds (seconds) of ``cherrypy_request_duration_seconds`` (``metrics.duration_buckets``)."""

DEFAULT_SIZE_BUCKETS = (100.0, 1_000.0, 10_000.0, 100_000.0, 1_000_000.0, 10_000_000.0)
"""Upper bounds (bytes) of ``cherrypy_response_size_bytes`` (``metrics.size_buckets``)."""

# A record is a list: [count, duration sum, size sum, duration buckets..., size buckets...],
# each bucket counting the values up to its bound that are above the previous one (the last
# bucket of each histogram is +Inf); cumulative counts are computed when scraped.
_COUNT, _DURATION_SUM, _SIZE_SUM, _FIRST_BUCKET = 0, 1, 2, 3

RawKey = tuple[Any, str, str, Any]
"""``(request.app, method label, status class, request.route)`` (:func:`.labels.request_key`)."""


class Shard:
    """One thread's counts: records by raw key, and requests started and finished per app."""

    __slots__ = ("finished", "records", "started", "thread")

    def __init__(self, thread: threading.Thread | None) -> None:
        self.thread = thread
        """The thread writing to this shard (None for the retired shard)."""
        self.records: dict[RawKey, list[float]] = {}
        """Raw key -> record (see the module's layout comment)."""
        self.started: dict[Any, int] = {}
        """``request.app`` -> requests this thread saw start."""
        self.finished: dict[Any, int] = {}
        """``request.app`` (as it was at the start) -> requests this thread saw finish without
        counting them in ``records`` (paths where ``metrics.on`` is False); the others are
        the records' counts, whose keys hold the same app."""


class Snapshot:
    """The summed counts at one scrape, by label values."""

    __slots__ = ("duration_bounds", "in_flight", "records", "size_bounds")

    def __init__(
        self,
        records: dict[tuple[str, str, str, str], list[float]],
        in_flight: dict[str, int],
        duration_bounds: tuple[float, ...],
        size_bounds: tuple[float, ...],
    ) -> None:
        self.records = records
        """``(app, method, status, route)`` -> record."""
        self.in_flight = in_flight
        """``app`` -> requests started and not finished."""
        self.duration_bounds = duration_bounds
        self.size_bounds = size_bounds

    def count(self, key: tuple[str, str, str, str]) -> int:
        """Requests finished under ``key``."""
        record = self.records.get(key)
        return int(record[_COUNT]) if record else 0

    def counts_by_status(self) -> dict[str, int]:
        """Requests finished per status class."""
        totals: dict[str, int] = {}
        for (_app, _method, status, _route), record in self.records.items():
            totals[status] = totals.get(status, 0) + int(record[_COUNT])
        return totals

    def histograms(
        self, record: list[float]
    ) -> tuple[list[tuple[float, int]], float, list[tuple[float, int]], float]:
        """Cumulative ``(bound, count)`` pairs and sums of a record's two histograms
        (the last bound is ``inf``)."""
        first_size = _FIRST_BUCKET + len(self.duration_bounds) + 1
        durations = _cumulative(self.duration_bounds, record[_FIRST_BUCKET:first_size])
        sizes = _cumulative(self.size_bounds, record[first_size:])
        return durations, record[_DURATION_SUM], sizes, record[_SIZE_SUM]


def _cumulative(bounds: Sequence[float], counts: Sequence[float]) -> list[tuple[float, int]]:
    total = 0
    pairs = []
    for bound, count in zip((*bounds, float("inf")), counts, strict=True):
        total += int(count)
        pairs.append((bound, total))
    return pairs


class Recorder:
    """The shards of every thread, and the bucket bounds they count with."""

    def __init__(
        self,
        duration_bounds: Sequence[float] = DEFAULT_DURATION_BUCKETS,
        size_bounds: Sequence[float] = DEFAULT_SIZE_BUCKETS,
    ) -> None:
        self.duration_bounds = tuple(sorted(float(b) for b in duration_bounds))
        """Upper bounds of the duration buckets (seconds, +Inf implied)."""
        self.size_bounds = tuple(sorted(float(b) for b in size_bounds))
        """Upper bounds of the size buckets (bytes, +Inf implied)."""
        self.size_offset = _FIRST_BUCKET + len(self.duration_bounds) + 1
        """Index of the first size bucket in a record."""
        self.record_length = self.size_offset + len(self.size_bounds) + 1
        """Length of a record."""
        self.local = threading.local()
        """Holds this thread's shard as ``shard``."""
        self.shards: list[Shard] = []
        """Every live thread's shard (and the retired one, first)."""
        self.lock = threading.Lock()
        """Taken to add a shard and to scrape, never per request."""
        self.cleared: dict[Any, int] = {}
        """``request.app`` -> requests finished whose records :meth:`clear` dropped."""
        self.retired = Shard(None)
        self.shards.append(self.retired)

    def new_shard(self) -> Shard:
        """This thread's shard, created on its first request."""
        shard = Shard(threading.current_thread())
        with self.lock:
            self.shards.append(shard)
        self.local.shard = shard
        return shard

    def new_record(self) -> list[float]:
        """An empty record."""
        return [0] * self.record_length

    def clear(self) -> None:
        """Forget every count (requests in flight stay counted as such)."""
        with self.lock:
            for shard in self.shards:
                records, shard.records = shard.records, {}
                # The records' counts stand for finished requests: keep them as such.
                cleared = self.cleared
                for raw, record in records.items():
                    app = raw[0]
                    cleared[app] = cleared.get(app, 0) + int(record[_COUNT])

    def snapshot(self) -> Snapshot:
        """Sum every shard (under the scrape lock; requests go on meanwhile)."""
        with self.lock:
            self._retire_dead_threads()
            shards = list(self.shards)
            records: dict[tuple[str, str, str, str], list[float]] = {}
            started: dict[Any, int] = {}
            finished: dict[Any, int] = dict(self.cleared)
            for shard in shards:
                for raw, record in shard.records.copy().items():
                    app = raw[0]
                    finished[app] = finished.get(app, 0) + int(record[_COUNT])
                    key = label_values(raw)
                    total = records.get(key)
                    if total is None:
                        records[key] = list(record)
                    else:
                        for i, value in enumerate(record):
                            total[i] += value
                for app, n in shard.started.copy().items():
                    started[app] = started.get(app, 0) + n
                for app, n in shard.finished.copy().items():
                    finished[app] = finished.get(app, 0) + n
        in_flight: dict[str, int] = {}
        for app, n in started.items():
            label = app_label(app)
            in_flight[label] = in_flight.get(label, 0) + n - finished.get(app, 0)
        return Snapshot(records, in_flight, self.duration_bounds, self.size_bounds)

    def _retire_dead_threads(self) -> None:
        retired = self.retired
        for shard in list(self.shards):
            thread = shard.thread
            if thread is None or thread.is_alive():
                continue
            self.shards.remove(shard)
            for raw, record in shard.records.items():
                total = retired.records.get(raw)
                if total is None:
                    retired.records[raw] = list(record)
                else:
                    for i, value in enumerate(record):
                        total[i] += value
            for counts, into in (
                (shard.started, retired.started),
                (shard.finished, retired.finished),
            ):
                for app, n in counts.items():
                    into[app] = into.get(app, 0) + n


class ShardObserver:
    """The request observer of the single-process mode: counts into :class:`Recorder` shards.

    ``request_started`` returns ``(start time, request.app)``; ``request_finished`` adds the
    request to its record.  A request on a path where ``metrics.on`` is False
    (``request.metrics_skip`` set by the plugin's pipeline callback) is only taken out of the
    in-flight count.
    """

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self.local = recorder.local

    def request_started(self, request: Any) -> tuple[float, Any]:
        """Count the request in flight; remember when it started."""
        app = request.app
        try:
            shard = self.local.shard
        except AttributeError:
            shard = self.recorder.new_shard()
        started = shard.started
        started[app] = started.get(app, 0) + 1
        return perf_counter(), app

    def request_finished(
        self,
        request: Any,
        response: Any,
        state: tuple[float, Any],
        error: BaseException | None,
        body_bytes: int,
    ) -> None:
        """Add the finished request to its record (which takes it out of the in-flight
        count), or only count it as finished on a path where ``metrics.on`` is False."""
        elapsed = perf_counter() - state[0]
        recorder = self.recorder
        try:
            shard = self.local.shard
        except AttributeError:
            shard = recorder.new_shard()
        app = state[1]
        if getattr(request, "metrics_skip", False):
            finished = shard.finished
            finished[app] = finished.get(app, 0) + 1
            return
        key = request_key(request, response, error, app)
        records = shard.records
        record = records.get(key)
        if record is None:
            record = records[key] = recorder.new_record()
        record[_COUNT] += 1
        record[_DURATION_SUM] += elapsed
        record[_SIZE_SUM] += body_bytes
        record[_FIRST_BUCKET + bisect_left(recorder.duration_bounds, elapsed)] += 1
        record[recorder.size_offset + bisect_left(recorder.size_bounds, body_bytes)] += 1
