"""Run the benchmarks side by side with CherryPy 18.10 and print ratios.

CherryPy 18.10 is installed into ``bench/.venv-cherrypy`` on first use (from PyPI).  Each
benchmark runs in a fresh interpreter per implementation; figures are medians of repeated
runs, per-request CPU time included, since these machines are noisy.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import venv
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
REF_VENV = HERE / ".venv-cherrypy"
REF_SPEC = "cherrypy==18.10.0"


def reference_python() -> str:
    """Interpreter with CherryPy 18.10 installed (created on first use)."""
    python = REF_VENV / "bin" / "python"
    if not python.exists():
        venv.EnvBuilder(with_pip=True).create(REF_VENV)
        subprocess.run([str(python), "-m", "pip", "install", "-q", REF_SPEC], check=True)
    return str(python)


@contextlib.contextmanager
def checkout(revision: str) -> Iterator[Path]:
    """An earlier ``revision`` of this repository, checked out with ``git worktree`` into a
    temporary folder for the duration (its kernel is ``<folder>/core/src``)."""
    root = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory() as folder:
        worktree = Path(folder) / "base"
        subprocess.run(
            ["git", "worktree", "add", "--detach", "-q", str(worktree), revision],
            cwd=root,
            check=True,
        )
        try:
            yield worktree
        finally:
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(worktree)], cwd=root, check=True
            )


def run_json(python: str, script: str, *args: str) -> dict:
    """Run a bench script and parse its JSON line."""
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    out = subprocess.run(
        [python, str(HERE / script), *args], check=True, capture_output=True, text=True, env=env
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    ours = sys.executable
    ref = reference_python()
    print("== pipeline: pluggy calls per request and cached lookup cost (ours)")
    print(json.dumps(run_json(ours, "pipeline_calls.py"), indent=2))
    print("== hello world through the WSGI callable, in process")
    a = run_json(ours, "wsgi_hello.py")
    b = run_json(ref, "wsgi_hello.py")
    for result in (a, b):
        print(
            f"{result['impl']:32s} median wall {result['median_wall_us']:8.1f} us/req   "
            f"median CPU {result['median_cpu_us']:8.1f} us/req"
        )
    print(
        f"ratio (ours / CherryPy), CPU per request: {a['median_cpu_us'] / b['median_cpu_us']:.3f}"
    )


if __name__ == "__main__":
    main()
