"""Hello world in process: this checkout against an earlier revision and CherryPy 18.10.

Usage (from the repository root, in the workspace's virtualenv)::

    python bench/compare_revisions.py BASE_REVISION [--rounds 5] [--requests 20000]

The earlier revision is checked out with ``git worktree`` into a temporary folder and its
kernel imported through ``PYTHONPATH``; both kernels run with entry-point plugins switched
off (``CHERRYPY_DISABLE_PLUGIN_AUTOLOAD=1``: the installed plugins belong to this checkout, and
a hello world needs none), CherryPy 18.10 from ``bench/.venv-cherrypy``.  The three run
interleaved, ``--rounds`` times, so a busy machine slows all of them alike; the report gives
the median CPU per request of each and the ratios.  Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys

from run import checkout, reference_python, run_json


def _run(python: str, requests: int, pythonpath: str | None = None) -> float:
    saved = dict(os.environ)
    try:
        os.environ["CHERRYPY_DISABLE_PLUGIN_AUTOLOAD"] = "1"
        if pythonpath is not None:
            os.environ["PYTHONPATH"] = pythonpath
        else:
            os.environ.pop("PYTHONPATH", None)
        return float(run_json(python, "wsgi_hello.py", str(requests))["median_cpu_us"])
    finally:
        os.environ.clear()
        os.environ.update(saved)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base", help="the earlier git revision")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=20000)
    args = parser.parse_args()
    reference = reference_python()
    results: dict[str, list[float]] = {"current": [], "base": [], "cherrypy": []}
    with checkout(args.base) as worktree:
        for _ in range(args.rounds):
            results["current"].append(_run(sys.executable, args.requests))
            base_src = str(worktree / "core" / "src")
            results["base"].append(_run(sys.executable, args.requests, base_src))
            results["cherrypy"].append(_run(reference, args.requests))
    medians = {name: statistics.median(values) for name, values in results.items()}
    print(
        json.dumps(
            {
                "base": args.base,
                "median_cpu_us": {name: round(value, 2) for name, value in medians.items()},
                "all_cpu_us": {
                    name: [round(v, 2) for v in values] for name, values in results.items()
                },
                "current_over_base": round(medians["current"] / medians["base"], 3),
                "current_over_cherrypy": round(medians["current"] / medians["cherrypy"], 3),
                "base_over_cherrypy": round(medians["base"] / medians["cherrypy"], 3),
            }
        )
    )


if __name__ == "__main__":
    main()
