"""``DropPrivileges``: switch to an unprivileged user, group and umask once the engine starts.

It runs on ``start`` at priority 77, just after the HTTP server (75), so that a process started
as root can bind a port below 1024 and then give up root for the rest of its life.
"""

from __future__ import annotations

import os
from typing import Any

from cherrypy.plugin import SimplePlugin

try:
    import grp
    import pwd
except ImportError:  # Windows
    grp = None  # type: ignore[assignment]
    pwd = None  # type: ignore[assignment]

__all__ = ["DropPrivileges"]


class DropPrivileges(SimplePlugin):
    """Engine plugin that drops to ``uid``/``gid`` and sets ``umask`` at start.

    ``uid`` and ``gid`` accept names or numbers (POSIX only).  When only ``uid`` is given, the
    group becomes that user's primary group, and the supplementary groups are always reset
    (to the user's groups, or to none), so no group of the starting user (often ``root``)
    survives the switch.  CherryPy keeps both in that case.
    """

    finalized: bool
    """True once :meth:`start` has run; later starts only log the current identity."""

    def __init__(
        self,
        bus: Any,
        umask: int | None = None,
        uid: int | str | None = None,
        gid: int | str | None = None,
    ) -> None:
        """Configure the identity and umask to switch to; nothing changes before ``start``."""
        super().__init__(bus)
        self.finalized = False
        self.uid = uid  # type: ignore[assignment]
        self.gid = gid  # type: ignore[assignment]
        self.umask = umask

    @property
    def uid(self) -> int | None:
        """The numeric user id to run as (set it with a name or a number); POSIX only."""
        return self._uid

    @uid.setter
    def uid(self, value: int | str | None) -> None:
        if value is not None and pwd is None:
            self.bus.log("pwd module not available; ignoring uid.", level=30)
            value = None
        elif isinstance(value, str):
            value = pwd.getpwnam(value).pw_uid
        self._uid = value

    @property
    def gid(self) -> int | None:
        """The numeric group id to run as (set it with a name or a number); POSIX only."""
        return self._gid

    @gid.setter
    def gid(self, value: int | str | None) -> None:
        if value is not None and grp is None:
            self.bus.log("grp module not available; ignoring gid.", level=30)
            value = None
        elif isinstance(value, str):
            value = grp.getgrnam(value).gr_gid
        self._gid = value

    @property
    def umask(self) -> int | None:
        """The umask to set (usually written in octal, e.g. ``0o027``)."""
        return self._umask

    @umask.setter
    def umask(self, value: int | None) -> None:
        if value is not None and not hasattr(os, "umask"):
            self.bus.log("umask function not available; ignoring umask.", level=30)
            value = None
        self._umask = value

    def start(self) -> None:
        """Switch group, supplementary groups, user and umask (once per process)."""
        if self.finalized:
            if self.uid is not None or self.gid is not None:
                self.bus.log(f"Already running as {_identity()}")
            if self.umask is not None:
                self.bus.log(f"umask already set to: {self.umask:03o}")
            return
        if self.uid is None and self.gid is None:
            if pwd is not None or grp is not None:
                self.bus.log("uid/gid not set", level=30)
        else:
            self.bus.log(f"Started as {_identity()}")
            self._switch_identity()
            self.bus.log(f"Running as {_identity()}")
        if self.umask is None:
            self.bus.log("umask not set", level=30)
        else:
            old = os.umask(self.umask)
            self.bus.log(f"umask old: {old:03o}, new: {self.umask:03o}")
        self.finalized = True

    start.priority = 77  # type: ignore[attr-defined]

    def _switch_identity(self) -> None:
        user = None
        if self.uid is not None and pwd is not None:
            try:
                user = pwd.getpwuid(self.uid)
            except KeyError:
                pass
        gid = self.gid
        if gid is None and user is not None:
            gid = user.pw_gid
        if user is not None and gid is not None:
            os.initgroups(user.pw_name, gid)
        else:
            os.setgroups([])
        if gid is not None:
            os.setgid(gid)
        if self.uid is not None:
            os.setuid(self.uid)


def _identity() -> str:
    name, group = _current_names()
    return f"uid: {name!r} gid: {group!r}"


def _current_names() -> tuple[str | None, str | None]:
    name = group = None
    if pwd is not None:
        try:
            name = pwd.getpwuid(os.getuid()).pw_name
        except KeyError:
            name = str(os.getuid())
    if grp is not None:
        try:
            group = grp.getgrgid(os.getgid()).gr_name
        except KeyError:
            group = str(os.getgid())
    return name, group
