"""cherrypy-granian with real processes over real HTTP: ``python -m cherrypy serve --server
granian`` (forked and spawned workers), a ``quickstart()`` program with ``granian.on``, the
engine of every worker (start and stop listeners, tools, shared file sessions), the log lines,
a clean stop on SIGTERM, and the error for an unknown ``--server``."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

pytest.importorskip("granian", reason="granian is not importable: pip install cherrypy-granian")
if os.name != "posix":
    pytest.skip("these tests signal POSIX processes", allow_module_level=True)

DOCS_PAGE = Path(__file__).resolve().parents[3] / "docs" / "granian.md"

APP = textwrap.dedent(
    """
    import os

    import cherrypy

    MARKS = os.environ["MARK_DIR"]


    def mark(event):
        with open(os.path.join(MARKS, f"{event}-{os.getpid()}"), "w") as stream:
            stream.write(event)


    cherrypy.engine.subscribe("start", lambda: mark("start"))
    cherrypy.engine.subscribe("stop", lambda: mark("stop"))


    def record_end():
        with open(os.path.join(MARKS, "ends.txt"), "a") as stream:
            stream.write(cherrypy.request.path_info + "\\n")


    class Root:
        _cp_config = {
            "tools.response_headers.on": True,
            "tools.response_headers.headers": [("X-Served-By", "granian-test")],
        }

        @cherrypy.expose
        def index(self):
            return f"hello from {os.getpid()}"

        @cherrypy.expose
        def count(self):
            cherrypy.session["n"] = n = cherrypy.session.get("n", 0) + 1
            return f"{n} {os.getpid()}"

        @cherrypy.expose
        def ends(self):
            return "ends"

        ends._cp_config = {"hooks.on_end_request": record_end}
    """
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Served:
    """A running server: its process, URL, mark directory and log files."""

    proc: subprocess.Popen[bytes]
    base: str
    marks: Path
    stdout: Path
    stderr: Path

    def log(self) -> str:
        return self.stderr.read_text(errors="replace")

    def pids(self, event: str) -> set[int]:
        return {int(path.name.split("-")[1]) for path in self.marks.glob(f"{event}-*")}

    def wait_until_serving(self, workers: int, timeout: float = 30) -> None:
        """Wait until ``workers`` engines started and the port answers."""
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                pytest.fail(f"server exited with {self.proc.returncode}:\n{self.log()}")
            if len(self.pids("start")) >= workers:
                try:
                    requests.get(self.base + "/", timeout=2)
                    return
                except requests.ConnectionError:
                    pass
            assert time.monotonic() < deadline, f"not serving in time:\n{self.log()}"
            time.sleep(0.05)

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM to the supervisor only (as systemd or docker would); its exit status."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            pytest.fail(f"the server did not stop on SIGTERM:\n{self.log()}")


def _start(tmp_path: Path, args: list[str], port: int) -> Served:
    marks = tmp_path / "marks"
    marks.mkdir(exist_ok=True)
    stdout, stderr = tmp_path / "stdout.log", tmp_path / "stderr.log"
    env = dict(
        os.environ,
        MARK_DIR=str(marks),
        PYTHONPATH=os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]),
    )
    with stdout.open("wb") as out, stderr.open("wb") as err:
        proc = subprocess.Popen(
            [sys.executable, *args], cwd=tmp_path, env=env, stdout=out, stderr=err
        )
    return Served(proc, f"http://127.0.0.1:{port}", marks, stdout, stderr)


@pytest.fixture
def served(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Served]:
    """``python -m cherrypy serve --server granian --workers 2 granian_app:Root``.

    Parametrized indirectly with the multiprocessing start method (``None``: the system's).
    """
    (tmp_path / "granian_app.py").write_text(APP)
    sessions = tmp_path / "sessions"
    sessions.mkdir()
    (tmp_path / "site.conf").write_text(
        "[/]\n"
        "tools.sessions.on = True\n"
        "tools.sessions.storage_type = 'file'\n"
        f"tools.sessions.storage_path = {str(sessions)!r}\n"
    )
    port = _free_port()
    command = [
        "serve",
        "--server",
        "granian",
        "--workers",
        "2",
        "--port",
        str(port),
        "-c",
        "site.conf",
        "granian_app:Root",
    ]
    method = getattr(request, "param", None)
    if method is None:
        args = ["-m", "cherrypy", *command]
    else:
        code = (
            "import multiprocessing, sys; "
            f"multiprocessing.set_start_method({method!r}, force=True); "
            "from cherrypy.__main__ import main; sys.exit(main(sys.argv[1:]))"
        )
        args = ["-c", code, *command]
    server = _start(tmp_path, args, port)
    try:
        yield server
    finally:
        if server.proc.poll() is None:
            server.proc.kill()
            server.proc.wait()


def _assert_clean_stop(server: Served, workers: int) -> None:
    assert server.stop() == 0, server.log()
    log = server.log()
    assert log.count("ENGINE Serving on " + server.base) == 1, log
    for line in ("Bus STARTING", "Bus STARTED", "Bus STOPPING", "Bus STOPPED", "Bus EXITED"):
        assert len(re.findall(rf"ENGINE {line}$", log, re.MULTILINE)) == workers, (line, log)
    assert server.pids("stop") == server.pids("start")


@pytest.mark.parametrize("served", [None, "spawn"], indirect=True, ids=["default", "spawn"])
def test_serve_with_two_workers(served: Served) -> None:
    served.wait_until_serving(workers=2)
    workers = served.pids("start")
    assert len(workers) == 2 and served.proc.pid not in workers

    answer = requests.get(served.base + "/", timeout=5)
    assert answer.status_code == 200
    assert answer.headers["X-Served-By"] == "granian-test"
    assert int(answer.text.rpartition(" ")[2]) in workers

    # File sessions are shared: one client's count goes on whichever worker answers.
    cookies: dict[str, str] = {}
    seen = set()
    for expected in range(1, 31):
        answer = requests.get(served.base + "/count", cookies=cookies, timeout=5)
        cookies.update(answer.cookies.get_dict())
        count, pid = answer.text.split()
        assert int(count) == expected
        seen.add(int(pid))
    assert seen == workers

    # on_end_request hooks run once the body was sent, on every request (granian does not
    # call close() on a list: the kernel never answers with one when the hooks wait for it).
    for _ in range(8):
        assert requests.get(served.base + "/ends", timeout=5).text == "ends"
    ends = served.marks / "ends.txt"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if ends.exists() and ends.read_text().count("/ends\n") == 8:
            break
        time.sleep(0.05)
    assert ends.read_text().count("/ends\n") == 8

    _assert_clean_stop(served, workers=2)


def test_quickstart_program_with_granian_on(tmp_path: Path) -> None:
    [example] = [
        block
        for block in re.findall(r"```python\n(.*?)```", DOCS_PAGE.read_text(), re.DOTALL)
        if "granian.on" in block
    ]
    port = _free_port()
    program = example.replace("8080", str(port)) + textwrap.dedent(
        """
        print("quickstart returned")
        """
    )
    marker = textwrap.dedent(
        """
        import os
        import cherrypy

        def mark(event):
            path = os.path.join(os.environ["MARK_DIR"], f"{event}-{os.getpid()}")
            open(path, "w").close()

        cherrypy.engine.subscribe("start", lambda: mark("start"))
        cherrypy.engine.subscribe("stop", lambda: mark("stop"))
        """
    )
    (tmp_path / "program.py").write_text(marker + program)
    server = _start(tmp_path, ["program.py"], port)
    try:
        server.wait_until_serving(workers=2)
        answer = requests.get(server.base + "/", timeout=5)
        assert answer.text == "Hello from granian!"
        assert server.proc.pid not in server.pids("start")
        _assert_clean_stop(server, workers=2)
        assert "quickstart returned" not in server.stdout.read_text()
    finally:
        if server.proc.poll() is None:
            server.proc.kill()
            server.proc.wait()


def test_unknown_server_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "granian_app.py").write_text(APP)
    done = subprocess.run(
        [sys.executable, "-m", "cherrypy", "serve", "--server", "foo", "granian_app:Root"],
        cwd=tmp_path,
        env=dict(os.environ, MARK_DIR=str(tmp_path)),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "error: unknown server 'foo' (known: cherrypy, granian)" in done.stderr


def test_workers_need_a_server_that_runs_them(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "cherrypy", "serve", "--workers", "3", "granian_app:Root"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "--server granian" in done.stderr
