"""A short soak: thousands of mixed requests against a real server process, then leak checks.

``bench/soak.py`` holds the workload (RAM and file sessions, static files with ranges and
conditional requests, JSON in and out, chunked and ``Expect: 100-continue`` bodies, gzip,
forms and uploads, redirects, 400/403/404/405/500, HTTP/1.0, keep-alive and new connections,
16 connections at once) and the measurements; ``nox -s soak`` runs 100,000 requests.  Here
3,000 requests after a warm-up must all succeed with the right status and body, and leave the
server with no more descriptors, threads or session files than after the warm-up.  Memory is
noisy over so short a run, so only gross growth fails here; the 10 % bound is the full run's.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent


def load_soak() -> ModuleType:
    """Import ``bench/soak.py`` (not a package) as a module."""
    name = "cherrypy_bench_soak"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / "soak.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def test_short_soak_has_no_errors_and_no_leaks() -> None:
    """3,000 mixed requests at 16 connections: no error, no descriptor/thread/file growth."""
    soak = load_soak()
    report = soak.soak(
        requests=3000, warmup=1000, scan=1000, connections=16, users=48, rss_growth=0.5
    )
    summary = report.summary()
    assert report.errors == [], summary
    assert report.requests == 3000, summary
    # Every kind of request was made, each answered as expected.
    assert set(report.kinds) >= {"ram_hit", "file_hit", "static", "json", "gzip", "e500", "http10"}
    assert report.end.fds <= report.baseline.fds, summary
    assert report.end.threads <= report.baseline.threads, summary
    assert report.end.session_files <= report.baseline.session_files, summary
    assert report.rss_growth <= 0.5, summary
    assert report.ok, summary
    # Connections were opened and closed all along, not one per client.
    assert report.connections > 16 * 10, summary
