"""HTTP authentication for the test client: Basic credentials and Digest challenges.

``auth=("user", "password")`` (or :class:`BasicAuth`) sends Basic credentials with each
request.  :class:`DigestAuth` answers a ``401`` carrying a ``WWW-Authenticate: Digest``
challenge (RFC 7616: MD5 or SHA-256, with or without ``-sess``, ``qop=auth``) by sending the
request again with credentials, as a browser or ``requests.auth.HTTPDigestAuth`` does.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from collections.abc import Sequence

__all__ = ["BasicAuth", "DigestAuth", "parse_challenges"]

_PARAM = re.compile(r'([A-Za-z][\w-]*)\s*=\s*("(?:[^"\\]|\\.)*"|[^\s,]+)')
_HASHES = {"MD5": hashlib.md5, "SHA-256": hashlib.sha256}
_PREFERENCE = ("SHA-256", "SHA-256-SESS", "MD5", "MD5-SESS")


class BasicAuth:
    """Basic credentials, sent with every request (``auth=("user", "password")`` is the same)."""

    def __init__(self, username: str, password: str) -> None:
        self.username = username
        self.password = password

    def header(self) -> str:
        """The ``Authorization`` header value."""
        pair = f"{self.username}:{self.password}".encode()
        return "Basic " + base64.b64encode(pair).decode("ascii")


def parse_challenges(values: Sequence[str]) -> list[tuple[str, dict[str, str]]]:
    """``(scheme, params)`` for each ``WWW-Authenticate`` value (one challenge per value)."""
    challenges = []
    for value in values:
        scheme, _, rest = value.strip().partition(" ")
        params = {}
        for name, raw in _PARAM.findall(rest):
            if raw.startswith('"'):
                raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
            params[name.lower()] = raw
        challenges.append((scheme.lower(), params))
    return challenges


class DigestAuth:
    """Digest credentials: the client answers the server's challenge with them.

    Pass ``auth=DigestAuth("user", "password")`` to :class:`~cherrypy.testing.Client` or to one
    request.  The first request goes out without credentials; on a ``401`` with a Digest
    challenge the request is sent again with an ``Authorization: Digest`` header (and once
    more if the server says the nonce was ``stale``).
    """

    def __init__(self, username: str, password: str) -> None:
        self.username = username
        self.password = password
        self._count = 0

    def choose(self, values: Sequence[str]) -> dict[str, str] | None:
        """The Digest challenge to answer among ``values`` (strongest algorithm), or None."""
        offered = [p for scheme, p in parse_challenges(values) if scheme == "digest"]
        usable = [p for p in offered if p.get("algorithm", "MD5").upper() in _PREFERENCE]
        if not usable:
            return None
        return min(usable, key=lambda p: _PREFERENCE.index(p.get("algorithm", "MD5").upper()))

    def header(self, challenge: dict[str, str], method: str, uri: str) -> str:
        """The ``Authorization`` header answering ``challenge`` for ``method uri``."""
        algorithm = challenge.get("algorithm", "MD5")
        base = algorithm.upper().removesuffix("-SESS")
        factory = _HASHES[base]

        def digest(text: str) -> str:
            return factory(text.encode("utf-8")).hexdigest()

        realm, nonce = challenge.get("realm", ""), challenge["nonce"]
        cnonce = os.urandom(8).hex()
        self._count += 1
        nc = f"{self._count:08x}"
        ha1 = digest(f"{self.username}:{realm}:{self.password}")
        if algorithm.upper().endswith("-SESS"):
            ha1 = digest(f"{ha1}:{nonce}:{cnonce}")
        ha2 = digest(f"{method}:{uri}")
        qops = [q.strip() for q in challenge.get("qop", "").split(",") if q.strip()]
        fields = {
            "username": self.username,
            "realm": realm,
            "nonce": nonce,
            "uri": uri,
            "algorithm": algorithm,
        }
        if qops:
            if "auth" not in qops:
                raise ValueError(f"DigestAuth supports qop=auth only; the server offers {qops}")
            fields.update(qop="auth", nc=nc, cnonce=cnonce)
            fields["response"] = digest(f"{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}")
        else:
            fields["response"] = digest(f"{ha1}:{nonce}:{ha2}")
        if "opaque" in challenge:
            fields["opaque"] = challenge["opaque"]
        unquoted = ("algorithm", "qop", "nc")
        return "Digest " + ", ".join(
            f"{name}={value}" if name in unquoted else f'{name}="{value}"'
            for name, value in fields.items()
        )
