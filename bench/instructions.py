"""Instructions per hello-world request in process, counted with callgrind: a figure that does
not move with the machine's load, for comparing revisions and peers one change at a time.

Usage (from the repository root, in the workspace's virtualenv; needs ``valgrind``)::

    python bench/instructions.py [--base REVISION] [--peers] [--requests 2000]

Each subject serves ``bench/peer_apps.py``'s page ("Hello World!", ``text/plain`` set by the
handler) through its WSGI callable, driven with ``bench/wsgienv.py``'s environ: the kernel of
this checkout; with ``--base``, the kernel of an earlier revision (checked out with ``git
worktree``, imported through ``PYTHONPATH``); with ``--peers``, CherryPy 18.10
(``bench/.venv-cherrypy``), Bottle and Falcon (``bench/.venv-peers``; ``nox -s bench`` makes
both venvs).  A subject runs twice under ``valgrind --tool=callgrind`` (``PYTHONHASHSEED=0``,
entry-point plugins off): with ``--requests`` requests after a warm-up and with none; the
difference divided by the number of requests is its count.  Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from run import checkout

HERE = Path(__file__).resolve().parent

DRIVER = """
import sys
sys.path.insert(0, {here!r})
import peer_apps
from wsgienv import environ
app = getattr(peer_apps, "make_" + sys.argv[1])()
def start_response(status, headers, exc_info=None):
    return None
def one():
    result = app(environ("/"), start_response)
    body = b"".join(result)
    close = getattr(result, "close", None)
    if close:
        close()
    assert body == b"Hello World!", body
for _ in range(600):
    one()
for _ in range(int(sys.argv[2])):
    one()
"""


def _collected(python: str, page: str, requests: int, pythonpath: str | None) -> int:
    env = dict(os.environ, PYTHONHASHSEED="0", CHERRYPY_DISABLE_PLUGIN_AUTOLOAD="1")
    if pythonpath is not None:
        env["PYTHONPATH"] = pythonpath
    else:
        env.pop("PYTHONPATH", None)
    done = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            python,
            "-c",
            DRIVER.format(here=str(HERE)),
            page,
            str(requests),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    found = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode != 0 or found is None:
        raise SystemExit(f"callgrind run failed for {python} {page}:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def count(python: str, page: str, requests: int, pythonpath: str | None = None) -> int:
    """Instructions per request of ``page`` served by ``python``'s WSGI application."""
    full = _collected(python, page, requests, pythonpath)
    empty = _collected(python, page, 0, pythonpath)
    return round((full - empty) / requests)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", help="an earlier git revision to count too")
    parser.add_argument("--peers", action="store_true", help="count CherryPy 18.10, Bottle, Falcon")
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")
    results: dict[str, int] = {"current": count(sys.executable, "kernel", args.requests)}
    if args.base:
        with checkout(args.base) as worktree:
            base_src = str(worktree / "core" / "src")
            results["base"] = count(sys.executable, "kernel", args.requests, base_src)
    if args.peers:
        for name, venv, page in (
            ("cherrypy", ".venv-cherrypy", "kernel"),
            ("bottle", ".venv-peers", "bottle"),
            ("falcon", ".venv-peers", "falcon"),
        ):
            python = HERE / venv / "bin" / "python"
            if not python.exists():
                raise SystemExit(f"{python} is missing: run `nox -s bench` once to make it")
            results[name] = count(str(python), page, args.requests)
    report: dict[str, object] = {"requests": args.requests, "instructions": results}
    for name, value in results.items():
        if name != "current":
            report[f"current_over_{name}"] = round(results["current"] / value, 3)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
