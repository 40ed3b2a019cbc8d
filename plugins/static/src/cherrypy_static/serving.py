"""Serving files: ``cherrypy.lib.static`` (``serve_file``, ``serve_fileobj``, ``serve_download``)
and the callables of ``tools.staticdir`` and ``tools.staticfile``.

Every function sets ``cherrypy.response`` (status, headers, a streaming body) for the
current request and returns the body, so a page handler may ``return serve_file(...)``.
A served file gets ``Content-Type``, ``Content-Length``, ``Last-Modified`` and ``ETag``;
conditional requests get ``304``/``412``, ranges ``206``/``416`` (see :mod:`.conditional`
and :mod:`.ranges`).
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Callable, Mapping
from typing import Any

import cherrypy
from cherrypy.plugin import HTTPError, NotFound, serving

from .bodies import CHUNK_SIZE, file_body, iter_slice
from .conditional import Validators, evaluate_preconditions, if_range_holds, validators_for
from .disposition import content_disposition
from .mediatypes import guess_type
from .paths import UnsafePath, branch_of, resolve_under, split_segments
from .ranges import MultipartBody, plan_ranges

__all__ = ["serve_download", "serve_file", "serve_fileobj", "staticdir", "staticfile"]


def __getattr__(name: str) -> Any:
    """``mimetypes``: CherryPy code reaches the registry as ``cherrypy.lib.static.mimetypes``
    (imported when asked for, not when the plugin loads at start-up)."""
    if name == "mimetypes":
        import mimetypes

        return mimetypes
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_BINARY", 0)
    | getattr(os, "O_CLOEXEC", 0)
    # A FIFO swapped in for a file must not block the worker thread in open().
    | getattr(os, "O_NONBLOCK", 0)
)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
# What an ``O_NOFOLLOW`` open of a symbolic link fails with (Linux, macOS: ELOOP; FreeBSD: EMLINK).
_LINK_ERRNOS = (errno.ELOOP, errno.EMLINK)


def _log(debug: bool, message: str, context: str) -> None:
    if debug:
        cherrypy.log(message, context)


def _open_regular(
    path: str, nofollow: bool, relink: Callable[[], str] | None = None
) -> tuple[int, os.stat_result]:
    """Open ``path`` for reading if it is a regular file: (descriptor, stat) or NotFound / 403.

    ``relink`` is for a last path component that was not checked for a symbolic link:
    when the no-follow open finds one there, ``relink()`` gives the path to open instead
    (its target, once checked), or raises :class:`~.paths.UnsafePath` (answered with 403).
    """
    try:
        fd = os.open(path, _OPEN_FLAGS | (_NOFOLLOW if nofollow else 0))
    except PermissionError:
        if os.path.isdir(path):  # Windows refuses to open directories
            raise NotFound() from None
        raise HTTPError(403) from None
    except OSError as exc:
        if relink is None or exc.errno not in _LINK_ERRNOS:
            # Missing, a link where none may be (ELOOP), ...
            raise NotFound() from None
        try:
            target = relink()
        except UnsafePath:
            raise HTTPError(403) from None
        return _open_regular(target, nofollow)
    except (ValueError, TypeError):
        # A NUL byte in the name, ...
        raise NotFound() from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            # Directories, devices, FIFOs and sockets are never served.
            raise NotFound()
        return fd, info
    except BaseException:
        os.close(fd)
        raise


def serve_file(
    path: str,
    content_type: str | None = None,
    disposition: str | None = None,
    name: str | None = None,
    debug: bool = False,
) -> Any:
    """Serve the file at the absolute ``path``; return the response body.

    ``content_type`` defaults to a guess from the extension (``application/octet-stream``
    when unknown).  With ``disposition`` (``"attachment"`` or ``"inline"``) a
    ``Content-Disposition`` header names the file ``name`` (default: the file's own name),
    with an RFC 6266 ``filename*`` when the name is not plain ASCII.  Raises
    :class:`~cherrypy.NotFound` when there is no regular file at ``path`` and
    :class:`ValueError` when ``path`` is relative.
    """
    return _serve_path(path, content_type, disposition, name, debug)


def serve_download(path: str, name: str | None = None) -> Any:
    """Serve ``path`` as an ``application/x-download`` attachment called ``name``."""
    return serve_file(path, "application/x-download", "attachment", name)


def _serve_path(
    path: str,
    content_type: str | None = None,
    disposition: str | None = None,
    name: str | None = None,
    debug: bool = False,
    nofollow: bool = False,
    content_types: Mapping[str, str] | None = None,
    type_name: str | None = None,
    relink: Callable[[], str] | None = None,
) -> Any:
    if not os.path.isabs(path):
        # Relative to what?  The current directory depends on how the process was started.
        raise ValueError(f"'{path}' is not an absolute path.")
    fd, info = _open_regular(path, nofollow, relink)
    file = None
    try:
        response = serving.response
        headers = response.headers
        if content_type is None:
            content_type = guess_type(type_name or path, content_types)
        headers["Content-Type"] = content_type
        if debug:
            _log(debug, f"Content-Type: {content_type!r}", "TOOLS.STATIC")
        if disposition is not None:
            if name is None:
                name = os.path.basename(path)
            headers["Content-Disposition"] = content_disposition(disposition, name)
        size = info.st_size
        validators = validators_for(info, now=response.time)
        if size <= SMALL_FILE_SIZE:
            body = _send_small(fd, size, validators, path)
            if body is not None:
                os.close(fd)
                return body
        file = os.fdopen(fd, "rb")
        return _send(file, 0, size, validators, content_type, debug, reopen=path)
    except BaseException:
        if file is None:
            os.close(fd)
        else:
            file.close()
        raise


SMALL_FILE_SIZE = 64 * 1024
"""Files up to this size are read whole and sent with the response head, in one piece.

A ``GET`` of a whole small file costs less that way than streaming it: no file object,
no ``wsgi.file_wrapper`` and, on our server, one ``send`` for head and body.  Larger files,
``HEAD`` and ``Range`` requests are streamed (``os.sendfile`` where the server can).
"""


_read = os.read


def _send_small(fd: int, size: int, validators: Validators, path: str) -> list[bytes] | None:
    """The body of a ``GET`` of the whole small file open on ``fd``; None when the request wants something else (``HEAD``, a ``Range``), for :func:`_send`.

    Preconditions (304, 412) are evaluated first.  The body is what the file holds now, up
    to ``size`` bytes, and ``Content-Length`` says how much that is.
    """
    request = serving.request
    if request.method != "GET":
        return None
    request_headers = request.headers
    ranged = request.protocol >= (1, 1)
    if ranged and request_headers.get("Range"):
        return None
    response = serving.response
    headers = response.headers
    validators.apply(headers)
    evaluate_preconditions("GET", request_headers, response, validators)
    if ranged:
        headers["Accept-Ranges"] = "bytes"
    data = _read(fd, size) if size else b""
    while len(data) < size:
        more = _read(fd, size - len(data))
        if not more:
            break  # the file shrank: send what there is
        data += more
    headers["Content-Length"] = len(data)
    response.body = body = [data]
    _announce_send(path, len(data))
    return body


def serve_fileobj(
    fileobj: Any,
    content_type: str | None = None,
    disposition: str | None = None,
    name: str | None = None,
    debug: bool = False,
) -> Any:
    """Serve an open binary file object, from its current position to its end.

    ``Content-Type`` is set only when ``content_type`` is given.  With ``disposition`` the
    ``Content-Disposition`` header is ``disposition`` alone, or names the file ``name``.
    Ranges need a seekable object; validators (``Last-Modified``, ``ETag``) a real file.
    The object is closed once its content has been sent.
    """
    try:
        headers = serving.response.headers
        start, length, validators = _measure(fileobj)
        if content_type is not None:
            headers["Content-Type"] = content_type
        if disposition is not None:
            headers["Content-Disposition"] = content_disposition(disposition, name)
        part_type = content_type if content_type is not None else headers.get("Content-Type")
        return _send(fileobj, start, length, validators, part_type, debug, reopen=None)
    except BaseException:
        # 304, 412, 416: nothing will read the object, so it is closed now.
        close = getattr(fileobj, "close", None)
        if close is not None:
            close()
        raise


def _measure(fileobj: Any) -> tuple[int | None, int | None, Validators | None]:
    """(start, length, validators) of what is left to read in ``fileobj``; Nones if unknown."""
    try:
        position: int | None = fileobj.tell()
    except (AttributeError, OSError, ValueError):
        position = None
    try:
        info: os.stat_result | None = os.fstat(fileobj.fileno())
    except (AttributeError, OSError, ValueError):
        info = None
    if info is not None and stat.S_ISREG(info.st_mode):
        start = position or 0
        return (
            start,
            max(info.st_size - start, 0),
            validators_for(info, start, serving.response.time),
        )
    if position is None:
        return None, None, None
    try:
        end = fileobj.seek(0, os.SEEK_END)
        fileobj.seek(position)
    except (AttributeError, OSError, ValueError):
        return None, None, None
    return position, max(end - position, 0), None


def _send(
    file: Any,
    start: int | None,
    length: int | None,
    validators: Validators | None,
    content_type: str | None,
    debug: bool,
    reopen: str | None,
) -> Any:
    """Validate, pick the ranges and set the body for ``length`` bytes of ``file`` at ``start``.

    ``reopen`` is the path of a file this module opened: a HEAD response closes it at once
    and its body would reopen it only if something iterated it.
    """
    request = serving.request
    response = serving.response
    headers = response.headers
    if validators is not None:
        validators.apply(headers)
        evaluate_preconditions(request.method, request.headers, response, validators)
    ranges = None
    if start is not None and length is not None and request.protocol >= (1, 1):
        headers["Accept-Ranges"] = "bytes"
        requested = request.headers.get("Range")
        if requested and _is_plain_ok(response.status):
            if_range = request.headers.get("If-Range")
            # Without validators an If-Range cannot hold: the whole entity is sent.
            if if_range is None or (
                validators is not None and if_range_holds(if_range, validators)
            ):
                ranges = plan_ranges(requested, length)
            if ranges == []:
                headers["Content-Range"] = f"bytes */{length}"
                _log(debug, f"Unsatisfiable range {requested!r}", "TOOLS.STATIC")
                raise HTTPError(416, "Invalid Range (first-byte-pos greater than Content-Length)")

    source: Any = file
    wrapper = None
    if request.method == "HEAD":
        if reopen is not None:
            file.close()
            source = reopen
    elif start is not None:
        wrapper = request.wsgi_environ.get("wsgi.file_wrapper")

    if start is None or length is None:
        body: Any = iter_slice(source, None, None)
    elif ranges is None:
        headers["Content-Length"] = length
        body = _slice_body(source, start, length, wrapper)
    elif len(ranges) == 1:
        first, stop = ranges[0]
        _log(debug, f"Single part; start: {first!r}, stop: {stop!r}", "TOOLS.STATIC")
        response.status = "206 Partial Content"
        headers["Content-Range"] = f"bytes {first}-{stop - 1}/{length}"
        headers["Content-Length"] = stop - first
        body = _slice_body(source, start + first, stop - first, wrapper)
    else:
        _log(debug, f"Multipart; ranges: {ranges!r}", "TOOLS.STATIC")
        multipart = MultipartBody(ranges, length, content_type, offset=start)
        response.status = "206 Partial Content"
        headers["Content-Type"] = multipart.media_type
        headers["Content-Length"] = multipart.content_length
        body = multipart.iter_from(source, CHUNK_SIZE)
    response.body = body
    _announce_send(reopen or file, headers.get("Content-Length"))
    return response.body


SENT_CHANNEL = "static_file_sent"
"""Engine channel published once a file body was sent: ``(path, started_ns, ended_ns, size)``.

``path`` is the file's path (None for a file object without one), the times are
:func:`time.time_ns` values (when serving started, when the request ended) and ``size`` the
body's length in bytes (None when unknown).  Nothing is measured while no one listens.
"""


def _announce_send(file: Any, size: Any) -> None:
    engine = cherrypy.engine
    if not engine.listeners.get(SENT_CHANNEL):
        return
    import time

    started = time.time_ns()
    name = file if isinstance(file, str) else getattr(file, "name", None)
    path = name if isinstance(name, str) else None
    length = int(size) if size is not None else None

    def announce() -> None:
        engine.publish(SENT_CHANNEL, path, started, time.time_ns(), length)

    serving.request.hooks.attach("on_end_request", announce)


def _is_plain_ok(status: Any) -> bool:
    """Whether ``status`` is unset or 200: only such responses may become a 206."""
    return status is None or status == "" or str(status).split(None, 1)[0] == "200"


def _slice_body(source: Any, start: int, length: int, wrapper: Any) -> Any:
    if isinstance(source, str):
        return iter_slice(source, start, length)
    return file_body(source, start, length, wrapper)


# -- the tools' callables ----------------------------------------------------------------------


_ABSOLUTE_DIRS: dict[tuple[str, str | None], str] = {}


def _absolute_dir(directory: str, root: str | None) -> str:
    """``directory`` made absolute (``~`` expanded, joined to ``root`` when relative)."""
    key = (directory, root)
    found = _ABSOLUTE_DIRS.get(key)
    if found is None:
        found = _make_absolute_dir(directory, root)
        if directory.__class__ is not str or directory.startswith("~"):
            return found  # (``~`` follows $HOME, which may change)
        if len(_ABSOLUTE_DIRS) >= 256:
            _ABSOLUTE_DIRS.clear()
        _ABSOLUTE_DIRS[key] = found
    return found


def _make_absolute_dir(directory: str, root: str | None) -> str:
    directory = os.path.expanduser(directory)
    if os.path.isabs(directory):
        return directory
    if not root or not os.path.isabs(root):
        raise ValueError(
            "Static dir requires an absolute dir (or root): tools.staticdir.dir is "
            f"{directory!r} and tools.staticdir.root is {root!r}. Set tools.staticdir.root "
            "to an absolute path (e.g. os.path.abspath(os.path.dirname(__file__))) or make "
            "tools.staticdir.dir absolute."
        )
    return os.path.join(root, directory)


def _attempt(
    directory: str,
    segments: list[str],
    content_types: Mapping[str, str] | None,
    follow_symlinks: bool,
    debug: bool,
) -> bool | None:
    """Serve ``segments`` below ``directory``: True if served, False if there is no such
    file, None if the path was refused or the file is not readable."""
    # Opened with O_NOFOLLOW, the last segment needs no lstat: a link there makes the open
    # fail, and the path is then resolved and checked in full (``relink``).
    unchecked_last = not follow_symlinks and bool(_NOFOLLOW) and bool(segments)
    try:
        real = resolve_under(directory, segments, follow_symlinks, not unchecked_last)
    except UnsafePath as exc:
        _log(debug, f"Refused {segments!r}: {exc}", "TOOLS.STATICDIR")
        return None
    if debug:
        _log(debug, f"Attempting {real!r} (content_types {content_types!r})", "TOOLS.STATICDIR")
    # The media type follows the name asked for (the last segment), not a link's target.
    type_name = segments[-1] if segments else directory
    relink = None
    if unchecked_last:

        def relink() -> str:
            return resolve_under(directory, segments, False, True)

    return _serve_or_refuse(
        real, debug, "TOOLS.STATICDIR", not follow_symlinks, content_types, type_name, relink
    )


def _serve_or_refuse(
    path: str,
    debug: bool,
    context: str,
    nofollow: bool = False,
    content_types: Mapping[str, str] | None = None,
    type_name: str | None = None,
    relink: Callable[[], str] | None = None,
) -> bool | None:
    """Serve ``path`` for a tool: True if served, False if missing, None if unreadable."""
    try:
        _serve_path(
            path,
            debug=debug,
            nofollow=nofollow,
            content_types=content_types,
            type_name=type_name,
            relink=relink,
        )
    except NotFound:
        # No such file: the request goes on to the page handler, which may exist.
        _log(debug, "NotFound", context)
        return False
    except HTTPError as exc:
        if exc.code != 403:
            raise
        _log(debug, f"{path!r} is not readable", context)
        return None
    return True


_REFUSED: list[str] = []


def _refuse() -> bool:
    """Answer 403 for a path that tries to leave the directory, or a file we may not read.

    The error is written into the response rather than raised, so that even with
    ``request.show_tracebacks`` on the page shows no traceback.
    """
    HTTPError(403).set_response()
    return True


def staticdir(
    section: str,
    dir: str,
    root: str = "",
    match: str = "",
    content_types: Mapping[str, str] | None = None,
    index: str = "",
    debug: bool = False,
    follow_symlinks: bool = False,
) -> bool:
    """Serve the file below ``dir`` that the request path names (``tools.staticdir``).

    ``section`` is the config path the tool is switched on in (set by the dispatcher);
    ``dir`` is absolute, or relative to ``root`` (which must then be absolute).  ``match``
    is a regular expression the path must contain; ``content_types`` maps extensions
    (without dot) to media types; ``index`` names the file served for a directory.
    Symbolic links leading out of ``dir`` are refused unless ``follow_symlinks`` is true.
    Returns True when the request was answered, False to let the page handler run.
    """
    request = serving.request
    if request.method not in ("GET", "HEAD"):
        _log(debug, "request.method not GET or HEAD", "TOOLS.STATICDIR")
        return False
    if match and not re.search(match, request.path_info):
        _log(debug, f"{request.path_info!r} does not match {match!r}", "TOOLS.STATICDIR")
        return False
    directory = _absolute_dir(dir, root)
    branch = branch_of(request.path_info, section)
    try:
        segments = split_segments(branch)
    except UnsafePath as exc:
        _log(debug, f"Refused {branch!r}: {exc}", "TOOLS.STATICDIR")
        segments = _REFUSED
    if segments is _REFUSED:
        return _refuse()
    if segments is None:
        return False
    if segments and branch.endswith("/") and os.path.isfile(os.path.join(directory, *segments)):
        # "file.txt/" names a directory that does not exist, as on a file system (and in
        # CherryPy): not found, rather than the file under a second URL.
        _log(debug, f"{branch!r} names a file as a directory", "TOOLS.STATICDIR")
        return False
    served = _attempt(directory, segments, content_types, follow_symlinks, debug)
    if served is None:
        return _refuse()
    if served or not index:
        return served
    index_segments = split_segments(index) or []
    served = _attempt(directory, segments + index_segments, content_types, follow_symlinks, debug)
    if served is None:
        return _refuse()
    if served:
        request.is_index = branch == "" or branch.endswith("/")
    return served


def staticfile(
    filename: str,
    root: str | None = None,
    match: str = "",
    content_types: Mapping[str, str] | None = None,
    debug: bool = False,
) -> bool:
    """Serve the one file ``filename`` (``tools.staticfile``), absolute or relative to ``root``.

    Returns True when the request was answered, False when the method is not GET or HEAD,
    the path does not contain ``match``, or the file does not exist.
    """
    request = serving.request
    if request.method not in ("GET", "HEAD"):
        _log(debug, "request.method not GET or HEAD", "TOOLS.STATICFILE")
        return False
    if match and not re.search(match, request.path_info):
        _log(debug, f"{request.path_info!r} does not match {match!r}", "TOOLS.STATICFILE")
        return False
    if not os.path.isabs(filename):
        if not root:
            raise ValueError(
                f"Static tool requires an absolute filename (got '{filename}'): set "
                "tools.staticfile.root to an absolute directory or make the filename absolute."
            )
        filename = os.path.join(root, filename)
    served = _serve_or_refuse(filename, debug, "TOOLS.STATICFILE", content_types=content_types)
    if served is None:
        return _refuse()
    return served
