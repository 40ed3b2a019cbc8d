"""CPU per request of tools.json_out, tools.json_in and tools.gzip, ours next to CherryPy 18.10.

Each scenario runs in process through the WSGI callable (``cherrypy.tree``), as
``wsgi_hello.py`` does, so the figures are the framework's cost without a socket:

* ``hello``    -- a plain page, the baseline both implementations pay anyway;
* ``json_out`` -- GET, the handler returns a small dict, serialized by tools.json_out;
* ``json_in``  -- POST of a small JSON document parsed by tools.json_in;
* ``gzip``     -- GET of a 4 KiB HTML page compressed by tools.gzip (level 5).

Run ``python bench/json_gzip.py`` with the workspace's interpreter: it runs itself once per
implementation (``--measure``) and prints both and the ratios.  The reference interpreter is
``--ref PYTHON``, else ``/tmp/cpref/bin/python`` when it exists, else the one ``bench/run.py``
installs.  Figures are medians of repeated runs.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SCENARIOS = ("hello", "json_out", "json_in", "gzip")
DOCUMENT = {
    "id": 123,
    "name": "widget",
    "tags": ["a", "b", "c"],
    "price": 12.5,
    "active": True,
    "nested": {"x": 1, "y": [1, 2, 3]},
}
PAGE = ("<p>CherryPy serves this paragraph, again and again.</p>\n" * 72)[:4096]


def build_app() -> Any:
    """Mount the bench application on ``cherrypy.tree`` and return the WSGI callable."""
    import cherrypy

    class Root:
        @cherrypy.expose
        def hello(self) -> str:
            return "Hello World!"

        @cherrypy.expose
        @cherrypy.tools.json_out()
        def json_out(self) -> Any:
            return DOCUMENT

        @cherrypy.expose
        @cherrypy.tools.json_in()
        def json_in(self) -> str:
            return str(len(cherrypy.request.json))

        @cherrypy.expose
        @cherrypy.tools.gzip()
        def gzip(self) -> str:
            return PAGE

    cherrypy.config.update({"environment": "production", "log.screen": False})
    cherrypy.tree.mount(Root(), "", {"/": {}})
    return cherrypy.tree


def make_request(app: Any, scenario: str) -> Any:
    """A function running one request of ``scenario`` and checking its answer."""
    body = json.dumps(DOCUMENT).encode() if scenario == "json_in" else b""
    base = {
        "REQUEST_METHOD": "POST" if scenario == "json_in" else "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/" + scenario,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8080",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": "50000",
        "HTTP_HOST": "127.0.0.1:8080",
        "HTTP_USER_AGENT": "bench",
        "HTTP_ACCEPT": "*/*",
        "HTTP_ACCEPT_ENCODING": "gzip, deflate",
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }
    if body:
        base["CONTENT_TYPE"] = "application/json"
        base["CONTENT_LENGTH"] = str(len(body))
    expected = {
        "hello": b"Hello World!",
        "json_out": json.dumps(DOCUMENT).encode(),
        "json_in": str(len(DOCUMENT)).encode(),
        "gzip": PAGE.encode(),
    }[scenario]
    status: list[str] = []

    def start_response(line: str, headers: list[Any], exc_info: Any = None) -> None:
        status.append(line)

    def one(check: bool = False) -> None:
        env = dict(base)
        env["wsgi.input"] = io.BytesIO(body)
        result = app(env, start_response)
        try:
            data = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close:
                close()
        if check:
            if scenario == "gzip":
                data = gzip.decompress(data)
            assert status[-1].startswith("200"), status[-1]
            assert data == expected, data[:200]

    return one


def measure(requests: int, repeats: int) -> dict[str, Any]:
    """Time every scenario in this interpreter; return the figures as a dict."""
    import cherrypy

    app = build_app()
    results: dict[str, Any] = {}
    for scenario in SCENARIOS:
        one = make_request(app, scenario)
        one(check=True)
        for _ in range(300):
            one()
        cpu = []
        for _ in range(repeats):
            started = time.process_time()
            for _ in range(requests):
                one()
            cpu.append((time.process_time() - started) / requests * 1e6)
        results[scenario] = {"median_cpu_us": statistics.median(cpu), "all_cpu_us": cpu}
    kind = " (kernel)" if hasattr(cherrypy, "kernel") else " (CherryPy)"
    codec = ""
    if hasattr(cherrypy, "kernel"):
        from cherrypy_json.codec import get_codec

        codec = "ujson" if "ujson" in (get_codec()[0].__doc__ or "") else "stdlib json"
    return {
        "impl": "cherrypy " + cherrypy.__version__ + kind,
        "json_codec": codec or "stdlib json",
        "requests_per_run": requests,
        "runs": repeats,
        "scenarios": results,
    }


def reference_python(explicit: str | None) -> str:
    """The interpreter that imports CherryPy 18.10."""
    if explicit:
        return explicit
    if os.path.exists("/tmp/cpref/bin/python"):
        return "/tmp/cpref/bin/python"
    sys.path.insert(0, str(HERE))
    from run import reference_python as install_reference

    return install_reference()


def run_child(python: str, requests: int, repeats: int) -> dict[str, Any]:
    """Run this script with ``--measure`` under ``python`` and parse its JSON line."""
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    command = [
        python,
        str(Path(__file__).resolve()),
        "--measure",
        "-n",
        str(requests),
        "-r",
        str(repeats),
    ]
    out = subprocess.run(command, check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main(argv: list[str] | None = None) -> None:
    """Parse arguments; measure here (``--measure``) or compare both implementations."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--measure", action="store_true", help="measure this interpreter only")
    parser.add_argument("--ref", help="interpreter with CherryPy 18.10 installed")
    parser.add_argument("-n", "--requests", type=int, default=5000, help="requests per run")
    parser.add_argument("-r", "--repeats", type=int, default=7, help="runs per scenario")
    options = parser.parse_args(argv)
    if options.measure:
        print(json.dumps(measure(options.requests, options.repeats)))
        return
    ours = run_child(sys.executable, options.requests, options.repeats)
    ref = run_child(reference_python(options.ref), options.requests, options.repeats)
    print(
        f"CPU per request, in process through the WSGI callable (median of {options.repeats} runs "
        f"of {options.requests} requests)"
    )
    print(f"ours: {ours['impl']} (JSON codec: {ours['json_codec']}); reference: {ref['impl']}")
    print(
        f"{'scenario':10s} {'ours us':>10s} {'CherryPy us':>12s} {'ratio':>7s} {'ours-hello':>11s} {'CP-hello':>9s}"
    )
    hello_ours = ours["scenarios"]["hello"]["median_cpu_us"]
    hello_ref = ref["scenarios"]["hello"]["median_cpu_us"]
    for scenario in SCENARIOS:
        a = ours["scenarios"][scenario]["median_cpu_us"]
        b = ref["scenarios"][scenario]["median_cpu_us"]
        print(
            f"{scenario:10s} {a:10.1f} {b:12.1f} {a / b:7.3f} {a - hello_ours:11.1f} {b - hello_ref:9.1f}"
        )
    print(
        "ratio = ours / CherryPy 18.10 (below 1: we are cheaper); the last two columns are each "
        "scenario's cost above the plain page."
    )


if __name__ == "__main__":
    main()
