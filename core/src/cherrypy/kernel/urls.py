"""``cherrypy.url()``: build absolute or relative URLs for the current request."""

from __future__ import annotations

import urllib.parse
from typing import Any

from cherrypy.kernel.context import serving
from cherrypy.kernel.runtime import get_server

__all__ = ["normalize_path", "url"]


def normalize_path(path: str) -> str:
    """Resolve ``.`` and ``..`` segments of the path part of ``path`` (scheme and host kept)."""
    if "./" not in path:
        return path
    prefix = ""
    scheme_end = path.find("://")
    if scheme_end != -1:
        host_end = path.find("/", scheme_end + 3)
        if host_end == -1:
            return path
        prefix, path = path[:host_end], path[host_end:]
    atoms: list[str] = []
    for atom in path.split("/"):
        if atom == ".":
            continue
        if atom == "..":
            if atoms:
                atoms.pop()
            continue
        if atom:
            atoms.append(atom)
    result = "/".join(atoms)
    if path.startswith("/"):
        result = "/" + result
    if path.endswith(("/", "/.", "/..")) and result and not result.endswith("/"):
        result += "/"
    return prefix + result


def url(
    path: str = "",
    qs: Any = "",
    script_name: str | None = None,
    base: str | None = None,
    relative: bool | str | None = None,
) -> str:
    """Return the absolute URL for ``path`` in the current application.

    A path without a leading slash is relative to the current ``path_info``; ``qs`` may be a
    string or a mapping/sequence to urlencode.  ``relative=True`` gives a URL relative to the
    current one, ``relative='server'`` one relative to the server root; the default comes
    from ``app.relative_urls``.
    """
    if isinstance(qs, (tuple, list, dict)):
        qs = urllib.parse.urlencode(qs)
    if qs:
        qs = "?" + qs
    request = serving.request
    app = getattr(request, "app", None) if request is not None else None
    if app is not None:
        if not path.startswith("/"):
            pi = request.path_info
            if request.is_index is True:
                if not pi.endswith("/"):
                    pi += "/"
            elif request.is_index is False and pi.endswith("/") and pi != "/":
                pi = pi[:-1]
            if path == "":
                path = pi
            else:
                path = urllib.parse.urljoin(pi, path)
                if path[:1] != "/" and ":" not in path:
                    # urljoin('/', '../x') gives 'x': climbing above the root stays at it.
                    path = "/" + path
        if script_name is None:
            script_name = request.script_name
        if base is None:
            base = request.base
        newurl = normalize_path(base + script_name + normalize_path(path))
    else:
        if base is None:
            base = _server_base()
        newurl = normalize_path(base + (script_name or "") + path)
    # The query string is not a path: "?next=/a/../b" stays as given.
    newurl += qs
    if relative is None:
        relative = getattr(app, "relative_urls", False)
    if relative == "server":
        newurl = "/" + "/".join(newurl.split("/", 3)[3:])
    elif relative:
        old = url(relative=False).split("/")[:-1]
        new = newurl.split("/")
        while old and new and old[0] == new[0]:
            old.pop(0)
            new.pop(0)
        newurl = "/".join([".."] * len(old) + new)
    return newurl


def _server_base() -> str:
    try:
        server = get_server()
    except AttributeError:
        return "http://127.0.0.1"
    return str(server.base())  # type: ignore[attr-defined]
