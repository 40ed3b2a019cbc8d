"""cherrypy.lib.profiler: Profiler, ProfileAggregator, make_app and the browsing pages."""

from __future__ import annotations

import os
import pstats
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

import cherrypy
from cherrypy.lib import profiler
from cherrypy.testing import serve


def busy(n: int) -> int:
    return sum(i * i for i in range(n))


def test_profiler_runs_and_reports(tmp_path: Path, serve_root: Callable[..., str]) -> None:
    prof = profiler.Profiler(str(tmp_path))
    assert prof.run(busy, 1000) == busy(1000)
    [name] = prof.statfiles()
    assert name.startswith("cp_") and name.endswith(".prof")
    assert "busy" in prof.stats(name)

    base = serve_root(prof)
    assert "<frameset" in requests.get(base + "/").text
    menu = requests.get(base + "/menu").text
    assert f"report?filename={name}" in menu
    reply = requests.get(base + "/report", params={"filename": name})
    assert reply.headers["Content-Type"].startswith("text/plain")
    assert "function calls" in reply.text and "busy" in reply.text


def test_report_only_opens_listed_runs(tmp_path: Path, serve_root: Callable[..., str]) -> None:
    secret = tmp_path / "secret.prof"
    secret.write_bytes(b"not for you")
    runs = tmp_path / "runs"
    base = serve_root(profiler.Profiler(str(runs)))
    for name in ("../secret.prof", str(secret), "cp_9999.prof"):
        assert requests.get(base + "/report", params={"filename": name}).status_code == 404


def test_aggregator_writes_one_file(tmp_path: Path) -> None:
    agg = profiler.ProfileAggregator(str(tmp_path))
    agg.run(busy, 10)
    agg.run(busy, 20)
    [name] = agg.statfiles()
    data = pstats.Stats(str(tmp_path / name)).stats  # type: ignore[attr-defined]
    [calls] = [value[1] for key, value in data.items() if key[2] == "busy"]
    assert calls == 2


@pytest.mark.parametrize("aggregate", [False, True])
def test_make_app_profiles_each_request(tmp_path: Path, aggregate: bool) -> None:
    class Root:
        @cherrypy.expose
        def index(self) -> str:
            return "profiled"

    cherrypy.tree.mount(Root())
    app = profiler.make_app(cherrypy.tree, path=str(tmp_path), aggregate=aggregate)
    with serve(app) as base:
        assert requests.get(base + "/").text == "profiled"
        assert requests.get(base + "/").text == "profiled"
    files = [f for f in os.listdir(tmp_path) if f.endswith(".prof")]
    assert len(files) == (1 if aggregate else 2)


def test_make_app_closes_the_wrapped_iterable(tmp_path: Path) -> None:
    closed = []

    class Body(list):
        def close(self) -> None:
            closed.append(True)

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Body:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return Body([b"a", b"b"])

    wrapped = profiler.make_app(app, path=str(tmp_path))
    assert wrapped({}, lambda *a: None) == [b"a", b"b"]
    assert closed == [True]


def test_default_path_is_private(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    prof = profiler.Profiler()
    assert prof.path == profiler.default_path()
    assert prof.path.startswith(str(tmp_path))
    assert os.stat(prof.path).st_mode & 0o777 == 0o700


def test_serve_listens_on_localhost(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    started: list[Any] = []
    monkeypatch.setattr(cherrypy, "quickstart", lambda root: started.append(root))
    profiler.serve(str(tmp_path), port="8123")  # type: ignore[arg-type]
    [root] = started
    assert isinstance(root, profiler.Profiler) and root.path == str(tmp_path)
    assert cherrypy.config["server.socket_host"] == "127.0.0.1"
    assert cherrypy.config["server.socket_port"] == 8123
