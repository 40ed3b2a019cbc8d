"""``cherrypy.engine.autoreload``: restart the process when a source or config file changes.

Every ``frequency`` seconds the :class:`Autoreloader` looks at the file of every imported
module whose name matches ``match``, the extra ``files`` and the config files given to
``cherrypy.config.update`` or ``tree.mount``; when one of them is modified or deleted it asks
the engine to restart, and the main thread re-executes the same command line.  The engine
re-executes the interpreter with the command line it was really given (``sys.orig_argv``), so
``python -m package.module``, packages with relative imports, ``-X``/``-W`` options and
virtualenv interpreters come back exactly as they were started.
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys
from types import ModuleType
from typing import Any

from cherrypy.plugin import Monitor, watched_files

__all__ = ["Autoreloader"]

_Stamp = tuple[int, int]


class Autoreloader(Monitor):
    """A :class:`~cherrypy.process.plugins.Monitor` that restarts the process on file changes.

    Config: ``engine.autoreload.on`` (subscribe or unsubscribe it), ``engine.autoreload.frequency``
    (seconds between scans, default 1) and ``engine.autoreload.match`` (a regular expression
    that module names must match to be watched, default ``.*``).  Add other files with
    ``cherrypy.engine.autoreload.files.add(path)``.

    A file counts as changed when its modification time or its size differs from the first
    time it was seen (CherryPy only notices newer times, so restoring an older copy went
    unseen).  The stale bytecode of a changed module is discarded before the restart, so the
    new process never runs a cached ``.pyc`` of the old source.
    """

    files: set[str]
    """Extra files to watch, besides the modules' files."""

    frequency: float = 1
    """Seconds between two scans."""

    match: str = ".*"
    """Regular expression that a module's name must match for its file to be watched."""

    def __init__(self, bus: Any, frequency: float = 1, match: str = ".*") -> None:
        """Configure the reloader; :meth:`subscribe` attaches it to the engine."""
        self.mtimes: dict[str, _Stamp | None] = {}
        self.files = set()
        self.match = match
        self._base_dir = getattr(bus, "startup_cwd", None) or os.getcwd()
        self._pattern: tuple[str, re.Pattern[str]] | None = None
        super().__init__(bus, self.run, frequency)

    def start(self) -> None:
        """Record the current state of the watched files, then start the monitor thread.

        Taking that first look now (CherryPy waits for the first tick) means an edit made
        during the first second is not missed.
        """
        if self.thread is None and self.frequency > 0:
            self.mtimes = {}
            self.run()
        super().start()

    start.priority = 70  # type: ignore[attr-defined]

    # -- what to watch ---------------------------------------------------------------

    def _compiled_match(self) -> re.Pattern[str]:
        cached = self._pattern
        if cached is None or cached[0] != self.match:
            cached = self._pattern = (self.match, re.compile(self.match))
        return cached[1]

    def sysfiles(self) -> set[str]:
        """The files of the loaded modules whose names match :attr:`match`."""
        pattern = self._compiled_match()
        found = set()
        for name, module in list(sys.modules.items()):
            if module is None or not pattern.match(name):
                continue
            filename = self._file_for_module(module)
            if filename:
                found.add(filename)
        return found

    def _file_for_module(self, module: ModuleType | Any) -> str | None:
        """The file to watch for ``module``: its zip archive, its source, or None."""
        return self._archive_for_zip_module(module) or self._file_for_file_module(
            module, self._base_dir
        )

    @staticmethod
    def _archive_for_zip_module(module: ModuleType | Any) -> str | None:
        """The archive a module was imported from by ``zipimport``, or None."""
        archive = getattr(getattr(module, "__loader__", None), "archive", None)
        return archive if isinstance(archive, str) else None

    @staticmethod
    def _file_for_file_module(module: ModuleType | Any, base_dir: str | None = None) -> str | None:
        """The absolute source file of ``module`` (its ``.py`` rather than a ``.pyc``).

        None when the module has no file name (built-in, namespace package, or a
        ``__file__`` set to None).  A relative name is anchored to ``base_dir`` (default: the
        current directory).
        """
        filename = getattr(module, "__file__", None)
        if not isinstance(filename, str) or not filename:
            return None
        if filename.endswith(".pyc"):
            source = filename[:-1]
            if os.path.exists(source):
                filename = source
        return _absolute(filename, base_dir or os.getcwd())

    def _make_absolute(self, filename: str) -> str:
        """Anchor a relative name to the start-up directory, so ``os.chdir`` cannot move it."""
        return _absolute(filename, self._base_dir)

    def _watched(self) -> set[str]:
        extra = {self._make_absolute(os.fsdecode(name)) for name in list(self.files)}
        extra.update(self._make_absolute(name) for name in list(watched_files))
        return self.sysfiles() | extra

    # -- scanning --------------------------------------------------------------------

    def run(self) -> None:
        """Scan the watched files once; restart the engine if one has changed.

        A change seen while the engine is still starting is acted on once it has started
        (restarting from the middle of a start would end the process instead).
        """
        for filename in sorted(self._watched()):
            known = filename in self.mtimes
            before = self.mtimes.get(filename)
            if known and before is None:
                continue  # never existed as a file (built-in, frozen, or generated)
            now = _stamp(filename)
            if not known:
                self.mtimes[filename] = now
            elif now != before and self.bus.state is not self.bus.states.STARTING:
                self._restart(filename)
                return

    def _restart(self, filename: str) -> None:
        self.bus.log(f"Restarting because {filename} changed.")
        _discard_bytecode(filename)
        thread = self.thread
        if thread is not None:
            thread.cancel()
            self.bus.log(f"Stopped thread {thread.name!r}.")
        self.bus.restart()


def _absolute(filename: str, base_dir: str) -> str:
    if os.path.isabs(filename):
        return filename
    return os.path.normpath(os.path.join(base_dir, filename))


def _stamp(filename: str) -> _Stamp | None:
    try:
        info = os.stat(filename)
    except OSError:
        return None
    return info.st_mtime_ns, info.st_size


def _discard_bytecode(filename: str) -> None:
    """Remove the cached bytecode of a changed source file.

    The import system trusts a ``.pyc`` whose recorded source mtime (whole seconds) and size
    still match, which an edit within the same second can leave true.
    """
    if not filename.endswith(".py"):
        return
    try:
        os.remove(importlib.util.cache_from_source(filename))
    except (OSError, NotImplementedError, ValueError):
        pass
