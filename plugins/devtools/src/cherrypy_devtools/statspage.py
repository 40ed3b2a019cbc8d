"""``StatsPage``: ``logging.statistics`` as an HTML page (``index``) and as JSON (``data``).

Mount it where only operators can reach it, never on a public site: it shows client
addresses, request lines and server internals::

    root.cpstats = StatsPage()

``pause`` and ``resume`` (POST only) switch a namespace's ``Enabled`` flag off and on.
Every value is HTML-escaped on the page.
"""

from __future__ import annotations

import html
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

from cherrypy.plugin import HTTPError, HTTPRedirect, expose, serving

from .statistics import extrapolate_statistics, statistics

__all__ = ["StatsPage", "iso_format", "locale_date", "pause_resume"]

_MISSING = object()


def locale_date(v: float) -> str:
    """Format a timestamp with the locale's date and time representation (UTC)."""
    return time.strftime("%c", time.gmtime(v))


def iso_format(v: float) -> str:
    """Format a timestamp as ``YYYY-MM-DD HH:MM:SS`` (UTC)."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(v))


class _Markup(str):
    """A string already safe to put in HTML (not escaped again)."""


def pause_resume(ns: str) -> Callable[[bool], _Markup]:
    """A formatter for ``Enabled``: Pause and Resume buttons for namespace ``ns``."""
    name = html.escape(ns, quote=True)

    def buttons(enabled: bool) -> _Markup:
        pause = "" if enabled else 'disabled="disabled" '
        resume = 'disabled="disabled" ' if enabled else ""
        return _Markup(
            f'<form action="pause" method="POST" style="display:inline">'
            f'<input type="hidden" name="namespace" value="{name}" />'
            f'<input type="submit" value="Pause" {pause}/></form>'
            f'<form action="resume" method="POST" style="display:inline">'
            f'<input type="hidden" name="namespace" value="{name}" />'
            f'<input type="submit" value="Resume" {resume}/></form>'
        )

    return buttons


def _cell(value: Any) -> str:
    return value if isinstance(value, _Markup) else html.escape(str(value), quote=True)


def _apply(fmt: Any, value: Any) -> Any:
    if fmt is _MISSING:
        return value
    if callable(fmt):
        return fmt(value)
    try:
        return fmt % value
    except TypeError:
        return value


_STYLE = """
th, td { padding: 0.25em 0.5em; border: 1px solid #666699; }
table { border-collapse: collapse; }
table.stats1 { width: 100%; }
table.stats1 th { font-weight: bold; text-align: right; background-color: #CCD5DD; }
table.stats2, h2 { margin-left: 50px; }
table.stats2 th { font-weight: bold; text-align: center; background-color: #CCD5DD; }
"""


class StatsPage:
    """Page handlers reporting ``logging.statistics`` (see the module docstring).

    :attr:`formatting` maps namespace -> key -> a ``%`` format string, a callable, ``None``
    (hide the value) or, for collections, a dict of the same for their columns.
    """

    formatting: dict[str, dict[str, Any]] = {
        "CherryPy Applications": {
            "Enabled": pause_resume("CherryPy Applications"),
            "Bytes Read/Request": "%.3f",
            "Bytes Read/Second": "%.3f",
            "Bytes Written/Request": "%.3f",
            "Bytes Written/Second": "%.3f",
            "Current Time": iso_format,
            "Requests/Second": "%.3f",
            "Start Time": iso_format,
            "Total Time": "%.3f",
            "Uptime": "%.3f",
            "Slow Queries": {"End Time": None, "Processing Time": "%.3f", "Start Time": iso_format},
            "URI Set Tracking": {"Avg": "%.3f", "Max": "%.3f", "Min": "%.3f", "Sum": "%.3f"},
            "Requests": {
                "Bytes Read": "%s",
                "Bytes Written": "%s",
                "End Time": None,
                "Processing Time": "%.3f",
                "Start Time": None,
            },
        },
        "CherryPy WSGIServer": {
            "Enabled": pause_resume("CherryPy WSGIServer"),
            "Connections/second": "%.3f",
            "Start time": iso_format,
        },
    }

    @expose
    def index(self) -> Iterator[str]:
        """The statistics as an HTML page of tables."""
        yield f"<html>\n<head>\n<title>Statistics</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        for title, scalars, collections in self.get_namespaces():
            yield f"<h1>{_cell(title)}</h1>\n<table class='stats1'>\n<tbody>\n"
            for start in range(0, len(scalars), 3):
                row = scalars[start : start + 3]
                cells = "".join(
                    f"<th>{_cell(key)}</th><td id='{_cell(title)}-{_cell(key)}'>{_cell(value)}</td>"
                    for key, value in row
                )
                cells += "<th></th><td></td>" * (3 - len(row))
                yield f"<tr>{cells}</tr>\n"
            yield "</tbody>\n</table>\n"
            for subtitle, headers, subrows in collections:
                head = "".join(f"<th>{_cell(h)}</th>" for h in headers)
                yield (
                    f"<h2>{_cell(subtitle)}</h2>\n<table class='stats2'>\n"
                    f"<thead><tr>{head}</tr></thead>\n<tbody>\n"
                )
                for subrow in subrows:
                    yield "<tr>" + "".join(f"<td>{_cell(v)}</td>" for v in subrow) + "</tr>\n"
                yield "</tbody>\n</table>\n"
        yield "</body>\n</html>\n"

    def get_namespaces(self) -> Iterator[tuple[str, list[Any], list[Any]]]:
        """Yield ``(title, scalars, collections)`` for each namespace, formatted."""
        data = extrapolate_statistics(statistics)
        for title, ns in sorted(data.items()):
            scalars: list[tuple[str, Any]] = []
            collections: list[tuple[str, list[str], list[list[Any]]]] = []
            ns_fmt = self.formatting.get(title, {})
            for key, value in sorted(ns.items()):
                fmt = ns_fmt.get(key, _MISSING)
                if isinstance(value, dict):
                    headers, rows = self.get_dict_collection(
                        value, fmt if isinstance(fmt, dict) else {}
                    )
                    collections.append((key, ["ID", *headers], rows))
                elif isinstance(value, (list, tuple)):
                    headers, rows = self.get_list_collection(
                        value, fmt if isinstance(fmt, dict) else {}
                    )
                    collections.append((key, headers, rows))
                elif fmt is not None:
                    scalars.append((key, _apply(fmt, value)))
            yield title, scalars, collections

    @staticmethod
    def _columns(records: Any, formatting: dict[str, Any]) -> list[str]:
        headers: set[str] = set()
        for record in records:
            headers.update(k for k in record if formatting.get(k, _MISSING) is not None)
        return sorted(headers, key=str)

    def get_dict_collection(
        self, v: dict[Any, Any], formatting: dict[str, Any]
    ) -> tuple[list[str], list[list[Any]]]:
        """Return ``(headers, rows)`` for a dict of records (like ``"Requests"``)."""
        headers = self._columns(v.values(), formatting)
        rows = []
        for ident, record in sorted(v.items(), key=lambda item: str(item[0])):
            rows.append(
                [ident, *(_apply(formatting.get(h, _MISSING), record.get(h, "")) for h in headers)]
            )
        return headers, rows

    def get_list_collection(
        self, v: list[Any] | tuple[Any, ...], formatting: dict[str, Any]
    ) -> tuple[list[str], list[list[Any]]]:
        """Return ``(headers, rows)`` for a list of records (like ``"Slow Queries"``)."""
        headers = self._columns(v, formatting)
        rows = [
            [_apply(formatting.get(h, _MISSING), record.get(h, "")) for h in headers]
            for record in v
        ]
        return headers, rows

    @expose
    def data(self) -> bytes:
        """The statistics as JSON (``application/json``)."""
        serving.response.headers["Content-Type"] = "application/json"
        data = extrapolate_statistics(statistics)
        return json.dumps(data, sort_keys=True, indent=4, default=str).encode("utf-8")

    def _set_enabled(self, namespace: str, enabled: bool) -> None:
        if serving.request.method != "POST":
            serving.response.headers["Allow"] = "POST"
            raise HTTPError(405)
        ns = statistics.get(namespace)
        if isinstance(ns, dict):
            ns["Enabled"] = enabled
        raise HTTPRedirect("./")

    @expose
    def pause(self, namespace: str) -> None:
        """Stop collecting statistics for ``namespace`` (POST), then go back to the page."""
        self._set_enabled(namespace, False)

    @expose
    def resume(self, namespace: str) -> None:
        """Collect statistics for ``namespace`` again (POST), then go back to the page."""
        self._set_enabled(namespace, True)
