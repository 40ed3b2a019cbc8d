"""``Daemonizer``: detach the process from its terminal when the engine starts (POSIX).

The classic double fork: the process forks, the child becomes a session leader and forks
again, and the grandchild, which can never reacquire a terminal, carries on as the daemon
with its standard streams redirected (to ``/dev/null`` by default).

Unlike CherryPy, the original process does not exit as soon as it has forked: it waits until
the daemon has started (exit status 0) or failed to start (exit status 1, with the reason on
its stderr), so that init scripts and ``systemd`` (``Type=forking``) see start-up failures.
The umask is left as it was (CherryPy resets it to 0, which makes every file the daemon
creates world-writable); use :class:`~cherrypy_process.privileges.DropPrivileges` to set one.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from cherrypy.plugin import SimplePlugin

__all__ = ["Daemonizer", "daemonized_pid", "startup_failure"]

_daemon_pid: int | None = None

_READY = b"ok"
_FAILED = b"failed:"


def daemonized_pid() -> int | None:
    """The pid of the daemon this interpreter turned into, if it daemonized itself."""
    return _daemon_pid


def _no_log(msg: str) -> None:
    pass


class Daemonizer(SimplePlugin):
    """Engine plugin that daemonizes the process when the engine starts.

    Subscribe it before starting the engine: ``Daemonizer(cherrypy.engine).subscribe()``.  It
    runs at priority 65 on ``start``, before the autoreloader's thread (70) and the HTTP
    server (75), since a fork keeps only the calling thread.
    """

    def __init__(
        self,
        bus: Any,
        stdin: str = "/dev/null",
        stdout: str = "/dev/null",
        stderr: str = "/dev/null",
    ) -> None:
        """Configure where the daemon's standard streams go."""
        super().__init__(bus)
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
        self.finalized = False
        self._ready_fd: int | None = None
        self._report_lock = threading.Lock()

    def start(self) -> None:
        """Daemonize (once); the original process waits for the outcome of the start."""
        if self.finalized:
            self.bus.log("Already daemonized.")
            return
        if threading.active_count() != 1:
            self.bus.log(
                f"There are {threading.active_count()!r} active threads. "
                f"Daemonizing now may cause strange failures: {threading.enumerate()!r}",
                level=30,
            )
        self._ready_fd = _detach(self.stdin, self.stdout, self.stderr, self.bus.log, True)
        self.finalized = True
        watcher = threading.Thread(
            target=self._report_when_started, name="Daemonizer readiness", daemon=True
        )
        watcher.start()

    start.priority = 65  # type: ignore[attr-defined]

    def exit(self) -> None:
        """If the engine exits before it finished starting, tell the waiting parent why."""
        self._report(_FAILED + startup_failure().encode("utf-8", "replace"))

    def _report_when_started(self) -> None:
        states = self.bus.states
        while self._ready_fd is not None:
            if self.bus.state is states.STARTED:
                self._report(_READY)
                return
            if self.bus.state is not states.STARTING:
                return  # the exit listener reports the failure
            time.sleep(0.02)

    def _report(self, message: bytes) -> None:
        with self._report_lock:
            fd, self._ready_fd = self._ready_fd, None
        if fd is None:
            return
        try:
            os.write(fd, message)
        except OSError:
            pass  # the parent is gone; nobody to tell
        finally:
            os.close(fd)

    @staticmethod
    def daemonize(
        stdin: str = "/dev/null",
        stdout: str = "/dev/null",
        stderr: str = "/dev/null",
        logger: Callable[[str], Any] = _no_log,
    ) -> None:
        """Detach now: fork twice, start a new session and redirect the standard streams.

        The original process exits with status 0 right after the first fork; only the
        daemon returns from this call.
        """
        _detach(stdin, stdout, stderr, logger, False)


def startup_failure() -> str:
    """Why the engine is exiting during its start, for ``exit`` listeners to report.

    The engine exits from inside the failed ``start()``, so the exception being handled (a
    ``ChannelFailures`` gathering the listeners' errors) says why.
    """
    error = sys.exc_info()[1]
    if error is None:
        return "the engine exited before it finished starting"
    instances = getattr(error, "get_instances", None)
    errors = instances() if callable(instances) else [error]
    return "; ".join(f"{type(e).__name__}: {e}" for e in errors) or repr(error)


def _fork(step: str) -> int:
    try:
        return os.fork()
    except OSError as exc:
        sys.exit(f"{sys.argv[0]}: fork #{step} failed: ({exc.errno}) {exc.strerror}\n")


def _detach(
    stdin: str,
    stdout: str,
    stderr: str,
    logger: Callable[[str], Any],
    wait: bool,
) -> int | None:
    """Double-fork into a daemon and return, in the daemon, the write end of the pipe that the
    original process waits on (with ``wait``; otherwise it exits at once and this is None)."""
    global _daemon_pid
    sys.stdout.flush()
    sys.stderr.flush()

    read_fd, write_fd = os.pipe() if wait else (None, None)
    pid = _fork("1")
    if pid > 0:
        logger("Forking once.")
        status = 0
        if read_fd is not None and write_fd is not None:
            os.close(write_fd)
            status = _wait_for_daemon(read_fd, pid)
        os._exit(status)
    if read_fd is not None:
        os.close(read_fd)
    os.setsid()
    if _fork("2") > 0:
        logger("Forking twice.")
        os._exit(0)

    with open(stdin) as source:
        os.dup2(source.fileno(), sys.stdin.fileno())
    with open(stdout, "a+") as target:
        os.dup2(target.fileno(), sys.stdout.fileno())
    with open(stderr, "a+") as target:
        os.dup2(target.fileno(), sys.stderr.fileno())
    _daemon_pid = os.getpid()
    logger(f"Daemonized to PID: {_daemon_pid}")
    return write_fd


def _wait_for_daemon(read_fd: int, child: int) -> int:
    """In the original process: read the daemon's report; return the exit status to use."""
    try:
        os.waitpid(child, 0)
    except ChildProcessError:
        pass
    chunks = []
    while chunk := os.read(read_fd, 65536):
        chunks.append(chunk)
    message = b"".join(chunks)
    if message == _READY:
        return 0
    if message.startswith(_FAILED):
        reason = message[len(_FAILED) :].decode("utf-8", "replace")
    else:
        reason = "the daemon exited before it finished starting"
    sys.stderr.write(f"Daemon failed to start: {reason}\n")
    sys.stderr.flush()
    return 1
