"""``cherrypy.test.logtest``: a test-case mixin that checks what was written to a log file.

Set ``logfile`` on the test case, call :meth:`LogCase.markLog` before the action under test,
then search the lines written since the marker with :meth:`LogCase.assertInLog`,
:meth:`LogCase.assertNotInLog`, :meth:`LogCase.assertLog` or
:meth:`LogCase.assertValidUUIDv4`.
"""

from __future__ import annotations

import sys
import time
from typing import Any
from uuid import UUID

__all__ = ["LogCase"]


class LogCase:
    """Mixin for :class:`unittest.TestCase` classes that assert on a log file's content.

    ``logfile`` is the file to read.  ``lastmarker`` is the key of the last marker written;
    the assertions search from that marker to the next one (the whole file if no marker was
    written).  ``markerPrefix`` starts every marker line.
    """

    interactive = False
    logfile: str | None = None
    lastmarker: str | None = None
    markerPrefix = b"test suite marker: "
    console_height = 30

    def _handleLogError(self, msg: str, data: list[Any], marker: Any, pattern: Any) -> None:
        """Fail with ``msg``; in interactive mode first let the user inspect the log region."""
        import pytest

        print("")
        print(f"    ERROR: {msg}")
        if not self.interactive or not sys.stdin.isatty():
            pytest.fail(msg)
        from cherrypy.test.webtest import getchar

        prompt = "    Show: [L]og [M]arker [P]attern; [I]gnore, [R]aise, or sys.e[X]it >> "
        while True:
            sys.stdout.write(prompt)
            sys.stdout.flush()
            key = getchar().upper()
            print(key)
            if key == "L":
                for line in data:
                    print(line.rstrip() if isinstance(line, (str, bytes)) else line)
            elif key == "M":
                print(repr(marker or self.lastmarker))
            elif key == "P":
                print(repr(pattern))
            elif key == "I":
                return
            elif key == "R":
                pytest.fail(msg)
            elif key == "X":
                self.exit()

    def exit(self) -> None:
        """Leave the test run (the ``X`` key of the interactive prompt)."""
        sys.exit()

    def _logfile(self) -> str:
        if self.logfile is None:
            raise ValueError("set the test case's logfile attribute first")
        return self.logfile

    def emptyLog(self) -> None:
        """Truncate the log file to zero bytes."""
        with open(self._logfile(), "wb"):
            pass

    def markLog(self, key: str | None = None) -> None:
        """Append a marker line (``markerPrefix`` + ``key``, default the time) to the log."""
        if key is None:
            key = str(time.time())
        self.lastmarker = key
        with open(self._logfile(), "ab+") as stream:
            stream.write(self.markerPrefix + key.encode("utf-8") + b"\n")

    def _read_marked_region(self, marker: str | bytes | None = None) -> list[bytes]:
        """The log lines after ``marker`` (default ``lastmarker``) up to the next marker.

        Without any marker, every line of the log.
        """
        marker = marker or self.lastmarker
        with open(self._logfile(), "rb") as stream:
            lines = stream.readlines()
        if marker is None:
            return lines
        if isinstance(marker, str):
            marker = marker.encode("utf-8")
        region: list[bytes] = []
        inside = False
        for line in lines:
            if not inside:
                inside = marker in line
            elif line.startswith(self.markerPrefix) and marker not in line:
                break
            else:
                region.append(line)
        return region

    @staticmethod
    def _as_bytes(value: str | bytes) -> bytes:
        return value.encode("utf-8") if isinstance(value, str) else value

    def assertInLog(self, line: str | bytes, marker: str | None = None) -> None:
        """Fail unless some line of the marked region contains ``line``."""
        data = self._read_marked_region(marker)
        needle = self._as_bytes(line)
        if any(needle in logline for logline in data):
            return
        self._handleLogError(f"{line!r} not found in log", data, marker, line)

    def assertNotInLog(self, line: str | bytes, marker: str | None = None) -> None:
        """Fail if some line of the marked region contains ``line``."""
        data = self._read_marked_region(marker)
        needle = self._as_bytes(line)
        if any(needle in logline for logline in data):
            self._handleLogError(f"{line!r} found in log", data, marker, line)

    def assertValidUUIDv4(self, marker: str | None = None) -> None:
        """Fail unless the last line of the marked region is a canonical version-4 UUID."""
        data = [chunk.decode("utf-8").rstrip("\r\n") for chunk in self._read_marked_region(marker)]
        if not data:
            self._handleLogError("UUIDv4 not found in log", data, marker, None)
            return
        candidate = data[-1]
        try:
            parsed = UUID(candidate, version=4)
        except (TypeError, ValueError):
            self._handleLogError("UUIDv4 not found in log", data, marker, candidate)
            return
        if str(parsed) != candidate:
            self._handleLogError(f"{candidate!r} is not a valid UUIDv4", data, marker, candidate)

    def assertLog(self, sliceargs: int | tuple[int, int], lines: Any, marker: Any = None) -> None:
        """Fail unless the region's line(s) at ``sliceargs`` contain ``lines``.

        With an int index, ``lines`` is one string (or a one-item list).  With a
        ``(start, stop)`` pair, ``lines`` is a list matched item by item against the slice.
        """
        data = self._read_marked_region(marker)
        if isinstance(sliceargs, int):
            if isinstance(lines, (tuple, list)):
                lines = lines[0]
            needle = self._as_bytes(lines)
            if needle not in data[sliceargs]:
                context = [data[sliceargs], "--EXTRA CONTEXT--"]
                context += data[sliceargs + 1 : sliceargs + 6]
                self._handleLogError(
                    f"{needle!r} not found on log line {sliceargs!r}", context, marker, needle
                )
            return
        if isinstance(lines, (str, bytes)):
            raise TypeError("The 'lines' arg must be a list when 'sliceargs' is a tuple.")
        start, stop = sliceargs
        region = data[start:stop]
        for expected, logline in zip(list(lines), region, strict=False):
            needle = self._as_bytes(expected)
            if needle not in logline:
                self._handleLogError(f"{needle!r} not found in log", region, marker, needle)
