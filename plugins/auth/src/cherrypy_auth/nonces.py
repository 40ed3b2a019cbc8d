"""Digest nonces: signed, expiring, and counted so that a request cannot be replayed.

A nonce is ``<issued>:<salt>:<mac>``: the issue time in milliseconds, 16 random hex digits
and an HMAC-SHA-256 (truncated to 128 bits) of both with the server's ``key`` and the realm.
The server keeps no state to issue or verify one; only nonces that authenticated a request
are remembered, with the nonce counts (``nc``) already used, by a bounded
:class:`NonceCounter`.
"""

from __future__ import annotations

import threading
import time
from typing import NamedTuple

# hashlib, hmac and secrets (which load OpenSSL) are imported where they are used, so that
# importing the plugin at start-up stays cheap.

__all__ = [
    "DEFAULT_NONCE_LIFETIME",
    "NonceCounter",
    "ParsedNonce",
    "make_nonce",
    "nonce_counter",
    "parse_nonce",
    "process_key",
]

DEFAULT_NONCE_LIFETIME = 600
"""Seconds a nonce stays fresh; older ones are answered with ``stale=true``."""

_MAC_HEX_DIGITS = 32
_process_key: bytes | None = None
_key_lock = threading.Lock()


def process_key() -> bytes:
    """A random secret made once per process, used when no ``key`` is configured.

    Nonces signed with it do not survive a restart and are not valid in other processes:
    configure ``tools.auth_digest.key`` for several processes behind one address.
    """
    global _process_key
    if _process_key is None:
        with _key_lock:
            if _process_key is None:
                import secrets

                _process_key = secrets.token_bytes(32)
    return _process_key


def _key_bytes(key: str | bytes | None) -> bytes:
    if key is None:
        return process_key()
    if isinstance(key, str):
        return key.encode("utf-8")
    return bytes(key)


def _mac(key: str | bytes | None, issued: str, salt: str, realm: str) -> str:
    import hashlib
    import hmac

    message = f"{issued}:{salt}:{realm}".encode()
    digest = hmac.new(_key_bytes(key), message, hashlib.sha256).hexdigest()
    return digest[:_MAC_HEX_DIGITS]


def make_nonce(realm: str, key: str | bytes | None, issued: float | None = None) -> str:
    """A new nonce for ``realm``, signed with ``key`` (``issued`` in seconds, default now)."""
    import secrets

    millis = int((time.time() if issued is None else issued) * 1000)
    salt = secrets.token_hex(8)
    issued_text = str(millis)
    return f"{issued_text}:{salt}:{_mac(key, issued_text, salt, realm)}"


class ParsedNonce(NamedTuple):
    """A nonce whose signature checked out: when it was issued (seconds since the epoch)."""

    text: str
    issued: float

    def is_stale(self, lifetime: float, now: float | None = None) -> bool:
        """True once the nonce is older than ``lifetime`` seconds (or from the future)."""
        now = time.time() if now is None else now
        age = now - self.issued
        return age > lifetime or age < -60


def parse_nonce(nonce: str, realm: str, key: str | bytes | None) -> ParsedNonce | None:
    """Check ``nonce`` was made by :func:`make_nonce` for ``realm`` and ``key``; None if not.

    The signature is compared in constant time.
    """
    parts = nonce.split(":")
    if len(parts) != 3:
        return None
    issued, salt, mac = parts
    if not (issued.isascii() and issued.isdigit() and len(issued) <= 16):
        return None
    if not (salt.isascii() and mac.isascii()):
        return None
    import hmac

    expected = _mac(key, issued, salt, realm)
    if not hmac.compare_digest(mac.encode("ascii"), expected.encode("ascii")):
        return None
    return ParsedNonce(nonce, int(issued) / 1000)


class _Seen:
    __slots__ = ("counts", "floor", "issued")

    def __init__(self, issued: float) -> None:
        self.issued = issued
        self.floor = 0
        self.counts: set[int] = set()

    def use(self, count: int, window: int) -> bool:
        if count <= self.floor or count in self.counts:
            return False
        self.counts.add(count)
        if len(self.counts) > window:
            ordered = sorted(self.counts)
            dropped = ordered[: window // 2]
            self.floor = dropped[-1]
            self.counts = set(ordered[window // 2 :])
        return True


class NonceCounter:
    """Remembers which nonce counts each nonce has used; refuses any count used before.

    Counts may arrive out of order (concurrent requests), so a set of used counts is kept
    per nonce; past ``window`` of them, the lowest half is folded into a floor below which
    every count is refused.  At most ``capacity`` nonces are remembered: expired ones go
    first, then the least recently added, and every nonce issued before the newest one
    forgotten that way is refused from then on (its client gets a fresh nonce), so
    forgetting never reopens a replay.
    """

    def __init__(self, capacity: int = 10000, window: int = 256) -> None:
        self.capacity = capacity
        self.window = window
        self._entries: dict[str, _Seen] = {}
        self._watermark = float("-inf")
        self._lock = threading.Lock()

    def use(self, nonce: ParsedNonce, count: int, lifetime: float, now: float | None = None) -> str:
        """Record that ``nonce`` was used with nonce count ``count``.

        Returns ``"ok"``, ``"replay"`` (the count was used before, or is 0) or
        ``"forgotten"`` (the nonce was issued before the newest one forgotten to make room:
        answer as for a stale nonce).
        """
        if count < 1:
            return "replay"
        now = time.time() if now is None else now
        with self._lock:
            entry = self._entries.get(nonce.text)
            if entry is None:
                if nonce.issued <= self._watermark:
                    return "forgotten"
                if len(self._entries) >= self.capacity:
                    self._make_room(now, lifetime)
                entry = self._entries[nonce.text] = _Seen(nonce.issued)
            return "ok" if entry.use(count, self.window) else "replay"

    def _make_room(self, now: float, lifetime: float) -> None:
        entries = self._entries
        expired = [text for text, seen in entries.items() if now - seen.issued > lifetime]
        for text in expired:
            del entries[text]
        excess = len(entries) - self.capacity + max(1, self.capacity // 10)
        if len(entries) < self.capacity or excess <= 0:
            return
        for text in list(entries)[:excess]:
            self._watermark = max(self._watermark, entries.pop(text).issued)

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        """Forget every nonce (tests)."""
        with self._lock:
            self._entries.clear()
            self._watermark = float("-inf")


nonce_counter = NonceCounter()
"""The process-wide counter used by ``tools.auth_digest``."""
