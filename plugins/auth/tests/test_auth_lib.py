"""cherrypy.lib.auth_basic / auth_digest as modules, and the pieces behind the tools."""

from __future__ import annotations

import hashlib
import importlib
import time
from collections.abc import Callable

import pytest
import requests
from requests.auth import HTTPDigestAuth

import cherrypy
from cherrypy_auth import digest, headers, nonces, plugin


def test_lib_modules_resolve_to_this_distribution() -> None:
    from cherrypy.lib import auth_basic, auth_digest

    assert auth_basic is importlib.import_module("cherrypy.lib.auth_basic")
    assert auth_digest is importlib.import_module("cherrypy.lib.auth_digest")
    assert auth_basic.__name__ == "cherrypy_auth.basic"
    assert auth_digest.__name__ == "cherrypy_auth.digest"
    for name in ("checkpassword_dict", "basic_auth"):
        assert callable(getattr(auth_basic, name))
    for name in (
        "get_ha1_dict_plain",
        "get_ha1_dict",
        "get_ha1_file_htdigest",
        "digest_auth",
        "www_authenticate",
        "synthesize_nonce",
        "HttpDigestAuthorization",
        "H",
        "md5_hex",
        "TRACE",
    ):
        assert callable(getattr(auth_digest, name))
    assert auth_digest.qop_auth == "auth"
    assert auth_digest.valid_qops == ("auth", "auth-int")
    assert auth_digest.valid_algorithms == ("MD5", "MD5-sess", "SHA-256", "SHA-256-sess")


def test_tools_are_registered_before_every_other_handler_tool() -> None:
    assert cherrypy.tools.auth_basic is plugin.auth_basic_tool
    assert cherrypy.tools.auth_digest is plugin.auth_digest_tool
    for tool in (plugin.auth_basic_tool, plugin.auth_digest_tool):
        assert (tool._point, tool._priority) == ("before_handler", 1)


def test_hash_helpers() -> None:
    assert digest.md5_hex("abc") == hashlib.md5(b"abc").hexdigest()
    assert digest.H("é") == hashlib.md5("é".encode()).hexdigest()
    get_ha1 = digest.get_ha1_dict_plain({"jon": "secret", "empty": ""})
    assert get_ha1("r", "jon") == hashlib.md5(b"jon:r:secret").hexdigest()
    assert get_ha1("r", "jon", algorithm="SHA-256") == hashlib.sha256(b"jon:r:secret").hexdigest()
    assert get_ha1("r", "jon", algorithm="SHA-256-sess") == get_ha1("r", "jon", "SHA-256")
    assert get_ha1("r", "empty") is None
    assert get_ha1("r", "nobody") is None


def test_http_digest_authorization_recomputes_rfc_7616_example() -> None:
    # RFC 7616, section 3.9.1: Mufasa / Circle of Life, SHA-256 and MD5.
    common = (
        'username="Mufasa", realm="http-auth@example.org", uri="/dir/index.html", '
        'nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", nc=00000001, '
        'cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", qop=auth, '
        'opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"'
    )
    sha = digest.HttpDigestAuthorization(f'Digest {common}, algorithm=SHA-256, response="x"', "GET")
    ha1 = hashlib.sha256(b"Mufasa:http-auth@example.org:Circle of Life").hexdigest()
    expected = "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"
    assert sha.request_digest(ha1) == expected
    md5 = digest.HttpDigestAuthorization(f'Digest {common}, algorithm=MD5, response="x"', "GET")
    ha1 = hashlib.md5(b"Mufasa:http-auth@example.org:Circle of Life").hexdigest()
    assert md5.request_digest(ha1) == "8ca523f5e9506fed4657c9700eebdbec"
    assert md5.opaque == "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"
    assert md5.nonce_count == 1


def test_http_digest_authorization_errors() -> None:
    with pytest.raises(ValueError, match='not "Digest"'):
        digest.HttpDigestAuthorization("Basic abc", "GET")
    with pytest.raises(ValueError, match="required parameters"):
        digest.HttpDigestAuthorization('Digest username="a"', "GET")
    base = 'Digest username="a", realm="r", nonce="n", uri="/", response="x"'
    legacy = digest.HttpDigestAuthorization(base, "GET")  # RFC 2069: no qop
    assert legacy.qop is None
    assert (
        legacy.request_digest("h")
        == hashlib.md5(f"h:n:{hashlib.md5(b'GET:/').hexdigest()}".encode()).hexdigest()
    )
    with pytest.raises(ValueError, match="neither cnonce nor nc"):
        digest.HttpDigestAuthorization(base + ", nc=00000001", "GET")
    with pytest.raises(ValueError, match="cnonce and nc MUST"):
        digest.HttpDigestAuthorization(base + ", qop=auth", "GET")
    integrity = digest.HttpDigestAuthorization(
        base + ', qop=auth-int, nc=00000001, cnonce="c"', "POST"
    )
    body_hash = hashlib.md5(b"body").hexdigest()
    assert integrity.HA2(b"body") == hashlib.md5(f"POST:/:{body_hash}".encode()).hexdigest()


def test_nonces_validate_and_expire() -> None:
    nonce = digest.synthesize_nonce("realm", "key")
    auth = digest.HttpDigestAuthorization(
        f'Digest username="a", realm="realm", nonce="{nonce}", uri="/", response="x"', "GET"
    )
    assert auth.validate_nonce("realm", "key")
    assert not auth.validate_nonce("realm", "other key")
    assert not auth.validate_nonce("other realm", "key")
    assert not auth.is_nonce_stale(600)
    old = digest.synthesize_nonce("realm", "key", timestamp=time.time() - 700)
    auth.nonce = old
    assert auth.validate_nonce("realm", "key")
    assert auth.is_nonce_stale(600)
    assert not auth.is_nonce_stale(800)
    assert nonces.parse_nonce(nonce, "realm", b"key") is not None  # bytes keys work too
    assert nonces.parse_nonce(nonce + "0", "realm", "key") is None
    assert nonces.parse_nonce("a:b:c:d", "realm", "key") is None
    assert nonces.parse_nonce("x:b:c", "realm", "key") is None
    assert nonces.parse_nonce("1:é:c", "realm", "key") is None


def test_nonces_without_a_key_use_a_process_secret() -> None:
    nonce = nonces.make_nonce("realm", None)
    assert nonces.parse_nonce(nonce, "realm", None) is not None
    assert nonces.parse_nonce(nonce, "realm", "") is None
    assert nonces.process_key() is nonces.process_key()


def test_www_authenticate() -> None:
    header = digest.www_authenticate("r", "k", nonce="N")
    assert header == 'Digest realm="r", nonce="N", algorithm="MD5", qop="auth", charset="UTF-8"'
    header = digest.www_authenticate(
        "r", "k", algorithm=["SHA-256", "MD5"], nonce="N", stale=True, accept_charset="latin-1"
    )
    assert header == (
        'Digest realm="r", nonce="N", algorithm="SHA-256", qop="auth", stale=true, '
        'charset="LATIN-1", Digest realm="r", nonce="N", algorithm="MD5", qop="auth", '
        'stale=true, charset="LATIN-1"'
    )
    with pytest.raises(ValueError):
        digest.www_authenticate("r", "k", qop="bogus")
    with pytest.raises(ValueError):
        digest.www_authenticate("r", "k", algorithm="SHA-1")
    with pytest.raises(ValueError):
        digest.www_authenticate("r", "k", algorithm=[])


def test_parse_auth_params() -> None:
    parse = headers.parse_auth_params
    assert parse('a=1, b="two, three", c="q\\"uote"') == {
        "a": "1",
        "b": "two, three",
        "c": 'q"uote',
    }
    assert parse(" , A = x ,, b=y, ") == {"a": "x", "b": "y"}
    assert parse("") == {}
    for bad in ('a="open', "a", "a=", "=b", "a=1 b=2", "a=1, a=2", 'a="x"y', "a=1;b"):
        with pytest.raises(ValueError):
            parse(bad)


def test_decode_ext_value() -> None:
    assert headers.decode_ext_value("UTF-8''J%C3%BCrgen") == "Jürgen"
    assert headers.decode_ext_value("iso-8859-1'en'J%FCrgen") == "Jürgen"
    for bad in ("nonsense", "UTF-8'J%C3%BCrgen", "UTF-8''%FF", "bogus-charset''x"):
        with pytest.raises(ValueError):
            headers.decode_ext_value(bad)


def test_nonce_counter_refuses_reused_counts() -> None:
    counter = nonces.NonceCounter(capacity=10, window=8)
    nonce = nonces.ParsedNonce("n1", time.time())
    assert counter.use(nonce, 1, 600) == "ok"
    assert counter.use(nonce, 1, 600) == "replay"
    assert counter.use(nonce, 0, 600) == "replay"
    for count in range(2, 12):
        assert counter.use(nonce, count, 600) == "ok"
    # The window folded its lowest counts into a floor: they stay refused.
    for count in range(1, 12):
        assert counter.use(nonce, count, 600) == "replay"
    assert counter.use(nonce, 12, 600) == "ok"


def test_nonce_counter_is_bounded_and_never_reopens_a_replay() -> None:
    counter = nonces.NonceCounter(capacity=10, window=8)
    now = time.time()
    issued = [nonces.ParsedNonce(f"n{i}", now - 100 + i) for i in range(30)]
    for nonce in issued:
        assert counter.use(nonce, 1, 600, now) == "ok"
        assert len(counter) <= 10
    # Forgotten nonces (the oldest) are refused as "forgotten", never accepted again.
    assert counter.use(issued[0], 1, 600, now) == "forgotten"
    assert counter.use(issued[0], 2, 600, now) == "forgotten"
    assert counter.use(issued[-1], 1, 600, now) == "replay"
    assert counter.use(nonces.ParsedNonce("fresh", now), 1, 600, now) == "ok"


def test_nonce_counter_drops_expired_nonces_first() -> None:
    counter = nonces.NonceCounter(capacity=3)
    now = time.time()
    old = [nonces.ParsedNonce(f"old{i}", now - 1000) for i in range(3)]
    for nonce in old:
        counter.use(nonce, 1, 600, now)
    new = nonces.ParsedNonce("new", now)
    assert counter.use(new, 1, 600, now) == "ok"
    assert len(counter) == 1
    # Nothing live was forgotten, so a live nonce issued a moment ago is still welcome.
    assert counter.use(nonces.ParsedNonce("recent", now - 1), 1, 600, now) == "ok"


def test_docs_example(docs_example: Callable[[str], str]) -> None:
    base = docs_example("auth.md")
    assert requests.get(base + "/", timeout=10).status_code == 401
    response = requests.get(base + "/", auth=HTTPDigestAuth("jon", "secret"), timeout=10)
    assert response.text == "Hello jon"
