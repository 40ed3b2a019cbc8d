"""Start-up time: ``python app.py`` to the first 200 of a hello world, ours against CherryPy 18.10.

Usage (from the repository root; needs ``uv`` and PyPI for the third-party dependencies)::

    python bench/startup_time.py [--runs 7] [--plugins 20] [--environment production]
                                 [--workdir DIR] [--reuse]

What it does, in a temporary folder (``--workdir`` keeps it; ``--reuse`` skips the build and
the installs when the two virtualenvs are already there):

1. builds every distribution of the workspace as a wheel (``uv build --all-packages --wheel``);
2. writes ``--plugins`` dummy plugin distributions (``cherrypy-bench-dummy-NN``, each a tiny
   package whose ``cherrypy.plugins`` entry point registers one tool and declares its config
   keys, as the minimal recipe of docs/plugins.md does) and builds them as wheels too;
3. makes two fresh virtualenvs with the interpreter running this script: ours, with every wheel
   of steps 1 and 2 installed from the files (the index serves only third-party dependencies),
   and CherryPy 18.10 from PyPI; both byte-compiled at install, as pip does;
4. runs ``app.py`` (a hello world: ``cherrypy.config.update({"environment": ...})``, the server
   on a free port, ``cherrypy.quickstart``) in each, interleaved, ``--runs`` times after one
   warm-up run each, and times each run from just before the process is spawned until the
   first ``200`` answer to ``GET /``; then stops the server (SIGTERM, SIGKILL if it lingers).

Prints one JSON line: the median start-up time of each, every run, and the ratio ours/CherryPy.
Not run in CI: it builds and installs, and its figures only mean something on a quiet machine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
REF_SPEC = "cherrypy==18.10.0"

APP = """\
import sys

import cherrypy


class HelloWorld:
    @cherrypy.expose
    def index(self):
        return "Hello world!"


settings = {"server.socket_host": "127.0.0.1", "server.socket_port": int(sys.argv[1])}
if sys.argv[2] != "development":  # CherryPy's default: no environment set
    settings["environment"] = sys.argv[2]
cherrypy.config.update(settings)
cherrypy.quickstart(HelloWorld())
"""


# --------------------------------------------------------------------------- building


def dummy_plugin(folder: Path, number: int) -> None:
    """Write the source of dummy plugin distribution ``number`` into ``folder``."""
    dist = f"cherrypy-bench-dummy-{number:02d}"
    package = f"cherrypy_bench_dummy_{number:02d}"
    tool = f"bench_dummy_{number:02d}"
    (folder / "src" / package).mkdir(parents=True)
    (folder / "pyproject.toml").write_text(
        textwrap.dedent(
            f"""\
            [project]
            name = "{dist}"
            version = "0.1.0"
            requires-python = ">=3.10"
            dependencies = ["cherrypy-kernel"]

            [project.entry-points."cherrypy.plugins"]
            {tool} = "{package}.plugin"

            [project.entry-points."cherrypy.compat"]
            "cherrypy.tools.{tool}" = "{package}.plugin:TOOL"

            [build-system]
            requires = ["hatchling"]
            build-backend = "hatchling.build"

            [tool.hatch.build.targets.wheel]
            packages = ["src/{package}"]
            """
        )
    )
    (folder / "src" / package / "__init__.py").write_text(f'"""{dist}: a bench plugin."""\n')
    (folder / "src" / package / "plugin.py").write_text(
        textwrap.dedent(
            f'''\
            """Registers tools.{tool}, which sets a response header."""

            import cherrypy
            from cherrypy.plugin import KeyDeclarer, Tool, Toolbox, hookimpl

            CHERRYPY_PLUGIN_API = ">=1.0,<2"


            def _tag(value: str = "{number}") -> None:
                cherrypy.response.headers["X-{tool}"] = value


            TOOL = Tool("before_finalize", _tag)


            @hookimpl
            def cherrypy_register_tools(toolbox: Toolbox) -> None:
                toolbox.{tool} = TOOL


            @hookimpl
            def cherrypy_config_keys(checker: KeyDeclarer) -> None:
                checker.declare_tool("{tool}", TOOL, {{"value": "The header's value."}})
            '''
        )
    )


def build(work: Path, plugins: int) -> list[Path]:
    """Build the workspace's wheels and ``plugins`` dummy plugin wheels; return the wheels."""
    wheels = work / "wheels"
    subprocess.run(
        ["uv", "build", "--all-packages", "--wheel", "-q", "-o", str(wheels)], cwd=ROOT, check=True
    )
    if plugins:
        dummies = work / "dummies"
        dummies.mkdir()
        # A virtual uv workspace of the dummies, so that one command builds them all.
        (dummies / "pyproject.toml").write_text(
            '[tool.uv.workspace]\nmembers = ["cherrypy-bench-dummy-*"]\n'
        )
        for number in range(1, plugins + 1):
            dummy_plugin(dummies / f"cherrypy-bench-dummy-{number:02d}", number)
        subprocess.run(
            ["uv", "build", "--all-packages", "--wheel", "-q", "-o", str(wheels)],
            cwd=dummies,
            check=True,
        )
    return sorted(wheels.glob("*.whl"))


def make_venv(path: Path, *requirements: str, find_links: Path | None = None) -> str:
    """A fresh virtualenv at ``path`` (this interpreter) with ``requirements``; its python."""
    subprocess.run(["uv", "venv", "-q", "--python", sys.executable, str(path)], check=True)
    python = str(path / "bin" / "python")
    command = ["uv", "pip", "install", "-q", "--compile-bytecode", "--python", python]
    if find_links is not None:
        command += ["--find-links", str(find_links)]
    subprocess.run([*command, *requirements], check=True)
    return python


# --------------------------------------------------------------------------- measuring


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def first_200(port: int, proc: subprocess.Popen[bytes], timeout: float) -> float:
    """Poll ``GET /`` on ``port`` until it answers 200; return the time it did."""
    request = f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode()
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the app exited with status {proc.returncode} before answering")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
                sock.sendall(request)
                head = sock.recv(64)
                answered = time.perf_counter()
        except OSError:
            time.sleep(0.001)
            continue
        if head.startswith((b"HTTP/1.1 200", b"HTTP/1.0 200")):
            return answered
        time.sleep(0.001)
    raise RuntimeError(f"no 200 from port {port} within {timeout} s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def time_one(python: str, app: Path, environment: str, log: Path) -> float:
    """Seconds from spawning ``python app.py`` to its first 200."""
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("CHERRYPY_")}
    env.pop("PYTHONPATH", None)
    with log.open("ab") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(
            [python, str(app), str(port), environment],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=app.parent,
            env=env,
        )
        try:
            answered = first_200(port, proc, timeout=60)
        finally:
            stop(proc)
    return answered - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs of each (default 7)")
    parser.add_argument("--plugins", type=int, default=20, help="dummy plugin distributions")
    parser.add_argument(
        "--environment",
        default="production",
        help="the config environment (default production; 'development': none set)",
    )
    parser.add_argument("--workdir", type=Path, help="keep the wheels and virtualenvs here")
    parser.add_argument(
        "--reuse", action="store_true", help="reuse the virtualenvs already in --workdir"
    )
    args = parser.parse_args()
    if shutil.which("uv") is None:
        sys.exit("startup_time.py needs uv on PATH")
    temporary = None
    if args.workdir is None:
        temporary = tempfile.TemporaryDirectory(prefix="cherrypy-startup-")
        work = Path(temporary.name)
    else:
        work = args.workdir.resolve()
        work.mkdir(parents=True, exist_ok=True)
    try:
        ours_python = work / "venv-ours" / "bin" / "python"
        ref_python = work / "venv-cherrypy" / "bin" / "python"
        if not (args.reuse and ours_python.exists() and ref_python.exists()):
            for old in ("wheels", "dummies", "venv-ours", "venv-cherrypy"):
                shutil.rmtree(work / old, ignore_errors=True)
            print("building wheels ...", file=sys.stderr)
            wheels = build(work, args.plugins)
            print(f"installing {len(wheels)} wheels and {REF_SPEC} ...", file=sys.stderr)
            make_venv(work / "venv-ours", *map(str, wheels), find_links=wheels[0].parent)
            make_venv(work / "venv-cherrypy", REF_SPEC)
        app = work / "app.py"
        app.write_text(APP)
        pythons = {"ours": str(ours_python), "cherrypy": str(ref_python)}
        log = work / "app.log"
        log.unlink(missing_ok=True)
        for python in pythons.values():  # warm-up: OS caches, not counted
            time_one(python, app, args.environment, log)
        times: dict[str, list[float]] = {name: [] for name in pythons}
        for run in range(args.runs):
            order = list(pythons) if run % 2 == 0 else list(reversed(pythons))
            for name in order:
                times[name].append(time_one(pythons[name], app, args.environment, log))
            print(
                f"run {run + 1}: " + ", ".join(f"{n} {times[n][-1]:.3f} s" for n in pythons),
                file=sys.stderr,
            )
    finally:
        if temporary is not None:
            temporary.cleanup()
    medians = {name: statistics.median(values) for name, values in times.items()}
    print(
        json.dumps(
            {
                "environment": args.environment,
                "runs": args.runs,
                "dummy_plugins": args.plugins,
                "python": sys.version.split()[0],
                "median_s": {name: round(value, 4) for name, value in medians.items()},
                "all_s": {name: [round(v, 4) for v in values] for name, values in times.items()},
                "ratio_ours_over_cherrypy": round(medians["ours"] / medians["cherrypy"], 3),
            }
        )
    )


if __name__ == "__main__":
    main()
