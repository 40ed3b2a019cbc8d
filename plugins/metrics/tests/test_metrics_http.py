"""cherrypy-metrics over real HTTP: exact counts, bounded labels, per-path off, the page's
path and port, session store errors and the devtools statistics page."""

from __future__ import annotations

import random
import string
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.client import HTTPConnection
from urllib.parse import urlsplit

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

import cherrypy
from cherrypy.testing import engine_without_server, serve
from cherrypy_metrics import metrics

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


class Shop:
    @cherrypy.expose
    def index(self) -> str:
        return "shop"

    @cherrypy.expose
    def item(self, number: str) -> str:
        return "item " + number

    @cherrypy.expose
    def echo(self, **params: str) -> bytes:
        return cherrypy.request.body.read()

    @cherrypy.expose
    def boom(self) -> str:
        raise ValueError("the handler failed")

    @cherrypy.expose
    def go(self) -> str:
        raise cherrypy.HTTPRedirect("/shop/")

    @cherrypy.expose
    def moved(self) -> str:
        raise cherrypy.HTTPRedirect("/shop/", 301)

    @cherrypy.expose
    def forbidden(self) -> str:
        raise cherrypy.HTTPError(403)

    @cherrypy.expose
    def teapot(self) -> str:
        cherrypy.response.status = 418
        return "short and stout"


class Blog:
    @cherrypy.expose
    def index(self) -> str:
        return "blog"

    @cherrypy.expose
    def private(self) -> str:
        return "not counted"


def scrape(url: str) -> Samples:
    reply = requests.get(url, timeout=10)
    assert reply.status_code == 200, reply.text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(reply.text)
        for sample in family.samples
    }


def requests_by_status(samples: Samples) -> dict[str, int]:
    totals: Counter[str] = Counter()
    for (name, labels), value in samples.items():
        if name == "cherrypy_requests_total":
            totals[dict(labels)["status"]] += int(value)
    return dict(totals)


def settled(url: str) -> Samples:
    """Scrape once no request is in flight (a request is finished just after its body is
    handed to the server, so the client may see the answer a moment before)."""
    done = threading.Event()
    for _ in range(1000):
        samples = scrape(url)
        if not any(
            value for (name, _), value in samples.items() if name == "cherrypy_requests_in_flight"
        ):
            return samples
        done.wait(0.01)
    raise AssertionError("requests still in flight")


@pytest.fixture
def site() -> Iterator[str]:
    cherrypy.tree.mount(Shop(), "/shop")
    cherrypy.tree.mount(Blog(), "/blog", {"/private": {"metrics.on": False}})
    cherrypy.config.update({"metrics.on": True})
    assert metrics.recorder is not None
    metrics.recorder.clear()
    with serve() as base:
        yield base


PLAN = [
    ("GET", "/shop/", 200),
    ("GET", "/shop/item/{i}", 200),
    ("POST", "/shop/echo", 200),
    ("HEAD", "/shop/", 200),
    ("GET", "/blog/", 200),
    ("GET", "/shop/missing/{i}", 404),  # the dispatcher's 404
    ("GET", "/nowhere/{i}", 404),  # no application mounted there: the tree's 404
    ("GET", "/shop/item", 404),  # a missing handler argument
    ("GET", "/shop/boom", 500),
    ("GET", "/shop/go", 303),
    ("GET", "/shop/moved", 301),
    ("GET", "/blog", 301),  # tools.trailing_slash
    ("GET", "/shop/forbidden", 403),
    ("GET", "/shop/teapot", 418),
]


def test_counters_equal_the_requests_made_per_status_class(site: str) -> None:
    local = threading.local()
    host, port = urlsplit(site).netloc.split(":")

    def send(i: int) -> tuple[int, int]:
        connection = getattr(local, "connection", None)
        if connection is None:
            connection = local.connection = HTTPConnection(host, int(port), timeout=30)
        method, path, expected = PLAN[i % len(PLAN)]
        body = b"x" * (i % 50) if method == "POST" else None
        connection.request(method, path.format(i=i), body=body)
        reply = connection.getresponse()
        reply.read()
        if reply.will_close:
            connection.close()
            local.connection = None
        return expected, reply.status

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(send, range(10_000)))
    assert all(expected == got for expected, got in results)
    sent = Counter(f"{status // 100}xx" for _, status in results)
    samples = settled(site + "/metrics")
    assert requests_by_status(samples) == dict(sent)
    assert sum(requests_by_status(samples).values()) == 10_000
    no_app = (("app", "none"), ("method", "GET"), ("route", "unmatched"), ("status", "4xx"))
    assert samples[("cherrypy_requests_total", no_app)] == sent_to(results, "/nowhere/{i}")
    histogram_total = sum(
        value
        for (name, labels), value in samples.items()
        if name == "cherrypy_request_duration_seconds_count"
    )
    assert histogram_total == 10_000


def sent_to(results: list[tuple[int, int]], path: str) -> int:
    index = [p for _, p, _ in PLAN].index(path)
    return sum(1 for i in range(len(results)) if i % len(PLAN) == index)


def test_labels_stay_bounded_whatever_clients_send(site: str) -> None:
    rng = random.Random(22)
    methods = ["GET", "POST", "BREW", "PROPFIND", "XYZZY", "DELETE"]
    session = requests.Session()
    for _ in range(300):
        segment = "".join(rng.choices(string.ascii_letters + string.digits, k=12))
        path = rng.choice(["/shop/item/", "/shop/", "/blog/", "/", "/zz/"]) + segment
        query = "?" + segment + "=1" if rng.random() < 0.5 else ""
        session.request(rng.choice(methods), site + path + query, allow_redirects=False)
    samples = settled(site + "/metrics")
    label_sets = [dict(labels) for (name, labels) in samples if name == "cherrypy_requests_total"]
    assert {labels["method"] for labels in label_sets} <= {"GET", "POST", "DELETE", "other"}
    assert {labels["route"] for labels in label_sets} <= {"/shop/item", "unmatched"}
    assert {labels["app"] for labels in label_sets} <= {"/shop", "/blog", "none"}
    assert len(label_sets) <= 3 * 4 * 2 * 5
    text = requests.get(site + "/metrics").text
    assert "zz" not in text and "?" not in text.replace("# HELP", "")


def test_a_path_with_metrics_off_is_not_counted(site: str) -> None:
    assert requests.get(site + "/blog/private").text == "not counted"
    assert requests.get(site + "/blog/").text == "blog"
    samples = settled(site + "/metrics")
    routes = {
        dict(labels)["route"] for (name, labels) in samples if name == "cherrypy_requests_total"
    }
    assert routes == {"/blog/"}


def test_responses_carry_a_request_id(site: str) -> None:
    reply = requests.get(site + "/shop/", headers={"X-Request-ID": "abc-123"})
    assert reply.headers["X-Request-ID"] == "abc-123"


def test_the_page_answers_only_its_path_and_is_not_counted(site: str) -> None:
    assert requests.get(site + "/metrics/more").status_code == 404
    assert requests.get(site + "/metrics").headers["Content-Type"].startswith("text/plain")
    samples = settled(site + "/metrics")
    assert requests_by_status(samples) == {}


def test_switching_off_takes_the_page_away() -> None:
    cherrypy.config.update({"metrics.on": True})
    assert "/metrics" in cherrypy.tree.apps
    cherrypy.config.update({"metrics.on": False})
    assert "/metrics" not in cherrypy.tree.apps
    assert not metrics.enabled


def test_the_path_is_configurable() -> None:
    cherrypy.tree.mount(Shop(), "/")
    cherrypy.config.update({"metrics.on": True, "metrics.path": "/internal/prometheus"})
    with serve() as base:
        requests.get(base + "/")
        samples = settled(base + "/internal/prometheus")
        assert requests_by_status(samples) == {"2xx": 1}
        assert requests.get(base + "/metrics").status_code == 404  # the root app's own 404


def test_a_separate_port_serves_the_page_with_the_engine() -> None:
    cherrypy.tree.mount(Shop(), "/shop", {"/": {"tools.encode.on": True}})
    cherrypy.config.update({"metrics.on": True, "metrics.port": 0})
    assert "/metrics" not in cherrypy.tree.apps
    with engine_without_server(), serve() as base:
        port = metrics.port_server.bound_port
        assert port
        assert requests.get(base + "/shop/").status_code == 200
        assert requests.get(base + "/metrics").status_code == 404
        samples = settled(f"http://127.0.0.1:{port}/metrics")
        assert requests_by_status(samples) == {"2xx": 1, "4xx": 1}
    assert metrics.port_server.httpd is None  # stopped with the engine


def test_session_store_errors_are_counted_from_the_engine_channel() -> None:
    cherrypy.tree.mount(Shop(), "/shop")
    cherrypy.config.update({"metrics.on": True})
    before = metrics.session_errors.labels("FileSession", "save")._value.get()
    cherrypy.engine.publish("session_store_error", "FileSession", "save", OSError("disk full"))
    cherrypy.engine.publish("session_store_error", "FileSession", "unheard-of", OSError())
    with serve() as base:
        samples = scrape(base + "/metrics")
    key = (
        "cherrypy_session_store_errors_total",
        (("operation", "save"), ("store", "FileSession")),
    )
    assert samples[key] == before + 1
    other = (
        "cherrypy_session_store_errors_total",
        (("operation", "other"), ("store", "FileSession")),
    )
    assert samples[other] >= 1


def test_the_devtools_statistics_page_reads_the_same_counts(site: str) -> None:
    from cherrypy.lib.cpstats import StatsPage

    cherrypy.tree.mount(StatsPage(), "/cpstats", {"/": {"metrics.on": False}})
    for path in ("/shop/", "/shop/", "/shop/missing"):
        requests.get(site + path)
    settled(site + "/metrics")
    data = requests.get(site + "/cpstats/data").json()["CherryPy Metrics"]
    assert data["Requests"] == 3
    assert data["Requests by Status Class"] == {"2xx": {"Requests": 2}, "4xx": {"Requests": 1}}
    assert data["Requests by Route"]["/shop /shop/"]["Requests"] == 2
    assert "CherryPy Metrics" in requests.get(site + "/cpstats/").text


def test_server_gauges_describe_the_running_server(monkeypatch: pytest.MonkeyPatch) -> None:
    from cherrypy_server import HTTPServer

    cherrypy.tree.mount(Shop(), "/shop", {"/": {"tools.encode.on": True}})
    cherrypy.config.update({"metrics.on": True})
    httpd = HTTPServer(("127.0.0.1", 0), cherrypy.tree, 4, timeout=5, shutdown_timeout=2)
    httpd.start_in_thread()
    # What the engine's server adapter holds once started: the gauges read cherrypy.server.
    monkeypatch.setattr(cherrypy.server, "httpserver", httpd, raising=False)
    try:
        port = httpd.bound_addr[1]
        held = HTTPConnection("127.0.0.1", port, timeout=10)
        held.request("GET", "/shop/")
        held.getresponse().read()  # a keep-alive connection left open, idle
        samples = scrape(f"http://127.0.0.1:{port}/metrics")
        held.close()
    finally:
        httpd.stop()
    main = (("server", "main"),)
    assert samples[("cherrypy_server_workers", main)] >= 4
    assert samples[("cherrypy_server_workers_busy", main)] >= 1  # the one serving the scrape
    assert samples[("cherrypy_server_connections", main)] >= 2  # the scrape's and the idle one
    assert samples[("cherrypy_server_queue_length", main)] >= 0
    assert samples[("cherrypy_server_taken_over_connections", main)] == 0


def test_a_failing_session_store_is_counted() -> None:
    import datetime

    from cherrypy_sessions.ram import RamSession

    class FailingStore(RamSession):
        def _save(self, expiration_time: datetime.datetime) -> None:
            raise OSError("the store is gone")

    class Counter:
        @cherrypy.expose
        def index(self) -> str:
            cherrypy.session["n"] = 1
            return "saved?"

    config = {"/": {"tools.sessions.on": True, "tools.sessions.storage_class": FailingStore}}
    cherrypy.tree.mount(Counter(), "/", config)
    cherrypy.config.update({"metrics.on": True})
    with serve() as base:
        assert requests.get(base + "/").status_code == 500
        assert requests.get(base + "/").status_code == 500
        samples = settled(base + "/metrics")
    key = (
        "cherrypy_session_store_errors_total",
        (("operation", "save"), ("store", "FailingStore")),
    )
    assert samples[key] == 2
    assert requests_by_status(samples) == {"5xx": 2}
