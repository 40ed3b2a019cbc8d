"""A bounded run of ``bench/longlived.py``: WebSockets and event streams beside GET /.

The full scenario (1,000 WebSockets and 1,000 event streams, each receiving a message a second,
``thread_pool`` 10 and ``thread_pool_max`` 20, GET / measured ten times a second) is a
benchmark; here 150 of each run for a few seconds against a real server process and the
counts are asserted, never the latencies: every connection opens, every client receives the
broadcasts, every GET is answered, and the server keeps at most 30 threads.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytest.importorskip("cherrypy_websocket")
pytest.importorskip("websockets")
pytest.importorskip("psutil")


def load_bench() -> ModuleType:
    name = "cherrypy_bench_longlived"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / "longlived.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_long_lived_connections_hold_no_workers() -> None:
    bench = load_bench()
    args = argparse.Namespace(ws=150, sse=150, seconds=4.0, cherrypy_python="")
    result = bench.measure("ours", args)
    assert result["ws_open"] == 150 and result["ws_errors"] == 0, result
    assert result["sse_open"] == 150 and result["sse_errors"] == 0, result
    # One broadcast a second to each: at least 3 in 4 seconds however loaded the machine is.
    assert result["ws_messages_in_window"] >= 150 * 3, result
    assert result["sse_messages_in_window"] >= 150 * 3, result
    assert result["gets"] >= 20 and result["get_errors"] == 0, result
    assert result["server_threads_max"] <= 30, result
