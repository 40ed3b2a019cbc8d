"""CPU spent parsing adversarial request bodies, ours next to CherryPy 18.10.

Every shape is a body of about 16 MiB (``--size``) built to hit one parser's worst case: the
JSON depth check, the urlencoded form parser, the multipart preamble, part header and
delimiter scanners.  Each runs once per repeat, in process through the WSGI callable
(``cherrypy.tree``, no socket), with CherryPy's defaults plus ``tools.json_in`` on ``/json``
and ``tools.gzip`` (with request inflation switched on where we have it) on ``/gz``.  The
``gz_*`` shapes send the same adversarial body as about 16 KiB of gzip.

The table gives the CPU seconds of one request and the status it got.  CherryPy 18.10 inflates
nothing, so its ``gz_*`` rows only show the cost of refusing (or ignoring) compressed junk.

Run ``python bench/body_parsing.py`` with the workspace's interpreter: it runs itself once per
implementation (``--measure``) and prints both.  The reference interpreter is ``--ref
PYTHON``, else ``/tmp/cherrypy-suite/ref/bin/python`` when it exists, else the one
``bench/run.py`` installs.  ``--only NAME`` (repeatable) restricts the shapes.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
MIB = 1024 * 1024
BOUNDARY = "bench-boundary-7d3f"
FORM = "application/x-www-form-urlencoded"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"


def _fill(unit: bytes, size: int) -> bytes:
    """``unit`` repeated up to ``size`` bytes."""
    return unit * (size // len(unit))


def _part(headers: bytes, payload: bytes) -> bytes:
    return b"--" + BOUNDARY.encode() + b"\r\n" + headers + b"\r\n\r\n" + payload + b"\r\n"


def _end() -> bytes:
    return b"--" + BOUNDARY.encode() + b"--\r\n"


def shapes(size: int) -> dict[str, tuple[str, str, bytes]]:
    """name -> (path, content type, body) for every adversarial shape of about ``size`` bytes."""
    half = size // 2
    tiny = _part(b'Content-Disposition: form-data; name="f"', b"x")
    tiny_file = _part(
        b'Content-Disposition: form-data; name="f"; filename="a"\r\nContent-Type: text/plain',
        b"x",
    )
    near_miss = b"\r\n--" + BOUNDARY[:-1].encode() + b"X\r\n"
    big_header = b'Content-Disposition: form-data; name="f"; x="' + _fill(b"a", size) + b'"'
    return {
        "json_nested": ("/json", "application/json", b"[" * half + b"]" * half),
        "json_nested_obj": (
            "/json",
            "application/json",
            _fill(b'{"a":', size * 5 // 6) + b"1" + b"}" * (size // 6),
        ),
        "json_towers": (
            "/json",
            "application/json",
            b"[" + _fill(b"[" * 99 + b"]" * 99 + b",", size - 3) + b"1]",
        ),
        "json_peaks": (
            "/json",
            "application/json",
            b"[" + _fill(b"[[[[[[[[[1]]]]]]]]],", size - 3) + b"1]",
        ),
        "json_wide": ("/json", "application/json", b"[" + _fill(b"[],", size - 3) + b"[]]"),
        "json_numbers": ("/json", "application/json", b"[" + _fill(b"1,", size - 3) + b"1]"),
        "json_strings": (
            "/json",
            "application/json",
            b"[" + _fill(b'"[{\\\\\\"",', size - 3) + b'""]',
        ),
        "form_amps": ("/form", FORM, _fill(b"&", size)),
        "form_empty_fields": ("/form", FORM, _fill(b"a=&", size)),
        "form_distinct": (
            "/form",
            FORM,
            b"&".join(b"k%d=" % i for i in range(size // 10))[:size],
        ),
        "form_escapes": ("/form", FORM, b"a=" + _fill(b"%41", size)),
        "form_bad_escapes": ("/form", FORM, b"a=" + _fill(b"%zz", size)),
        "mp_preamble_line": ("/form", MULTIPART, _fill(b"x", size)),
        "mp_preamble_newlines": ("/form", MULTIPART, _fill(b"\n", size)),
        "mp_preamble_near_miss": ("/form", MULTIPART, _fill(near_miss, size)),
        "mp_tiny_parts": ("/form", MULTIPART, _fill(tiny, size) + _end()),
        "mp_tiny_file_parts": ("/form", MULTIPART, _fill(tiny_file, size) + _end()),
        "mp_long_header_line": ("/form", MULTIPART, _part(big_header, b"x") + _end()),
        "mp_many_header_lines": (
            "/form",
            MULTIPART,
            _part(b'Content-Disposition: form-data; name="f"' + b"\r\na:" * 99, b"x") * 1000
            + _end(),
        ),
        "mp_one_char_boundary": (
            "/form",
            "multipart/form-data; boundary=a",
            b'--a\r\nContent-Disposition: form-data; name="f"\r\n\r\n'
            + _fill(b"\n--ab", size)
            + b"\r\n--a--\r\n",
        ),
        "mp_near_miss_payload": (
            "/form",
            MULTIPART,
            _part(b'Content-Disposition: form-data; name="f"', _fill(near_miss, size)) + _end(),
        ),
        "mp_crlf_payload": (
            "/form",
            MULTIPART,
            _part(b'Content-Disposition: form-data; name="f"', _fill(b"\r\n", size)) + _end(),
        ),
        "mp_big_file": (
            "/form",
            MULTIPART,
            _part(
                b'Content-Disposition: form-data; name="f"; filename="a.bin"',
                _fill(b"0123456789abcdef", size),
            )
            + _end(),
        ),
    }


GZIP_SHAPES = (
    "json_nested",
    "json_wide",
    "form_amps",
    "form_empty_fields",
    "mp_preamble_line",
    "mp_tiny_parts",
)


def build_app() -> tuple[Any, bool]:
    """Mount the bench application; return the WSGI callable and whether it is ours."""
    import cherrypy

    ours = hasattr(cherrypy, "kernel")

    class Root:
        @cherrypy.expose
        def form(self, **params: Any) -> str:
            return str(len(params))

        @cherrypy.expose
        @cherrypy.tools.json_in()
        def json(self) -> str:
            return type(cherrypy.request.json).__name__

        @cherrypy.expose
        def gz(self, **params: Any) -> str:
            return str(len(params))

        @cherrypy.expose
        @cherrypy.tools.json_in()
        def gzjson(self) -> str:
            return type(cherrypy.request.json).__name__

    gz: dict[str, Any] = {"tools.gzip.on": True}
    if ours:
        gz["tools.gzip.inflate"] = True
    cherrypy.config.update({"environment": "production", "log.screen": False})
    cherrypy.tree.mount(Root(), "", {"/gz": gz, "/gzjson": gz})
    return cherrypy.tree, ours


def request_runner(app: Any) -> Callable[[str, str, bytes, str | None], str]:
    """A function sending one POST through ``app`` and returning the status line."""

    def run(path: str, content_type: str, body: bytes, coding: str | None) -> str:
        env: dict[str, Any] = {
            "REQUEST_METHOD": "POST",
            "SCRIPT_NAME": "",
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8080",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "REMOTE_PORT": "50000",
            "HTTP_HOST": "127.0.0.1:8080",
            "CONTENT_TYPE": content_type,
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.url_scheme": "http",
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "wsgi.version": (1, 0),
            "wsgi.input": io.BytesIO(body),
        }
        if coding:
            env["HTTP_CONTENT_ENCODING"] = coding
        status: list[str] = []

        def start_response(line: str, headers: list[Any], exc_info: Any = None) -> None:
            status.append(line)

        result = app(env, start_response)
        try:
            b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close:
                close()
        return status[-1]

    return run


def measure(size: int, repeats: int, only: list[str]) -> dict[str, Any]:
    """Time every shape in this interpreter; return the figures as a dict."""
    import cherrypy

    app, ours = build_app()
    run = request_runner(app)
    all_shapes = shapes(size)
    cases: list[tuple[str, str, str, bytes, str | None]] = []
    for name, (path, ctype, body) in all_shapes.items():
        cases.append((name, path, ctype, body, None))
    for name in GZIP_SHAPES:
        path, ctype, body = all_shapes[name]
        gz_path = "/gzjson" if path == "/json" else "/gz"
        cases.append(("gz_" + name, gz_path, ctype, gzip.compress(body, 9), "gzip"))
    results: dict[str, Any] = {}
    for name, path, ctype, body, coding in cases:
        if only and name not in only:
            continue
        best = float("inf")
        status = ""
        for _ in range(repeats):
            started = time.process_time()
            status = run(path, ctype, body, coding)
            best = min(best, time.process_time() - started)
        results[name] = {"cpu_s": best, "status": status[:3], "sent": len(body)}
    kind = " (kernel)" if ours else " (CherryPy)"
    return {"impl": "cherrypy " + cherrypy.__version__ + kind, "shapes": results}


def reference_python(explicit: str | None) -> str:
    """The interpreter that imports CherryPy 18.10."""
    if explicit:
        return explicit
    for candidate in ("/tmp/cherrypy-suite/ref/bin/python", "/tmp/cpref/bin/python"):
        if os.path.exists(candidate):
            return candidate
    sys.path.insert(0, str(HERE))
    from run import reference_python as install_reference

    return install_reference()


def run_child(python: str, size: int, repeats: int, only: list[str]) -> dict[str, Any]:
    """Run this script with ``--measure`` under ``python`` and parse its JSON line."""
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    command = [python, str(Path(__file__).resolve()), "--measure", "-s", str(size)]
    command += ["-r", str(repeats)]
    for name in only:
        command += ["--only", name]
    out = subprocess.run(command, check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main(argv: list[str] | None = None) -> None:
    """Parse arguments; measure here (``--measure``) or compare both implementations."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--measure", action="store_true", help="measure this interpreter only")
    parser.add_argument("--ref", help="interpreter with CherryPy 18.10 installed")
    parser.add_argument("--no-ref", action="store_true", help="measure ours only")
    parser.add_argument("-s", "--size", type=int, default=16 * MIB, help="body size in bytes")
    parser.add_argument("-r", "--repeats", type=int, default=1, help="runs per shape (best)")
    parser.add_argument("--only", action="append", default=[], help="measure this shape only")
    options = parser.parse_args(argv)
    if options.measure:
        print(json.dumps(measure(options.size, options.repeats, options.only)))
        return
    ours = run_child(sys.executable, options.size, options.repeats, options.only)
    ref: dict[str, Any] = {"impl": "(not run)", "shapes": {}}
    if not options.no_ref:
        ref = run_child(reference_python(options.ref), options.size, options.repeats, options.only)
    print(f"CPU seconds for one request with a {options.size / MIB:.0f} MiB adversarial body")
    print(f"ours: {ours['impl']}; reference: {ref['impl']}")
    print(f"{'shape':24s} {'sent':>10s} {'ours s':>8s} {'st':>4s} {'CherryPy s':>11s} {'st':>4s}")
    for name, mine in ours["shapes"].items():
        theirs = ref["shapes"].get(name)
        other = f"{theirs['cpu_s']:11.2f} {theirs['status']:>4s}" if theirs else ""
        print(f"{name:24s} {mine['sent']:10d} {mine['cpu_s']:8.2f} {mine['status']:>4s} {other}")


if __name__ == "__main__":
    main()
