"""The recorder, the observers and the labels, with stand-in request and response objects."""

from __future__ import annotations

import threading
from types import SimpleNamespace
from typing import Any

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from cherrypy_metrics.collectors import RequestCollector, ServerCollector
from cherrypy_metrics.labels import app_label, method_label, status_class
from cherrypy_metrics.recorder import Recorder, ShardObserver


class FakeApp:
    def __init__(self, script_name: str) -> None:
        self.script_name = script_name


ROOT = FakeApp("")
SHOP = FakeApp("/shop")


def fake_request(app: Any = ROOT, method: str = "GET", route: str | None = "/index") -> Any:
    return SimpleNamespace(app=app, method=method, route=route)


def fake_response(status: str = "200 OK") -> Any:
    return SimpleNamespace(status=status, output_status=status.encode())


def serve(
    observer: ShardObserver,
    request: Any,
    response: Any,
    body_bytes: int = 10,
    error: BaseException | None = None,
) -> None:
    state = observer.request_started(request)
    observer.request_finished(request, response, state, error, body_bytes)


def samples(recorder: Recorder) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    registry = CollectorRegistry()
    registry.register(RequestCollector(recorder))
    text = generate_latest(registry).decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_labels_are_bounded() -> None:
    assert method_label("GET") == "GET"
    assert method_label("BREW") == "other"
    assert method_label(b"GET") == "other"
    assert app_label(None) == "none"
    assert app_label(ROOT) == "/"
    assert app_label(SHOP) == "/shop"
    assert status_class(fake_response("404 Not Found")) == "4xx"
    assert status_class(SimpleNamespace(status=302, output_status=b"")) == "3xx"
    assert status_class(SimpleNamespace(status=None, output_status=b"")) == "2xx"
    assert status_class(SimpleNamespace(status="bogus", output_status=b""), ValueError()) == "5xx"


def test_counts_histograms_and_labels() -> None:
    recorder = Recorder(duration_bounds=(0.5, 1.0), size_bounds=(10, 100))
    observer = ShardObserver(recorder)
    serve(observer, fake_request(), fake_response(), body_bytes=5)
    serve(observer, fake_request(), fake_response(), body_bytes=50)
    serve(observer, fake_request(SHOP, "BREW", None), fake_response("404 Not Found"), 0)
    serve(observer, fake_request(None, "POST", None), fake_response("404 Not Found"), 0)
    found = samples(recorder)
    index = (("app", "/"), ("method", "GET"), ("route", "/index"), ("status", "2xx"))
    assert found[("cherrypy_requests_total", index)] == 2
    size_bucket = "cherrypy_response_size_bytes_bucket"
    assert found[(size_bucket, tuple(sorted((*index, ("le", "10.0")))))] == 1
    assert found[(size_bucket, tuple(sorted((*index, ("le", "100.0")))))] == 2
    assert found[(size_bucket, tuple(sorted((*index, ("le", "+Inf")))))] == 2
    assert found[("cherrypy_response_size_bytes_sum", index)] == 55
    assert found[("cherrypy_request_duration_seconds_count", index)] == 2
    unmatched = (("app", "/shop"), ("method", "other"), ("route", "unmatched"), ("status", "4xx"))
    assert found[("cherrypy_requests_total", unmatched)] == 1
    no_app = (("app", "none"), ("method", "POST"), ("route", "unmatched"), ("status", "4xx"))
    assert found[("cherrypy_requests_total", no_app)] == 1
    assert found[("cherrypy_requests_in_flight", (("app", "/"),))] == 0


def test_in_flight_and_skipped_requests() -> None:
    recorder = Recorder()
    observer = ShardObserver(recorder)
    request = fake_request()
    state = observer.request_started(request)
    assert recorder.snapshot().in_flight == {"/": 1}
    request.metrics_skip = True
    observer.request_finished(request, fake_response(), state, None, 3)
    snapshot = recorder.snapshot()
    assert snapshot.in_flight == {"/": 0}
    assert snapshot.records == {}


def test_a_request_finished_in_another_thread_leaves_in_flight() -> None:
    recorder = Recorder()
    observer = ShardObserver(recorder)
    request = fake_request()
    state = observer.request_started(request)
    thread = threading.Thread(
        target=observer.request_finished, args=(request, fake_response(), state, None, 1)
    )
    thread.start()
    thread.join()
    snapshot = recorder.snapshot()
    assert snapshot.in_flight == {"/": 0}
    assert snapshot.counts_by_status() == {"2xx": 1}


def test_counts_are_exact_across_threads_and_survive_them() -> None:
    recorder = Recorder()
    observer = ShardObserver(recorder)
    statuses = ("200 OK", "404 Not Found", "500 Internal Server Error", "303 See Other")

    def work(n: int) -> None:
        for i in range(2_000):
            serve(observer, fake_request(), fake_response(statuses[(i + n) % 4]))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    recorder.snapshot()  # a scrape while they run
    for thread in threads:
        thread.join()
    snapshot = recorder.snapshot()
    assert snapshot.counts_by_status() == {"2xx": 4_000, "4xx": 4_000, "5xx": 4_000, "3xx": 4_000}
    assert len(recorder.shards) == 1  # the ended threads' shards are folded into the retired one
    assert recorder.snapshot().counts_by_status()["2xx"] == 4_000


def test_clear_forgets_the_counts() -> None:
    recorder = Recorder()
    observer = ShardObserver(recorder)
    serve(observer, fake_request(), fake_response())
    recorder.clear()
    assert recorder.snapshot().records == {}


def test_in_flight_is_exact_per_app_whatever_was_counted_or_cleared() -> None:
    # Finished requests are counted by their records (plus the skipped ones): in flight is
    # what started minus that, per application, before and after clear().
    recorder = Recorder()
    observer = ShardObserver(recorder)
    for _ in range(3):
        serve(observer, fake_request(ROOT), fake_response())
    serve(observer, fake_request(SHOP, method="BREW"), fake_response("418 I'm a teapot"))
    pending = [observer.request_started(fake_request(SHOP)) for _ in range(2)]
    skipped = fake_request(ROOT)
    skipped.metrics_skip = True
    serve(observer, skipped, fake_response())
    assert recorder.snapshot().in_flight == {"/": 0, "/shop": 2}
    recorder.clear()
    assert recorder.snapshot().in_flight == {"/": 0, "/shop": 2}
    for state in pending:
        observer.request_finished(fake_request(SHOP), fake_response(), state, None, 1)
    snapshot = recorder.snapshot()
    assert snapshot.in_flight == {"/": 0, "/shop": 0}
    assert snapshot.counts_by_status() == {"2xx": 2}
    assert snapshot.count(("/shop", "GET", "2xx", "/index")) == 2


class FakeServer:
    ready = True
    workers = 10
    busy_workers = 2
    open_connections = 7
    queued_requests = 0
    open_takeovers = 1


def test_server_gauges_read_public_attributes() -> None:
    registry = CollectorRegistry()
    registry.register(ServerCollector(lambda: [("main", FakeServer())]))
    assert registry.get_sample_value("cherrypy_server_workers", {"server": "main"}) == 10
    assert registry.get_sample_value("cherrypy_server_workers_busy", {"server": "main"}) == 2
    assert registry.get_sample_value("cherrypy_server_connections", {"server": "main"}) == 7
    assert registry.get_sample_value("cherrypy_server_queue_length", {"server": "main"}) == 0
    value = registry.get_sample_value("cherrypy_server_taken_over_connections", {"server": "main"})
    assert value == 1


def test_a_server_without_an_attribute_reports_no_such_gauge() -> None:
    registry = CollectorRegistry()
    registry.register(ServerCollector(lambda: [("main", SimpleNamespace(open_takeovers=0))]))
    assert registry.get_sample_value("cherrypy_server_workers", {"server": "main"}) is None
    value = registry.get_sample_value("cherrypy_server_taken_over_connections", {"server": "main"})
    assert value == 0


@pytest.mark.parametrize("name", ["cherrypy_requests_total"])
def test_one_family_ends_in_requests_total(name: str) -> None:
    recorder = Recorder()
    serve(ShardObserver(recorder), fake_request(), fake_response())
    registry = CollectorRegistry()
    registry.register(RequestCollector(recorder))
    registry.register(ServerCollector(lambda: [("main", FakeServer())]))
    names = {
        sample.name
        for family in text_string_to_metric_families(generate_latest(registry).decode())
        for sample in family.samples
    }
    assert [n for n in names if n.endswith("requests_total")] == [name]
