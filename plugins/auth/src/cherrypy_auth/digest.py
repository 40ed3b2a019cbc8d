"""HTTP Digest authentication (RFC 7616): ``tools.auth_digest`` and ``cherrypy.lib.auth_digest``.

:func:`digest_auth` runs at ``before_handler`` with priority 1 and either sets
``request.login`` or stops the request before the page handler:

* ``401`` with a fresh challenge: no Digest credentials, another realm, an algorithm or qop
  that was not offered, a nonce this server did not sign, an unknown user, a wrong response,
  a nonce count already used (a replay);
* ``401`` with ``stale=true``: right credentials on an expired nonce (the client retries with
  the new nonce without asking its user again);
* ``400``: a malformed header (unparsable parameters, missing ones, a bad ``nc``), or a
  ``uri`` parameter that is not the request's target.

MD5 and SHA-256 (and their ``-sess`` variants) are supported with ``qop=auth``; nonces are
signed with ``key`` and expire after ``nonce_lifetime`` seconds.  Response digests and nonce
signatures are compared in constant time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, NoReturn
from urllib.parse import unquote, urlsplit

from cherrypy.plugin import HTTPError, serving

from .credentials import (
    ALGORITHMS,
    H,
    get_ha1_dict,
    get_ha1_dict_plain,
    get_ha1_file_htdigest,
    hash_hex,
    md5_hex,
)
from .headers import (
    FALLBACK_CHARSET,
    accepts_algorithm,
    charset_param,
    decode_ext_value,
    decode_header,
    parse_auth_params,
    quote,
    split_credentials,
)
from .nonces import DEFAULT_NONCE_LIFETIME, make_nonce, nonce_counter, parse_nonce

__all__ = [
    "DEFAULT_CHARSET",
    "FALLBACK_CHARSET",
    "TRACE",
    "H",
    "HttpDigestAuthorization",
    "digest_auth",
    "get_ha1_dict",
    "get_ha1_dict_plain",
    "get_ha1_file_htdigest",
    "md5_hex",
    "qop_auth",
    "qop_auth_int",
    "synthesize_nonce",
    "valid_algorithms",
    "valid_qops",
    "www_authenticate",
]

qop_auth = "auth"
"""The ``auth`` quality of protection: the request line is authenticated."""

qop_auth_int = "auth-int"
"""The ``auth-int`` quality of protection (parsed, never offered: bodies are not hashed)."""

valid_qops = (qop_auth, qop_auth_int)
"""Quality-of-protection values the header parser accepts."""

valid_algorithms = tuple(ALGORITHMS)
"""Digest algorithms, by their canonical names."""

DEFAULT_CHARSET = "UTF-8"
"""The charset announced in challenges and tried first when decoding credentials."""

UNAUTHORIZED_MESSAGE = "You are not authorized to access that resource"
"""The message of every 401 answer (CherryPy's wording)."""

_CANONICAL = {name.lower(): name for name in ALGORITHMS}
_HEX_LENGTH = {"MD5": 32, "SHA-256": 64}
_NC_DIGITS = frozenset("0123456789abcdefABCDEF")


def TRACE(msg: str) -> None:
    """Write a debug line to the error log under the ``TOOLS.AUTH_DIGEST`` context."""
    import cherrypy

    cherrypy.log(msg, context="TOOLS.AUTH_DIGEST")


def canonical_algorithm(name: str) -> str | None:
    """The canonical spelling of a Digest algorithm name (case-insensitive), or None."""
    return _CANONICAL.get(name.strip().lower())


def _offered(algorithm: str | Sequence[str]) -> tuple[str, ...]:
    names = [algorithm] if isinstance(algorithm, str) else list(algorithm)
    offered = []
    for name in names:
        canonical = canonical_algorithm(name)
        if canonical is None:
            raise ValueError(f"Unsupported value for algorithm: {name!r}")
        offered.append(canonical)
    if not offered:
        raise ValueError("At least one algorithm must be offered")
    return tuple(offered)


def synthesize_nonce(s: str, key: str | bytes | None, timestamp: float | None = None) -> str:
    """A new nonce bound to ``s`` (the realm) and signed with ``key``."""
    return make_nonce(s, key, timestamp)


class HttpDigestAuthorization:
    """A parsed ``Authorization: Digest ...`` header, able to recompute the digest.

    The constructor raises :class:`ValueError` for a header of another scheme, unparsable
    parameters, missing required ones, an unknown algorithm or qop, or a malformed ``nc``.
    """

    scheme = "digest"

    def __init__(
        self,
        auth_header: str,
        http_method: str,
        debug: bool = False,
        accept_charset: str = DEFAULT_CHARSET,
    ) -> None:
        self.http_method = http_method
        self.debug = debug
        if not self.matches(auth_header):
            raise ValueError('Authorization scheme is not "Digest"')
        self.auth_header = decode_header(auth_header, accept_charset)
        _, params_text = split_credentials(self.auth_header)
        params = parse_auth_params(params_text)

        username = params.get("username")
        extended = params.get("username*")
        if extended is not None:
            if username is not None:
                raise ValueError(self.errmsg("username and username* are both present"))
            username = decode_ext_value(extended)
        self.username = username
        self.realm = params.get("realm")
        self.nonce = params.get("nonce")
        self.uri = params.get("uri")
        self.method = params.get("method")
        self.response = params.get("response")
        self.cnonce = params.get("cnonce")
        self.opaque = params.get("opaque")
        self.qop = params.get("qop")
        self.nc = params.get("nc")
        algorithm = params.get("algorithm", "MD5")
        canonical = canonical_algorithm(algorithm)
        if canonical is None:
            raise ValueError(self.errmsg(f"Unsupported value for algorithm: {algorithm!r}"))
        self.algorithm = canonical

        if not (self.username and self.realm and self.nonce and self.uri and self.response):
            raise ValueError(self.errmsg("Not all required parameters are present."))
        if self.qop is not None:
            if self.qop not in valid_qops:
                raise ValueError(self.errmsg(f"Unsupported value for qop: {self.qop!r}"))
            if not (self.cnonce and self.nc):
                raise ValueError(self.errmsg("If qop is sent then cnonce and nc MUST be present"))
            if len(self.nc) != 8 or not _NC_DIGITS.issuperset(self.nc):
                raise ValueError(self.errmsg("nc must be 8 hexadecimal digits"))
        elif self.cnonce or self.nc:
            raise ValueError(
                self.errmsg("If qop is not sent, neither cnonce nor nc can be present")
            )

    def errmsg(self, s: str) -> str:
        """Prefix an error message with what was being parsed."""
        return f"Digest Authorization header: {s}"

    @classmethod
    def matches(cls, header: str) -> bool:
        """True if ``header`` uses the Digest scheme."""
        return split_credentials(header)[0] == cls.scheme

    def __str__(self) -> str:
        return f"authorization : {self.auth_header}"

    @property
    def nonce_count(self) -> int:
        """``nc`` as an integer (0 when absent)."""
        return int(self.nc, 16) if self.nc else 0

    def hash(self, text: str) -> str:
        """The hex digest of ``text`` with this header's algorithm."""
        return hash_hex(text, self.algorithm.removesuffix("-sess"))

    def validate_nonce(self, s: str, key: str | bytes | None) -> bool:
        """True if the nonce was signed with ``key`` for ``s`` (the realm)."""
        valid = self.nonce is not None and parse_nonce(self.nonce, s, key) is not None
        if self.debug:
            TRACE(f"validate_nonce: {valid}")
        return valid

    def is_nonce_stale(self, max_age_seconds: float = DEFAULT_NONCE_LIFETIME) -> bool:
        """True if the nonce is older than ``max_age_seconds`` (validate it first)."""
        issued = (self.nonce or "").split(":", 1)[0]
        if not (issued.isascii() and issued.isdigit()):
            return True
        import time

        return time.time() - int(issued) / 1000 > max_age_seconds

    def HA2(self, entity_body: bytes | str = "") -> str:
        """H(A2) of RFC 7616, section 3.4.3."""
        if self.qop == qop_auth_int:
            if isinstance(entity_body, bytes):
                body_hash = ALGORITHMS[self.algorithm](entity_body).hexdigest()
            else:
                body_hash = self.hash(entity_body)
            return self.hash(f"{self.http_method}:{self.uri}:{body_hash}")
        return self.hash(f"{self.http_method}:{self.uri}")

    def request_digest(self, ha1: str, entity_body: bytes | str = "") -> str:
        """The ``response`` value a client knowing ``ha1`` must send (RFC 7616, 3.4.1)."""
        ha2 = self.HA2(entity_body)
        if self.algorithm.endswith("-sess"):
            ha1 = self.hash(f"{ha1}:{self.nonce}:{self.cnonce}")
        if self.qop:
            data = f"{self.nonce}:{self.nc}:{self.cnonce}:{self.qop}:{ha2}"
        else:
            data = f"{self.nonce}:{ha2}"
        return self.hash(f"{ha1}:{data}")


def www_authenticate(
    realm: str,
    key: str | bytes | None,
    algorithm: str | Sequence[str] = "MD5",
    nonce: str | None = None,
    qop: str = qop_auth,
    stale: bool = False,
    accept_charset: str = DEFAULT_CHARSET,
) -> str:
    """The ``WWW-Authenticate`` value: one Digest challenge per algorithm, preferred first."""
    if qop not in valid_qops:
        raise ValueError(f"Unsupported value for qop: {qop!r}")
    algorithms = _offered(algorithm)
    if nonce is None:
        nonce = synthesize_nonce(realm, key)
    extra = (", stale=true" if stale else "") + charset_param(accept_charset)
    return ", ".join(
        f'Digest realm={quote(realm)}, nonce="{nonce}", algorithm="{name}", qop="{qop}"{extra}'
        for name in algorithms
    )


def _split_target(target: str) -> tuple[str, str]:
    parts = urlsplit(target)
    return unquote(parts.path), unquote(parts.query)


def _request_targets(request: Any) -> Iterator[tuple[str, str]]:
    """The forms of the request target to compare ``uri`` with (decoded path, query)."""
    environ = getattr(request, "wsgi_environ", None) or {}
    raw = environ.get("REQUEST_URI")
    if raw:
        yield _split_target(raw)
    seen = 0
    while request is not None and seen < 16:
        yield request.script_name + request.path_info, unquote(request.query_string or "")
        request = getattr(request, "prev", None)
        seen += 1


def uri_matches(uri: str, request: Any) -> bool:
    """True if the ``uri`` parameter names the target of ``request`` (or of the request
    that internally redirected to it).  Absolute URIs and percent-encoding are allowed."""
    try:
        wanted = _split_target(uri)
    except ValueError:
        return False
    return any(wanted == target for target in _request_targets(request))


def _ha1_for(get_ha1: Callable[..., Any], realm: str, username: str, algorithm: str) -> str | None:
    base = algorithm.removesuffix("-sess")
    if accepts_algorithm(get_ha1):
        ha1 = get_ha1(realm, username, algorithm=base)
    else:
        ha1 = get_ha1(realm, username)
    if isinstance(ha1, bytes):
        ha1 = ha1.decode("ascii", "replace")
    if not isinstance(ha1, str) or len(ha1) != _HEX_LENGTH[base]:
        return None  # unknown user, or a hash made with another algorithm
    return ha1.lower()


def digest_auth(
    realm: str,
    get_ha1: Callable[..., Any],
    key: str | bytes | None = None,
    debug: bool = False,
    accept_charset: str = "utf-8",
    algorithm: str | Sequence[str] = "MD5",
    nonce_lifetime: float = DEFAULT_NONCE_LIFETIME,
) -> None:
    """Require HTTP Digest credentials (``tools.auth_digest``); see the module docstring.

    ``get_ha1(realm, username)`` returns the user's HA1 or None; ``key`` signs nonces (a
    random per-process key when None); ``algorithm`` is one name or a list, preferred
    first: ``"MD5"`` (the default, as CherryPy), ``"SHA-256"``, ``"MD5-sess"``,
    ``"SHA-256-sess"``.
    """
    request = serving.request
    offered = _offered(algorithm)

    def deny(stale: bool = False) -> NoReturn:
        header = www_authenticate(
            realm, key, algorithm=offered, stale=stale, accept_charset=accept_charset
        )
        if debug:
            TRACE(header)
        serving.response.headers["WWW-Authenticate"] = header
        raise HTTPError(401, UNAUTHORIZED_MESSAGE)

    header = request.headers.get("Authorization")
    if header is None or not HttpDigestAuthorization.matches(header):
        deny()
    try:
        auth = HttpDigestAuthorization(header, request.method, debug, accept_charset)
        if auth.qop is None:
            raise ValueError(auth.errmsg("qop is required"))
    except ValueError as exc:
        if debug:
            TRACE(f"malformed header: {exc}")
        raise HTTPError(400, f"The Authorization header could not be parsed. {exc}") from None
    if debug:
        TRACE(str(auth))
    if not uri_matches(auth.uri, request):  # type: ignore[arg-type]  # checked by the parser
        raise HTTPError(
            400, "The uri parameter of the Authorization header is not the request target."
        )
    if auth.realm != realm or auth.algorithm not in offered or auth.qop != qop_auth:
        deny()
    nonce = parse_nonce(auth.nonce, realm, key)  # type: ignore[arg-type]
    if nonce is None:
        deny()
    ha1 = _ha1_for(get_ha1, realm, auth.username, auth.algorithm)  # type: ignore[arg-type]
    expected = auth.request_digest(ha1 or "0" * _HEX_LENGTH[auth.algorithm.removesuffix("-sess")])
    given = (auth.response or "").lower().encode("utf-8")
    import hmac  # here, not at start-up: it loads OpenSSL

    if not hmac.compare_digest(expected.encode("ascii"), given) or ha1 is None:
        deny()
    if nonce.is_stale(nonce_lifetime):  # type: ignore[union-attr]
        deny(stale=True)
    verdict = nonce_counter.use(nonce, auth.nonce_count, nonce_lifetime)  # type: ignore[arg-type]
    if verdict != "ok":
        if debug:
            TRACE(f"nonce count refused: {verdict}")
        deny(stale=verdict == "forgotten")
    request.login = auth.username
    if debug:
        TRACE(f"authentication of {auth.username} successful")
