"""``cherrypy.lib.locking``: small timers for code that waits on a lock with a deadline.

Compatibility module: CherryPy ships these helpers beside its cache and session code.
"""

from __future__ import annotations

import datetime

__all__ = ["LockChecker", "LockTimeout", "NeverExpires", "Timer"]


class NeverExpires:
    """A timer without a deadline."""

    def expired(self) -> bool:
        """Always False."""
        return False


class Timer:
    """A deadline: :meth:`expired` turns true once ``expiration`` (an aware UTC datetime) passes."""

    def __init__(self, expiration: datetime.datetime) -> None:
        self.expiration = expiration

    @classmethod
    def after(cls, elapsed: datetime.timedelta) -> Timer:
        """A timer expiring ``elapsed`` from now."""
        return cls(datetime.datetime.now(datetime.timezone.utc) + elapsed)

    def expired(self) -> bool:
        """Whether the deadline has passed."""
        return datetime.datetime.now(datetime.timezone.utc) >= self.expiration


class LockTimeout(Exception):
    """A lock could not be acquired before its deadline."""


class LockChecker:
    """Raises :class:`LockTimeout` from :meth:`expired` once ``timeout`` has elapsed."""

    def __init__(self, session_id: str, timeout: datetime.timedelta | None) -> None:
        self.session_id = session_id
        self.timer: Timer | NeverExpires = Timer.after(timeout) if timeout else NeverExpires()

    def expired(self) -> bool:
        """False while time remains; raises :class:`LockTimeout` after the deadline."""
        if self.timer.expired():
            raise LockTimeout(f"Timeout acquiring lock for {self.session_id}")
        return False
