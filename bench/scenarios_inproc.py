"""The pages of ``bench/scenarios.py`` timed in process: the WSGI callable alone, no server.

``python bench/scenarios_inproc.py [--requests N] [--rounds R] [--only hello,404,...]``
builds ``bench/scenario_apps.py``'s application with whichever ``cherrypy`` the interpreter
imports and times each page through ``app(environ, start_response)``, the body iterated and
closed, best of ``--rounds`` rounds of ``--requests`` requests (microseconds per request).
With ``--reference-python PY`` (default: ``bench/.venv-cherrypy``, made as ``bench/peers.py``
makes it) it runs itself again under CherryPy 18.10 and prints both side by side with their
ratio.  The session page sends the cookie its first answer set, as the HTTP benchmark does.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import scenario_apps  # noqa: E402
import wsgienv  # noqa: E402

PAGES: dict[str, tuple[str, bytes, dict[str, Any]]] = {
    "hello": ("/", b"", {}),
    "404": ("/missing", b"", {}),
    "static1k": ("/static/one.bin", b"", {}),
    "json_out": ("/json_out", b"", {}),
    "json_in": (
        "/json_in",
        scenario_apps.DOCUMENT_JSON.encode(),
        {"REQUEST_METHOD": "POST", "CONTENT_TYPE": "application/json"},
    ),
    "session": ("/session", b"", {}),
    "gzip": ("/gzip", b"", {"HTTP_ACCEPT_ENCODING": "gzip"}),
    "generate": ("/generate", b"", {}),
    "echo": (
        "/echo",
        scenario_apps.ECHO_BODY.encode(),
        {"REQUEST_METHOD": "POST", "CONTENT_TYPE": "application/octet-stream"},
    ),
}


def _one_request(app: Any, path: str, body: bytes, extra: dict[str, Any]) -> Any:
    """A function running one request for the page (with the cookie its first answer set)."""
    cookie: dict[str, str] = {}

    def start_response(status: str, headers: Any, exc_info: Any = None) -> None:
        if not cookie:
            for key, value in headers:
                if key.lower() == "set-cookie":
                    cookie["value"] = value.split(";")[0]

    def one() -> None:
        more = dict(extra)
        if body:
            more["CONTENT_LENGTH"] = str(len(body))
        if cookie:
            more["HTTP_COOKIE"] = cookie["value"]
        result = app(wsgienv.environ(path, body, **more), start_response)
        for _chunk in result:
            pass
        close = getattr(result, "close", None)
        if close is not None:
            close()

    return one


def measure(names: list[str], requests: int, rounds: int) -> dict[str, float]:
    """Microseconds per request of each page, with the ``cherrypy`` this interpreter has."""
    import cherrypy

    static_dir = tempfile.mkdtemp(prefix="scenario-static-")
    Path(static_dir, "one.bin").write_bytes(b"x" * 1024)
    conf = scenario_apps.config(8080, static_dir)
    cherrypy.config.update(conf["global"])
    app = cherrypy.tree.mount(
        scenario_apps.make_root(), "", {k: v for k, v in conf.items() if k != "global"}
    )
    cherrypy.engine.signals = None  # (CherryPy's signal handlers: not in this process)
    cherrypy.engine.start()
    try:
        results = {}
        for name in names:
            one = _one_request(app, *PAGES[name])
            for _ in range(200):
                one()
            best = float("inf")
            for _ in range(rounds):
                started = time.perf_counter()
                for _ in range(requests):
                    one()
                best = min(best, (time.perf_counter() - started) / requests)
            results[name] = best * 1e6
        return results
    finally:
        cherrypy.engine.exit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--only", default=",".join(PAGES))
    parser.add_argument("--reference-python", default=None)
    parser.add_argument("--json", action="store_true", help="print this interpreter's JSON only")
    args = parser.parse_args()
    names = [name for name in args.only.split(",") if name]
    unknown = [name for name in names if name not in PAGES]
    if unknown:
        parser.error(f"unknown pages {unknown}; choose among {', '.join(PAGES)}")
    ours = measure(names, args.requests, args.rounds)
    if args.json:
        print(json.dumps(ours))
        return
    reference = args.reference_python
    if reference is None:
        from run import reference_python

        reference = str(reference_python())
    command = [reference, __file__, "--json", "--only", ",".join(names)]
    command += ["--requests", str(args.requests), "--rounds", str(args.rounds)]
    output = subprocess.run(
        command, check=True, capture_output=True, text=True, env=dict(os.environ)
    ).stdout
    theirs = json.loads(output.strip().splitlines()[-1])
    print("| page | ours | CherryPy 18.10 | ours / CherryPy |")
    print("| --- | --- | --- | --- |")
    for name in names:
        print(
            f"| {name} | {ours[name]:.2f} µs | {theirs[name]:.2f} µs "
            f"| {ours[name] / theirs[name]:.3f} |"
        )


if __name__ == "__main__":
    main()
