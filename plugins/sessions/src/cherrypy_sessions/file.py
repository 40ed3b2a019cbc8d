"""The file backend (``storage_type = "file"``): one file per session in ``storage_path``.

Each session is the pickle of ``(data, expiration_time)`` in ``<storage_path>/session-<id>``,
CherryPy's layout and format, so a directory written by CherryPy 18 keeps working.  What
differs is how the files are handled:

* **atomic writes**: data goes to a private temporary file (mode 0600) in the same directory,
  is flushed and ``fsync``-ed, then renamed over the session file, and the directory is
  ``fsync``-ed; a reader sees the old or the new data, never a torn file, even if the process
  is killed mid-write or the machine loses power;
* **inter-process locks**: ``session-<id>.lock`` is locked with an OS advisory lock
  (:class:`~cherrypy_sessions.locks.FileLock`), which the OS releases when a process dies, so
  stale locks of killed processes are recovered at once; the requests of one process queue in
  memory first, so only one of them per session waits on the file; ``lock_timeout`` (seconds)
  bounds the whole wait (then 503);
* **no litter**: the holder removes the lock file as it releases it, so a lock file exists
  only while a request holds or waits for the session (a request without a cookie leaves
  nothing behind, nor does one whose session is never loaded);
* **safe cleanup**: a session is deleted only by someone holding its lock, so cleanup never
  deletes a session a request is using; lock files and temporary files left by a killed
  process are harmless (no reader looks at them) and removed the same way by the cleanup
  thread, so a server restarts on a crashed one's directory without manual cleanup;
* **damaged files**: an unreadable, truncated or foreign session file (a crash of an older
  version mid-write) is treated as no session: the client gets a new id, never a 500;
* **clear errors**: a missing, non-directory or unwritable ``storage_path`` is reported by
  name when the first request configures the backend.

Ids reach this module only after :mod:`cherrypy_sessions.ids` validated them (letters,
digits, ``-`` and ``_``), and :meth:`FileSession._get_file_path` checks again, so no path
separator or dot from a cookie ever reaches the file system.  The pickles are trusted data:
keep ``storage_path`` private to the server's user (the files are created with mode 0600).
"""

from __future__ import annotations

import datetime
import os
import time
from typing import Any

from cherrypy_sessions.base import Session, _log
from cherrypy_sessions.locks import FileLock

__all__ = ["FileSession", "StoragePathError", "check_storage_path"]

_WRITE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)


class StoragePathError(OSError):
    """``tools.sessions.storage_path`` is missing, not a directory or not writable."""


def check_storage_path(path: Any) -> str:
    """Return ``path`` made absolute, or raise :class:`StoragePathError` saying what is wrong."""
    if not path:
        raise StoragePathError(
            "The file session backend needs a directory: set tools.sessions.storage_path"
        )
    path = os.path.abspath(os.fspath(path))
    if not os.path.exists(path):
        raise StoragePathError(
            f"tools.sessions.storage_path {path!r} does not exist; create it (readable and "
            "writable only by the server's user) or set storage_path to an existing directory"
        )
    if not os.path.isdir(path):
        raise StoragePathError(f"tools.sessions.storage_path {path!r} is not a directory")
    if not os.access(path, os.R_OK | os.W_OK | os.X_OK):
        raise StoragePathError(
            f"tools.sessions.storage_path {path!r} is not readable and writable by this "
            "process; fix its permissions or choose another directory"
        )
    return path


def _seconds(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    raise ValueError("lock_timeout must be a number of seconds, a timedelta or None")


def _fsync_directory(path: str) -> None:
    if os.name != "posix":
        return
    fd = os.open(path, _DIR_FLAGS)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class FileSession(Session):
    """Sessions stored as files, shared by every process that uses the same directory."""

    SESSION_PREFIX = "session-"
    """File name prefix of session files."""

    LOCK_SUFFIX = ".lock"
    """Suffix of lock files (``session-<id>.lock``)."""

    TEMP_SUFFIX = ".tmp"
    """Suffix of temporary files (``.session-<id>.<pid>.<random>.tmp``)."""

    pickle_protocol = 5
    """Pickle protocol of the session files: ``pickle.HIGHEST_PROTOCOL`` (5 on every Python
    this runs on; written out so that pickle is imported on first use, not at start-up)."""

    storage_path = ""
    """The directory holding the session files."""

    fsync = True
    """``fsync`` each written file and the directory (durability across power loss)."""

    def __init__(self, id: str | None = None, **kwargs: Any) -> None:
        path = kwargs.get("storage_path") or self.storage_path
        if not path:
            raise StoragePathError(
                "The file session backend needs a directory: set tools.sessions.storage_path"
            )
        kwargs["storage_path"] = path if os.path.isabs(path) else os.path.abspath(path)
        kwargs["lock_timeout"] = _seconds(kwargs.get("lock_timeout", self.lock_timeout))
        super().__init__(id, **kwargs)

    @classmethod
    def setup(cls, **kwargs: Any) -> None:
        """Check the settings before the first session uses them (clear errors if unusable).

        Called once per distinct configuration by the sessions tool.  Unlike CherryPy's, it
        does not copy the settings onto the class, so two applications with different
        directories cannot leak settings into each other.
        """
        check_storage_path(kwargs.get("storage_path"))
        _seconds(kwargs.get("lock_timeout"))

    def cleanup_key(self) -> Any:
        """Sessions in the same directory share one cleanup thread."""
        return self.storage_path

    # -- paths --------------------------------------------------------------------------------

    def _get_file_path(self) -> str:
        sid = self._id
        if not self.is_valid_id(sid):
            raise ValueError(f"refusing to build a file name from the session id {sid!r}")
        return f"{self.storage_path}{os.sep}{self.SESSION_PREFIX}{sid}"

    def _temp_path(self) -> str:
        from secrets import token_hex

        name = f".{self.SESSION_PREFIX}{self._id}.{os.getpid()}.{token_hex(6)}"
        return f"{self.storage_path}{os.sep}{name}{self.TEMP_SUFFIX}"

    # -- storage primitives -------------------------------------------------------------------

    def _exists(self) -> bool:
        return os.path.exists(self._get_file_path())

    def _load(self, path: str | None = None) -> tuple[dict[Any, Any], datetime.datetime] | None:
        if path is None:
            path = self._get_file_path()
        import pickle

        try:
            with open(path, "rb") as handle:
                contents = pickle.load(handle)
        except FileNotFoundError:
            return None
        except Exception as exc:
            _log(f"Unreadable session file {path!r} treated as missing: {exc!r}")
            return None
        if not (
            isinstance(contents, tuple)
            and len(contents) == 2
            and isinstance(contents[0], dict)
            and isinstance(contents[1], datetime.datetime)
        ):
            _log(f"Session file {path!r} does not hold (data, expiration); treated as missing")
            return None
        return contents

    def _save(self, expiration_time: datetime.datetime) -> None:
        import pickle

        payload = pickle.dumps((self._data, expiration_time), self.pickle_protocol)
        own_lock = not self.locked
        if own_lock:
            self.acquire_lock()
        try:
            self._write_atomically(self._get_file_path(), payload)
        finally:
            if own_lock:
                self.release_lock()

    def _write_atomically(self, path: str, payload: bytes) -> None:
        """Replace ``path`` with ``payload`` so that readers see all of it or none of it."""
        temp = self._temp_path()
        fd = os.open(temp, _WRITE_FLAGS, 0o600)
        try:
            try:
                view = memoryview(payload)
                while view:
                    view = view[os.write(fd, view) :]
                if self.fsync:
                    os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(temp, path)
        except BaseException:
            try:
                os.unlink(temp)
            except OSError:
                pass
            raise
        if self.fsync:
            _fsync_directory(self.storage_path)

    def _delete(self) -> None:
        try:
            os.unlink(self._get_file_path())
        except FileNotFoundError:
            pass

    def acquire_lock(self, path: str | None = None) -> None:
        """Take the inter-process lock of this session (no-op if this object holds it)."""
        if self.locked:
            return
        lock_path = (path or self._get_file_path()) + self.LOCK_SUFFIX
        lock = FileLock(lock_path, self.lock_timeout)
        lock.acquire()
        self._lock = lock
        self._lock_path = lock_path
        self.locked = True
        if self.debug:
            _log("Lock acquired.")

    def release_lock(self, path: str | None = None) -> None:
        """Release the lock taken by :meth:`acquire_lock` and remove its lock file.

        Removing it while still holding it is safe: a waiter that then wins the lock on the
        removed file notices and locks the file now at the path instead (see
        :class:`~cherrypy_sessions.locks.FileLock`).
        """
        self.locked = False
        self._lock.release(unlink=True)

    # -- maintenance --------------------------------------------------------------------------

    def clean_up(self) -> None:
        """Delete expired sessions, leftover lock files and temporary files of dead writers.

        Each removal happens while holding the session's lock, taken without waiting: a
        session in use is skipped until the next pass.  Every lock file this takes is removed
        again as it is released, so a pass leaves no lock file of its own.
        """
        try:
            names = os.listdir(self.storage_path)
        except FileNotFoundError:
            _log(f"Session storage {self.storage_path!r} is gone; nothing to clean")
            return
        now = self.now()
        prefix, lock_suffix = self.SESSION_PREFIX, self.LOCK_SUFFIX
        temp_prefix = "." + prefix
        for name in names:
            try:
                if name.startswith(prefix):
                    if name.endswith(lock_suffix):
                        self._clean_lock_file(name[len(prefix) : -len(lock_suffix)])
                    else:
                        self._clean_session_file(name[len(prefix) :], now)
                elif name.startswith(temp_prefix) and name.endswith(self.TEMP_SUFFIX):
                    self._clean_temp_file(name, name[len(temp_prefix) :].split(".", 1)[0])
            except FileNotFoundError:
                continue

    def _idle_lock(self, sid: str) -> tuple[str, FileLock] | None:
        """``(session path, its lock, now held)`` if ``sid`` is valid and unlocked, else None."""
        if not self.is_valid_id(sid):
            return None
        path = f"{self.storage_path}{os.sep}{self.SESSION_PREFIX}{sid}"
        lock = FileLock(path + self.LOCK_SUFFIX)
        return (path, lock) if lock.acquire(blocking=False) else None

    def _clean_session_file(self, sid: str, now: datetime.datetime) -> None:
        held = self._idle_lock(sid)
        if held is None:
            return
        path, lock = held
        try:
            contents = self._load(path)
            if contents is None:
                # Unreadable: drop it once it is older than a session could live.
                expired = os.path.getmtime(path) + self.timeout * 60 < time.time()
            else:
                expired = contents[1] < now
            if expired:
                os.unlink(path)
                if self.debug:
                    _log(f"Cleanup removed expired session {sid}")
        finally:
            lock.release(unlink=True)

    def _clean_lock_file(self, sid: str) -> None:
        """Remove a lock file nobody holds (left by a killed process)."""
        held = self._idle_lock(sid)
        if held is not None:
            held[1].release(unlink=True)

    def _clean_temp_file(self, name: str, sid: str) -> None:
        """Remove a temporary file whose writer is gone (writers hold the session lock)."""
        held = self._idle_lock(sid)
        if held is None:
            return
        try:
            os.unlink(f"{self.storage_path}{os.sep}{name}")
        finally:
            held[1].release(unlink=True)

    def __len__(self) -> int:
        """The number of session files in ``storage_path``."""
        prefix, suffix = self.SESSION_PREFIX, self.LOCK_SUFFIX
        return sum(
            1
            for name in os.listdir(self.storage_path)
            if name.startswith(prefix) and not name.endswith(suffix)
        )
