"""Mapping a request path onto a file below a directory, refusing every way out of it.

The request path is taken apart into segments and rebuilt under the directory; nothing of
it is handed to the operating system before it has been checked:

* ``..`` that climbs above the directory (in any encoding: by the time the path reaches the
  application, the server has decoded ``%2e%2e`` and friends into ``..``), backslashes and
  NUL bytes are refused; empty and ``.`` segments are dropped, so an absolute path
  (``//etc/passwd``) stays below the directory;
* containment is tested on whole path components, never on a string prefix, so
  ``/static/../static-private/`` cannot reach a sibling directory whose name starts like it;
* symbolic links are resolved and the real path must lie inside the real directory, unless
  the caller explicitly allows following links out of it.

CherryPy percent-decodes the path a second time, so a file literally named ``a%41.txt`` can
never be served and ``a%2541.txt`` serves ``aA.txt``.  This module decodes nothing more than
``%2F``, which servers leave encoded inside a segment and which cannot be part of a file name.
"""

from __future__ import annotations

import os
import stat
import sys

__all__ = ["UnsafePath", "branch_of", "is_within", "resolve_under", "split_segments"]

_WINDOWS = sys.platform == "win32"


class UnsafePath(ValueError):
    """A request path that tries to leave the served directory (answered with 403)."""


def branch_of(path_info: str, section: str) -> str:
    """The part of ``path_info`` below the config ``section`` the tool was switched on in.

    ``section`` is ``'global'`` for a tool switched on in global config (meaning ``/``).
    """
    if section == "global":
        section = "/"
    section = section.rstrip("\\/")
    return path_info[len(section) + 1 :]


def split_segments(branch: str) -> list[str] | None:
    """The path segments of ``branch``, with ``.`` and empty ones dropped and ``..`` applied.

    Returns None for a path no file can have (a NUL byte): the caller answers 404.  Raises
    :class:`UnsafePath` for ``..`` above the top, a backslash, or (on Windows) a drive
    letter, an alternate data stream or a segment made of dots and spaces only.
    """
    if "\x00" in branch:
        return None
    if "%2" in branch:
        branch = branch.replace("%2F", "/").replace("%2f", "/")
    if "\\" in branch:
        raise UnsafePath("backslash in path")
    segments: list[str] = []
    for segment in branch.split("/"):
        if segment == "" or segment == ".":
            continue
        if segment == "..":
            if not segments:
                raise UnsafePath("path leaves the directory")
            segments.pop()
            continue
        if _WINDOWS and (":" in segment or not segment.rstrip(". ")):
            raise UnsafePath("segment Windows would reinterpret")
        segments.append(segment)
    return segments


def is_within(path: str, directory: str) -> bool:
    """Whether ``path`` is ``directory`` or lies below it (whole components compared)."""
    path = os.path.normcase(path)
    directory = os.path.normcase(directory)
    if path == directory:
        return True
    if not directory.endswith(os.sep):
        directory += os.sep
    return path.startswith(directory)


def resolve_under(
    directory: str, segments: list[str], follow_symlinks: bool = False, check_last: bool = True
) -> str:
    """The file system path to open for ``segments`` below the absolute ``directory``.

    Without ``follow_symlinks`` a symbolic link below ``directory`` must resolve to a place
    inside the real ``directory`` (which may itself be reached through links), else
    :class:`UnsafePath`.  The common case, no link at all, costs one ``lstat`` per segment;
    when there is a link, the fully resolved path is returned, so opening it follows none.
    With ``follow_symlinks`` the joined path is returned as is.

    ``check_last=False`` leaves the last segment unchecked, for a caller that opens the path
    with ``O_NOFOLLOW`` (which refuses a link there) and calls again with ``check_last=True``
    when it does.
    """
    candidate = _join(directory, segments)
    if follow_symlinks:
        return candidate
    path = directory
    for segment in segments if check_last else segments[:-1]:
        path = os.path.join(path, segment)
        try:
            mode = os.lstat(path).st_mode
        except (OSError, ValueError):
            return candidate  # missing: opening it will say so
        if stat.S_ISLNK(mode):
            break
    else:
        return candidate
    real_directory = os.path.realpath(directory)
    real = os.path.realpath(candidate)
    if not is_within(real, real_directory):
        raise UnsafePath("symbolic link out of the directory")
    return real


def _join(directory: str, segments: list[str]) -> str:
    """``os.path.join(directory, *segments)``, joined at once in the usual POSIX case."""
    if _WINDOWS or not segments:
        return os.path.join(directory, *segments)
    joined = "/".join(segments)
    if joined.startswith("/") or "//" in joined:
        # An absolute or empty segment: os.path.join's own rules apply.
        return os.path.join(directory, *segments)
    if directory.endswith("/"):
        return directory + joined
    return directory + "/" + joined
