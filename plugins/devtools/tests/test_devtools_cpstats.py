"""tools.cpstats and StatsPage over real HTTP."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator

import pytest
import requests

import cherrypy
from cherrypy.lib import cpstats


class Root:
    cpstats = cpstats.StatsPage()

    @cherrypy.expose
    def index(self) -> str:
        return "hello"

    @cherrypy.expose
    def upload(self, **params: str) -> str:
        return str(len(cherrypy.request.body.read()))

    @cherrypy.expose
    def slow(self) -> str:
        time.sleep(0.05)
        return "slow"


@pytest.fixture(autouse=True)
def enabled() -> Iterator[None]:
    cpstats.appstats["Enabled"] = True
    yield
    cpstats.appstats["Enabled"] = True
    logging.statistics.pop("Test <Namespace>", None)  # type: ignore[attr-defined]


@pytest.fixture
def base(serve_root: Callable[..., str]) -> str:
    conf = {
        "/": {"tools.cpstats.on": True},
        "/slow": {"tools.cpstats.uriset": "slow pages", "tools.cpstats.slow_queries": 0.01},
        "/cpstats": {"tools.cpstats.on": False},
    }
    return serve_root(Root(), conf)


def stats(base: str) -> dict:
    reply = requests.get(base + "/cpstats/data")
    assert reply.headers["Content-Type"] == "application/json"
    return reply.json()["CherryPy Applications"]


def test_logging_statistics_is_the_shared_dict() -> None:
    assert logging.statistics is cpstats.statistics  # type: ignore[attr-defined]
    assert logging.statistics["CherryPy Applications"] is cpstats.appstats  # type: ignore[attr-defined]
    from cherrypy_devtools.plugin import CPSTATS_TOOL

    assert cherrypy.tools.cpstats is CPSTATS_TOOL


def test_requests_are_counted(base: str) -> None:
    before = stats(base)
    assert requests.get(base + "/").text == "hello"
    assert requests.post(base + "/upload", data=b"x" * 1000).text == "1000"
    after = stats(base)
    assert after["Total Requests"] == before["Total Requests"] + 2
    assert after["Total Bytes Read"] >= before["Total Bytes Read"] + 1000
    assert after["Total Bytes Written"] == before["Total Bytes Written"] + len("hello") + 4
    assert after["Current Requests"] == before["Current Requests"]
    assert after["Server Version"] == cherrypy.__version__
    assert isinstance(after["Uptime"], float) and after["Requests/Second"] > 0
    [record] = [
        r for r in after["Requests"].values() if r["Request-Line"] == "POST /upload HTTP/1.1"
    ]
    assert record["Response Status"] == "200 OK"
    assert record["Bytes Read"] == 1000


def test_uri_sets_and_slow_queries(base: str) -> None:
    requests.get(base + "/slow")
    requests.get(base + "/slow")
    data = stats(base)
    uriset = data["URI Set Tracking"]["slow pages"]
    assert uriset["Count"] >= 2
    assert uriset["Min"] >= 0.05 and uriset["Avg"] >= 0.05
    assert data["Slow Queries"][-1]["Request-Line"] == "GET /slow HTTP/1.1"


def test_pause_and_resume_need_post(base: str) -> None:
    reply = requests.get(base + "/cpstats/pause", params={"namespace": "CherryPy Applications"})
    assert reply.status_code == 405
    assert cpstats.appstats["Enabled"] is True
    reply = requests.post(
        base + "/cpstats/pause", data={"namespace": "CherryPy Applications"}, allow_redirects=False
    )
    assert reply.status_code == 303
    assert reply.headers["Location"] == base + "/cpstats/"
    assert cpstats.appstats["Enabled"] is False
    total = cpstats.appstats["Total Requests"]
    requests.get(base + "/")
    assert cpstats.appstats["Total Requests"] == total
    requests.post(base + "/cpstats/resume", data={"namespace": "CherryPy Applications"})
    assert cpstats.appstats["Enabled"] is True
    requests.get(base + "/")
    assert cpstats.appstats["Total Requests"] == total + 1


def test_html_page_is_escaped(base: str) -> None:
    logging.statistics["Test <Namespace>"] = {  # type: ignore[attr-defined]
        "Value": "<script>alert(1)</script>",
        "Computed": lambda s: s["Value"] + "!",
        "Rows": [{"Column": "<b>cell</b>"}],
    }
    requests.get(base + "/")
    page = requests.get(base + "/cpstats/").text
    assert "<h1>CherryPy Applications</h1>" in page
    assert "Pause" in page and 'name="namespace" value="CherryPy Applications"' in page
    assert "<script>" not in page and "<b>cell" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;!" in page
    assert "<h1>Test &lt;Namespace&gt;</h1>" in page
    assert "&lt;b&gt;cell&lt;/b&gt;" in page


def test_extrapolate_statistics() -> None:
    scope = {"a": 2, "double": lambda s: s["a"] * 2, "nested": {"b": 1, "c": lambda s: s["b"] + 1}}
    assert cpstats.extrapolate_statistics(scope) == {
        "a": 2,
        "double": 4,
        "nested": {"b": 1, "c": 2},
    }
