"""``cherrypy.lib.profiler``: profile page handlers or whole WSGI applications.

* :class:`Profiler` runs a callable under :mod:`cProfile` and writes one ``cp_NNNN.prof``
  file per run into a directory; it is also a set of page handlers browsing those files.
* :class:`ProfileAggregator` accumulates every run into one file.
* :class:`make_app` is WSGI middleware profiling each request.
* :func:`serve` serves a profile directory for browsing.

The browser pages show source paths and timings of the server: serve them on localhost (as
:func:`serve` does by default) and never mount them on a public site.  Unlike CherryPy's,
``report`` only opens files listed by :meth:`Profiler.statfiles` (no path traversal), and
the menu escapes file names.
"""

from __future__ import annotations

import cProfile
import html
import io
import itertools
import os
import pstats
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from urllib.parse import quote

from cherrypy.plugin import NotFound, expose, serving

__all__ = ["ProfileAggregator", "Profiler", "default_path", "make_app", "serve"]

_counter = itertools.count(1)
_counter_lock = threading.Lock()


def _next_number() -> int:
    with _counter_lock:
        return next(_counter)


def default_path() -> str:
    """The default profile directory: ``cherrypy-profile-<uid>`` in the temp directory."""
    uid = os.getuid() if hasattr(os, "getuid") else os.getpid()
    return os.path.join(tempfile.gettempdir(), f"cherrypy-profile-{uid}")


class Profiler:
    """Write a profile of each :meth:`run` into ``path``; browse them as page handlers."""

    def __init__(self, path: str | None = None) -> None:
        self.path = path or default_path()
        os.makedirs(self.path, mode=0o700, exist_ok=True)

    def run(self, func: Callable[..., Any], *args: Any, **params: Any) -> Any:
        """Call ``func(*args, **params)`` under the profiler; dump to a new file; return its result."""
        path = os.path.join(self.path, f"cp_{_next_number():04d}.prof")
        prof = cProfile.Profile()
        try:
            return prof.runcall(func, *args, **params)
        finally:
            prof.dump_stats(path)

    def statfiles(self) -> list[str]:
        """The profile file names (``cp_*.prof``) in :attr:`path`."""
        return [
            name
            for name in os.listdir(self.path)
            if name.startswith("cp_") and name.endswith(".prof")
        ]

    def stats(self, filename: str, sortby: str = "cumulative") -> str:
        """The ``print_stats()`` report of one profile file, sorted by ``sortby``."""
        if filename not in self.statfiles():
            raise NotFound()
        out = io.StringIO()
        report = pstats.Stats(os.path.join(self.path, filename), stream=out)
        report.strip_dirs()
        report.sort_stats(sortby)
        report.print_stats()
        return out.getvalue()

    @expose
    def index(self) -> str:
        """A frameset: the list of runs beside the selected report."""
        return (
            "<html>\n<head><title>CherryPy profile data</title></head>\n"
            "<frameset cols='200, 1*'>\n<frame src='menu' />\n<frame name='main' src='' />\n"
            "</frameset>\n</html>\n"
        )

    @expose
    def menu(self) -> Iterator[str]:
        """Links to the report of each run."""
        yield "<h2>Profiling runs</h2>"
        yield "<p>Click on one of the runs below to see profiling data.</p>"
        for name in sorted(self.statfiles()):
            yield (
                f"<a href='report?filename={html.escape(quote(name), quote=True)}' "
                f"target='main'>{html.escape(name)}</a><br />"
            )

    @expose
    def report(self, filename: str) -> str:
        """The text report of one run (404 for a file that is not a listed run)."""
        serving.response.headers["Content-Type"] = "text/plain"
        return self.stats(filename)


class ProfileAggregator(Profiler):
    """A :class:`Profiler` whose runs all accumulate into one file."""

    def __init__(self, path: str | None = None) -> None:
        super().__init__(path)
        self.count = _next_number()
        self.profiler = cProfile.Profile()
        self._lock = threading.Lock()

    def run(self, func: Callable[..., Any], *args: Any, **params: Any) -> Any:
        """Call ``func`` under the shared profiler and rewrite the aggregate file."""
        path = os.path.join(self.path, f"cp_{self.count:04d}.prof")
        # One profiler cannot be active in two threads at once.
        with self._lock:
            try:
                return self.profiler.runcall(func, *args, **params)
            finally:
                self.profiler.dump_stats(path)


class make_app:
    """WSGI middleware profiling ``nextapp``: each request (or, with ``aggregate``, all of
    them together) is written to a profile file in ``path``."""

    def __init__(
        self,
        nextapp: Callable[..., Iterable[bytes]],
        path: str | None = None,
        aggregate: bool = False,
    ) -> None:
        self.nextapp = nextapp
        self.aggregate = aggregate
        self.profiler: Profiler = ProfileAggregator(path) if aggregate else Profiler(path)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        """Run the wrapped application, including the iteration of its body, under profiling."""

        def gather() -> list[bytes]:
            result = self.nextapp(environ, start_response)
            try:
                return list(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()

        return self.profiler.run(gather)


def serve(path: str | None = None, port: int = 8080) -> None:
    """Browse the profiles in ``path`` on ``http://127.0.0.1:port/`` (blocks)."""
    import cherrypy

    cherrypy.config.update(
        {
            "server.socket_host": "127.0.0.1",
            "server.socket_port": int(port),
            "server.thread_pool": 10,
            "environment": "production",
        }
    )
    cherrypy.quickstart(Profiler(path))
