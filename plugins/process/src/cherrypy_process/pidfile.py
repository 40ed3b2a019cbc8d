"""``PIDFile``: write the process id to a file while the engine runs, remove it at exit."""

from __future__ import annotations

import os
from typing import Any

from cherrypy.plugin import SimplePlugin

__all__ = ["PIDFile"]

_RELOAD_READY_ENV = "CHERRYPY_READY_FD"
"""Set in a process started by ``engine.reload()`` until its engine is STARTED."""


def read_pid(path: str | os.PathLike[str]) -> int | None:
    """The pid recorded in ``path``, or None if the file is missing or holds no number."""
    try:
        with open(path, "rb") as file:
            return int(file.read().strip() or b"x")
    except (OSError, ValueError):
        return None


class PIDFile(SimplePlugin):
    """Engine plugin that keeps ``pidfile`` holding this process's id.

    The file is written on ``start`` at priority 70, after the
    :class:`~cherrypy_process.daemonizer.Daemonizer` (65) has forked, so it names the daemon.
    It is replaced atomically (readers never see a half-written file) with mode 0644, and on
    ``exit`` it is removed only if it still names this process, so an instance started in the
    meantime keeps its own file.
    """

    def __init__(self, bus: Any, pidfile: str | os.PathLike[str]) -> None:
        """Remember where to write the pid; nothing is written before ``start``."""
        super().__init__(bus)
        self.pidfile = pidfile
        self.finalized = False

    def start(self) -> None:
        """Write the current pid to :attr:`pidfile` (once per process)."""
        pid = os.getpid()
        if self.finalized:
            self.bus.log(f"PID {pid!r} already written to {self.pidfile!r}.")
            return
        recorded = read_pid(self.pidfile)
        if os.environ.get(_RELOAD_READY_ENV) and recorded is not None and recorded != pid:
            # A graceful reload's new process: the running process the file names is the one
            # it takes over from (engine.reload()).
            self.bus.log(f"PID file {self.pidfile!r} taken over from process {recorded}.")
        elif recorded is not None and recorded != pid and _alive(recorded):
            self.bus.log(
                f"PID file {self.pidfile!r} names process {recorded}, which is running; "
                "overwriting it.",
                level=30,
            )
        temporary = f"{os.fspath(self.pidfile)}.{pid}.tmp"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            os.write(fd, f"{pid}\n".encode("ascii"))
        finally:
            os.close(fd)
        os.replace(temporary, self.pidfile)
        self.bus.log(f"PID {pid!r} written to {self.pidfile!r}.")
        self.finalized = True

    start.priority = 70  # type: ignore[attr-defined]

    def exit(self) -> None:
        """Remove :attr:`pidfile` if it names this process."""
        if read_pid(self.pidfile) != os.getpid():
            return
        try:
            os.remove(self.pidfile)
        except OSError:
            return
        self.bus.log(f"PID file removed: {self.pidfile!r}.")


def _alive(pid: int) -> bool:
    if os.name != "posix":
        return False  # os.kill(pid, 0) would terminate the process on Windows
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True
