"""tools.auth_digest over real HTTP: the seed's example driven by requests' HTTPDigestAuth,
RFC 7616 algorithms, signed expiring nonces, the uri check, replays and malformed headers."""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from requests.auth import HTTPDigestAuth

import cherrypy
from cherrypy_auth import digest, nonces

KEY = "a565c27146791cfb"
USERS = {"jon": "secret", "jörg": "pässword"}
HASHES = {"MD5": hashlib.md5, "SHA-256": hashlib.sha256}


@pytest.fixture(autouse=True)
def fresh_nonce_counts() -> Iterator[None]:
    nonces.nonce_counter.clear()
    yield
    nonces.nonce_counter.clear()


def digest_conf(**options: Any) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "tools.auth_digest.on": True,
        "tools.auth_digest.realm": "localhost",
        "tools.auth_digest.get_ha1": digest.get_ha1_dict_plain(USERS),
        "tools.auth_digest.key": KEY,
    }
    settings.update({f"tools.auth_digest.{key}": value for key, value in options.items()})
    return {"/protected/area": settings}


URL = "/protected/area/"


def challenges(header: str) -> list[dict[str, str]]:
    """Split a WWW-Authenticate value into its Digest challenges' parameters."""
    found = []
    for part in re.split(r",?\s*Digest\s+", header)[1:]:
        params = {}
        for name, quoted, bare in re.findall(r'(\w+)=(?:"((?:[^"\\]|\\.)*)"|([^,\s]+))', part):
            params[name] = quoted or bare
        found.append(params)
    return found


def challenge_for(base: str, path: str = URL) -> dict[str, str]:
    response = requests.get(base + path, timeout=10)
    assert response.status_code == 401
    return challenges(response.headers["WWW-Authenticate"])[0]


def h(text: str, algorithm: str) -> str:
    return HASHES[algorithm.removesuffix("-sess")](text.encode()).hexdigest()


def authorization(
    nonce: str,
    uri: str = URL,
    username: str = "jon",
    password: str = "secret",
    method: str = "GET",
    realm: str = "localhost",
    algorithm: str = "MD5",
    qop: str | None = "auth",
    nc: str = "00000001",
    cnonce: str = "0a4f113b",
    **override: str | None,
) -> str:
    """A Digest Authorization value computed as a correct client would (RFC 7616)."""
    ha1 = h(f"{username}:{realm}:{password}", algorithm)
    if algorithm.endswith("-sess"):
        ha1 = h(f"{ha1}:{nonce}:{cnonce}", algorithm)
    ha2 = h(f"{method}:{uri}", algorithm)
    if qop:
        response = h(f"{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}", algorithm)
    else:
        response = h(f"{ha1}:{nonce}:{ha2}", algorithm)
    params: dict[str, str | None] = {
        "username": f'"{username}"',
        "realm": f'"{realm}"',
        "nonce": f'"{nonce}"',
        "uri": f'"{uri}"',
        "algorithm": algorithm,
        "response": f'"{response}"',
        "qop": qop,
        "nc": nc if qop else None,
        "cnonce": f'"{cnonce}"' if qop else None,
    }
    params.update(override)
    return "Digest " + ", ".join(f"{k}={v}" for k, v in params.items() if v is not None)


def get(base: str, header: str | bytes | None, path: str = URL) -> requests.Response:
    headers = {} if header is None else {"Authorization": header}
    return requests.get(base + path, headers=headers, timeout=10)


# --------------------------------------------------------------------------- the seed


def test_seed_digest_example_with_requests(
    protected_root: Callable[[], Any],
    serve_root: Callable[..., str],
    seed_auth_conf: Callable[[str], dict[str, Any]],
) -> None:
    root = protected_root()
    base = serve_root(root, seed_auth_conf("digest"))
    assert requests.get(base + "/", timeout=10).text == "public"
    response = requests.get(base + URL, auth=HTTPDigestAuth("jon", "secret"), timeout=10)
    assert response.status_code == 200
    assert response.text == "welcome jon"
    bad = requests.get(base + URL, auth=HTTPDigestAuth("jon", "wrong"), timeout=10)
    assert bad.status_code == 401
    assert root.protected.area.calls == 1


def test_requests_session_reuses_the_nonce(
    protected_root: Callable[[], Any], serve_root: Callable[..., str]
) -> None:
    base = serve_root(protected_root(), digest_conf())
    session = requests.Session()
    session.auth = HTTPDigestAuth("jon", "secret")
    for i in range(1, 6):
        response = session.get(base + URL + f"?page={i}", timeout=10)
        assert response.status_code == 200
        assert f"nc={i:08x}" in response.request.headers["Authorization"]


def test_challenge_format(
    protected_root: Callable[[], Any], serve_root: Callable[..., str]
) -> None:
    base = serve_root(protected_root(), digest_conf())
    response = requests.get(base + URL, timeout=10)
    assert response.status_code == 401
    header = response.headers["WWW-Authenticate"]
    assert re.fullmatch(
        r'Digest realm="localhost", nonce="\d+:[0-9a-f]{16}:[0-9a-f]{32}", algorithm="MD5", '
        r'qop="auth", charset="UTF-8"',
        header,
    ), header
    assert b"You are not authorized to access that resource" in response.content


# --------------------------------------------------------------------------- algorithms


def test_sha256_with_requests(
    protected_root: Callable[[], Any], serve_root: Callable[..., str]
) -> None:
    base = serve_root(protected_root(), digest_conf(algorithm="SHA-256"))
    assert 'algorithm="SHA-256"' in requests.get(base + URL, timeout=10).headers["WWW-Authenticate"]
    response = requests.get(base + URL, auth=HTTPDigestAuth("jon", "secret"), timeout=10)
    assert response.status_code == 200
    assert 'algorithm="SHA-256"' in response.request.headers["Authorization"]


def test_md5_sess_with_requests(
    protected_root: Callable[[], Any], serve_root: Callable[..., str]
) -> None:
    base = serve_root(protected_root(), digest_conf(algorithm="MD5-sess"))
    response = requests.get(base + URL, auth=HTTPDigestAuth("jon", "secret"), timeout=10)
    assert response.status_code == 200


@pytest.mark.parametrize("algorithm", ["MD5", "SHA-256", "MD5-sess", "SHA-256-sess"])
def test_every_algorithm(
    protected_root: Callable[[], Any], serve_root: Callable[..., str], algorithm: str
) -> None:
    base = serve_root(protected_root(), digest_conf(algorithm=algorithm))
    challenge = challenge_for(base)
    assert challenge["algorithm"] == algorithm
    response = get(base, authorization(challenge["nonce"], algorithm=algorithm))
    assert response.status_code == 200
    assert response.text == "welcome jon"


def test_several_algorithms_are_offered_in_order(
    protected_root: Callable[[], Any], serve_root: Callable[..., str]
) -> None:
    base = serve_root(protected_root(), digest_conf(algorithm=["SHA-256", "MD5"]))
    offered = challenges(requests.get(base + URL, timeout=10).headers["WWW-Authenticate"])
    assert [c["algorithm"] for c in offered] == ["SHA-256", "MD5"]
    assert offered[0]["nonce"] == offered[1]["nonce"]
    for algorithm, nc in (("SHA-256", "00000001"), ("MD5", "00000002")):
        header = authorization(offered[0]["nonce"], algorithm=algorithm, nc=nc)
        assert get(base, header).status_code == 200
    assert requests.get(base + URL, auth=HTTPDigestAuth("jon", "secret"), timeout=10).ok


def test_algorithm_not_offered_gets_a_challenge(
    protected_root: Callable[[], Any], serve_root: Callable[..., str]
) -> None:
    base = serve_root(protected_root(), digest_conf())
    nonce = challenge_for(base)["nonce"]
    response = get(base, authorization(nonce, algorithm="SHA-256"))
    assert response.status_code == 401
    assert 'algorithm="MD5"' in response.headers["WWW-Authenticate"]


def test_algorithm_names_are_case_insensitive(
    protected_root: Callable[[], Any], serve_root: Callable[..., str]
) -> None:
    base = serve_root(protected_root(), digest_conf(algorithm="sha-256"))
    nonce = challenge_for(base)["nonce"]
    header = authorization(nonce, algorithm="SHA-256").replace(
        "algorithm=SHA-256", "algorithm=sha-256"
    )
    assert get(base, header).status_code == 200


# --------------------------------------------------------------------------- credential stores


def test_get_ha1_dict_with_precomputed_hashes(
    protected_root: Callable[[], Any], serve_root: Callable[..., str]
) -> None:
    from cherrypy.lib import auth_digest

    ha1 = hashlib.md5(b"jon:localhost:secret").hexdigest()
    base = serve_root(protected_root(), digest_conf(get_ha1=auth_digest.get_ha1_dict({"jon": ha1})))
    assert requests.get(base + URL, auth=HTTPDigestAuth("jon", "secret"), timeout=10).ok
    assert requests.get(base + URL, auth=HTTPDigestAuth("jon", "x"), timeout=10).status_code == 401


def test_md5_hashes_cannot_answer_sha256(
    protected_root: Callable[[], Any], serve_root: Callable[..., str]
) -> None:
    md5 = hashlib.md5(b"jon:localhost:secret").hexdigest()
    sha = hashlib.sha256(b"jon:localhost:secret").hexdigest()
    get_ha1 = digest.get_ha1_dict({"jon": md5, "ann": sha})
    base = serve_root(protected_root(), digest_conf(get_ha1=get_ha1, algorithm="SHA-256"))
    nonce = challenge_for(base)["nonce"]
    assert get(base, authorization(nonce)).status_code == 401  # MD5 response: not offered
    assert get(base, authorization(nonce, algorithm="SHA-256")).status_code == 401
    ann = authorization(nonce, username="ann", algorithm="SHA-256", nc="00000002")
    assert get(base, ann.replace("ann:", "jon:")).status_code == 401
    response = requests.get(base + URL, auth=HTTPDigestAuth("ann", "secret"), timeout=10)
    assert response.status_code == 401  # ann's hash was made with "jon" in it


def test_get_ha1_file_htdigest(
    protected_root: Callable[[], Any], serve_root: Callable[..., str], tmp_path: Path
) -> None:
    ha1 = hashlib.md5(b"jon:localhost:secret").hexdigest()
    other = hashlib.md5(b"jon:elsewhere:other").hexdigest()
    path = tmp_path / "htdigest"
    path.write_text(f"# comment\n\njon:elsewhere:{other}\nbroken line\njon:localhost:{ha1}\n")
    base = serve_root(
        protected_root(), digest_conf(get_ha1=digest.get_ha1_file_htdigest(str(path)))
    )
    assert requests.get(base + URL, auth=HTTPDigestAuth("jon", "secret"), timeout=10).ok
    assert (
        requests.get(base + URL, auth=HTTPDigestAuth("ann", "secret"), timeout=10).status_code
        == 401
    )


def test_custom_two_argument_get_ha1(
    protected_root: Callable[[], Any], serve_root: Callable[..., str]
) -> None:
    def get_ha1(realm: str, username: str) -> str | None:
        if username == "jon":
            return hashlib.md5(f"jon:{realm}:secret".encode()).hexdigest()
        return None

    base = serve_root(protected_root(), digest_conf(get_ha1=get_ha1))
    assert requests.get(base + URL, auth=HTTPDigestAuth("jon", "secret"), timeout=10).ok


def test_non_ascii_user_name(
    protected_root: Callable[[], Any], serve_root: Callable[..., str]
) -> None:
    base = serve_root(protected_root(), digest_conf())
    nonce = challenge_for(base)["nonce"]
    header = authorization(nonce, username="jörg", password="pässword")
    response = get(base, header.encode("utf-8"))
    assert response.status_code == 200
    assert response.text == "welcome jörg"
    extended = authorization(nonce, username="jörg", password="pässword", nc="00000002")
    extended = extended.replace('username="jörg"', "username*=UTF-8''j%C3%B6rg")
    assert get(base, extended).status_code == 200


# --------------------------------------------------------------------------- nonces


def test_key_is_optional(protected_root: Callable[[], Any], serve_root: Callable[..., str]) -> None:
    conf = digest_conf()
    del conf["/protected/area"]["tools.auth_digest.key"]
    base = serve_root(protected_root(), conf)
    assert requests.get(base + URL, auth=HTTPDigestAuth("jon", "secret"), timeout=10).ok


@pytest.mark.parametrize(
    "forge",
    [
        lambda nonce: nonce[:-1] + ("0" if nonce[-1] != "0" else "1"),  # altered signature
        lambda nonce: str(int(nonce.split(":")[0]) + 60000) + nonce[nonce.index(":") :],
        lambda nonce: nonces.make_nonce("localhost", "another key"),
        lambda nonce: nonces.make_nonce("another realm", KEY),
        lambda nonce: "1795488845:33af2faf54a1cf83c00aaefd84d26ef0",  # CherryPy's format
        lambda nonce: "garbage",
    ],
    ids=["signature", "timestamp", "key", "realm", "cherrypy", "garbage"],
)
def test_nonces_this_server_did_not_sign_are_refused(
    protected_root: Callable[[], Any], serve_root: Callable[..., str], forge: Callable[[str], str]
) -> None:
    root = protected_root()
    base = serve_root(root, digest_conf())
    nonce = forge(challenge_for(base)["nonce"])
    response = get(base, authorization(nonce))
    assert response.status_code == 401
    assert "stale" not in response.headers["WWW-Authenticate"]
    assert root.protected.area.calls == 0


def test_expired_nonce_is_stale(
    protected_root: Callable[[], Any], serve_root: Callable[..., str]
) -> None:
    base = serve_root(protected_root(), digest_conf(nonce_lifetime=60))
    old = nonces.make_nonce("localhost", KEY, issued=time.time() - 61)
    response = get(base, authorization(old))
    assert response.status_code == 401
    header = response.headers["WWW-Authenticate"]
    assert ", stale=true," in header
    fresh = challenges(header)[0]["nonce"]
    assert fresh != old
    assert get(base, authorization(fresh)).status_code == 200
    # Wrong credentials on an old nonce are not "stale": the client must ask its user again.
    assert "stale" not in get(base, authorization(old, password="x")).headers["WWW-Authenticate"]


def test_default_lifetime_is_ten_minutes(
    protected_root: Callable[[], Any], serve_root: Callable[..., str]
) -> None:
    base = serve_root(protected_root(), digest_conf())
    assert get(base, authorization(nonces.make_nonce("localhost", KEY, time.time() - 590))).ok
    stale = get(base, authorization(nonces.make_nonce("localhost", KEY, time.time() - 610)))
    assert "stale=true" in stale.headers["WWW-Authenticate"]


def test_requests_recovers_from_a_stale_nonce(
    protected_root: Callable[[], Any], serve_root: Callable[..., str]
) -> None:
    base = serve_root(protected_root(), digest_conf(nonce_lifetime=1))
    session = requests.Session()
    session.auth = HTTPDigestAuth("jon", "secret")
    assert session.get(base + URL, timeout=10).ok
    time.sleep(1.2)
    assert session.get(base + URL, timeout=10).ok  # 401 stale=true, then a new nonce


# --------------------------------------------------------------------------- replays


def test_replayed_request_is_refused(
    protected_root: Callable[[], Any], serve_root: Callable[..., str]
) -> None:
    root = protected_root()
    base = serve_root(root, digest_conf())
    header = authorization(challenge_for(base)["nonce"])
    assert get(base, header).status_code == 200
    replay = get(base, header)
    assert replay.status_code == 401
    assert "stale" not in replay.headers["WWW-Authenticate"]
    assert root.protected.area.calls == 1


def test_nonce_count_reuse_with_another_cnonce_is_refused(
    protected_root: Callable[[], Any], serve_root: Callable[..., str]
) -> None:
    base = serve_root(protected_root(), digest_conf())
    nonce = challenge_for(base)["nonce"]
    assert get(base, authorization(nonce, cnonce="aaaa")).status_code == 200
    assert get(base, authorization(nonce, cnonce="bbbb")).status_code == 401
    assert get(base, authorization(nonce, cnonce="bbbb", nc="00000002")).status_code == 200


def test_counts_may_arrive_out_of_order(
    protected_root: Callable[[], Any], serve_root: Callable[..., str]
) -> None:
    base = serve_root(protected_root(), digest_conf())
    nonce = challenge_for(base)["nonce"]
    for nc in ("00000003", "00000001", "00000002"):
        assert get(base, authorization(nonce, nc=nc)).status_code == 200
    assert get(base, authorization(nonce, nc="00000002")).status_code == 401


def test_nonce_count_zero_is_refused(
    protected_root: Callable[[], Any], serve_root: Callable[..., str]
) -> None:
    base = serve_root(protected_root(), digest_conf())
    assert get(base, authorization(challenge_for(base)["nonce"], nc="00000000")).status_code == 401


# --------------------------------------------------------------------------- the uri check


@pytest.mark.parametrize(
    ("path", "uri", "status"),
    [
        (URL, URL, 200),
        (URL + "?a=1&b=2", URL + "?a=1&b=2", 200),
        ("/protected/area/%7Ejon", "/protected/area/%7Ejon", 200),
        ("/protected/area/~jon", "/protected/area/%7Ejon", 200),
        (URL, "http://example.com" + URL, 200),
        (URL, "/protected/area/other", 400),
        (URL, "/protected/", 400),
        (URL + "?a=1", URL + "?a=2", 400),
        (URL + "?a=1", URL, 400),
        (URL, "/", 400),
    ],
)
def test_uri_must_be_the_request_target(
    protected_root: Callable[[], Any],
    serve_root: Callable[..., str],
    path: str,
    uri: str,
    status: int,
) -> None:
    root = protected_root()
    base = serve_root(root, digest_conf())
    nonce = challenge_for(base)["nonce"]
    response = get(base, authorization(nonce, uri=uri), path=path)
    assert response.status_code == status
    assert root.protected.area.calls == (1 if status == 200 else 0)


# --------------------------------------------------------------------------- malformed headers


@pytest.mark.parametrize(
    "mangle",
    [
        lambda h: "Digest",
        lambda h: "Digest ",
        lambda h: "Digest foo",
        lambda h: "Digest ,,,",
        lambda h: 'Digest a="b',
        lambda h: "Digest =value",
        lambda h: h + ', username="again"',
        lambda h: h + " trailing",
        lambda h: h.replace('username="jon", ', ""),
        lambda h: h.replace('realm="localhost", ', ""),
        lambda h: h.replace("nonce=", "xnonce="),
        lambda h: h.replace("uri=", "xuri="),
        lambda h: h.replace("response=", "xresponse="),
        lambda h: h.replace("qop=auth, ", ""),
        lambda h: h.replace("qop=auth", "qop=bogus"),
        lambda h: h.replace("nc=00000001, ", ""),
        lambda h: h.replace('cnonce="0a4f113b"', 'xcnonce="0a4f113b"'),
        lambda h: h.replace("nc=00000001", "nc=1"),
        lambda h: h.replace("nc=00000001", "nc=0000000g"),
        lambda h: h.replace("algorithm=MD5", "algorithm=SHA-512-256"),
        lambda h: h.replace('username="jon"', "username*=UTF-8''jon, username=\"jon\""),
        lambda h: h.replace('username="jon"', "username*=nonsense"),
        lambda h: h.replace('username="jon"', "username*=UTF-8''%FF"),
        lambda h: h.replace('username="jon"', 'username=""'),
    ],
)
def test_malformed_headers_give_400(
    protected_root: Callable[[], Any], serve_root: Callable[..., str], mangle: Callable[[str], str]
) -> None:
    root = protected_root()
    base = serve_root(root, digest_conf())
    header = mangle(authorization(challenge_for(base)["nonce"]))
    response = get(base, header)
    assert response.status_code == 400, header
    assert root.protected.area.calls == 0


@pytest.mark.parametrize(
    "mangle",
    [
        lambda h: None,
        lambda h: "",
        lambda h: "Basic am9uOnNlY3JldA==",
        lambda h: "Bearer token",
        lambda h: h.replace('realm="localhost"', 'realm="elsewhere"'),
        lambda h: h.replace("qop=auth", "qop=auth-int"),
        lambda h: h.replace('username="jon"', 'username="nobody"'),
        lambda h: re.sub(r'response="[0-9a-f]+"', 'response="' + "0" * 32 + '"', h),
        lambda h: re.sub(r'response="[0-9a-f]+"', 'response="short"', h),
        lambda h: re.sub(r'response="[0-9a-f]+"', 'response="é"', h),
    ],
)
def test_wrong_credentials_get_a_challenge(
    protected_root: Callable[[], Any],
    serve_root: Callable[..., str],
    mangle: Callable[[str], str | None],
) -> None:
    root = protected_root()
    base = serve_root(root, digest_conf())
    header = mangle(authorization(challenge_for(base)["nonce"]))
    response = get(base, header.encode("utf-8") if header else header)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith('Digest realm="localhost"')
    assert root.protected.area.calls == 0


def test_method_is_part_of_the_digest(
    protected_root: Callable[[], Any], serve_root: Callable[..., str]
) -> None:
    base = serve_root(protected_root(), digest_conf())
    nonce = challenge_for(base)["nonce"]
    header = authorization(nonce, method="POST")
    assert get(base, header).status_code == 401
    response = requests.post(base + URL, headers={"Authorization": header}, timeout=10)
    assert response.status_code == 200


# --------------------------------------------------------------------------- options


def test_accept_charset_option(
    protected_root: Callable[[], Any], serve_root: Callable[..., str]
) -> None:
    base = serve_root(protected_root(), digest_conf(accept_charset="ISO-8859-1"))
    header = requests.get(base + URL, timeout=10).headers["WWW-Authenticate"]
    assert header.endswith('qop="auth"')
    nonce = challenges(header)[0]["nonce"]
    latin = authorization(nonce, username="jörg", password="pässword")
    assert get(base, latin.encode("latin-1")).text == "welcome jörg"


def test_realm_is_quoted(protected_root: Callable[[], Any], serve_root: Callable[..., str]) -> None:
    base = serve_root(protected_root(), digest_conf(realm='a "quoted" realm'))
    header = requests.get(base + URL, timeout=10).headers["WWW-Authenticate"]
    assert header.startswith('Digest realm="a \\"quoted\\" realm", ')
    nonce = challenges(header)[0]["nonce"]
    auth = authorization(nonce, realm='a "quoted" realm').replace(
        'realm="a "quoted" realm"', 'realm="a \\"quoted\\" realm"'
    )
    assert get(base, auth).status_code == 200


def test_decorator_form(serve_root: Callable[..., str]) -> None:
    class Decorated:
        @cherrypy.expose
        @cherrypy.tools.auth_digest(
            realm="r", get_ha1=digest.get_ha1_dict_plain({"a": "b"}), key="k"
        )
        def index(self) -> str:
            return cherrypy.request.login or ""

    base = serve_root(Decorated())
    assert requests.get(base + "/", auth=HTTPDigestAuth("a", "b"), timeout=10).text == "a"


def test_debug_option_logs(
    protected_root: Callable[[], Any], serve_root: Callable[..., str], error_log: list[str]
) -> None:
    base = serve_root(protected_root(), digest_conf(debug=True))
    requests.get(base + URL, auth=HTTPDigestAuth("jon", "secret"), timeout=10)
    get(base, "Digest nonsense")
    assert any("authentication of jon successful" in m for m in error_log)
    assert any("malformed header" in m for m in error_log)
    assert any("Digest realm=" in m for m in error_log)


def test_responses_are_compared_in_constant_time(
    protected_root: Callable[[], Any],
    serve_root: Callable[..., str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    compared = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    base = serve_root(protected_root(), digest_conf())
    assert requests.get(base + URL, auth=HTTPDigestAuth("jon", "secret"), timeout=10).ok
    assert len(compared) == 2  # the nonce's signature, then the response digest
    assert compared[1][0] == compared[1][1]
    unknown = requests.get(base + URL, auth=HTTPDigestAuth("ghost", "x"), timeout=10)
    assert unknown.status_code == 401
    assert len(compared) == 4  # an unknown user costs the same comparisons


def test_mangled_headers_never_give_500(
    protected_root: Callable[[], Any], serve_root: Callable[..., str]
) -> None:
    import random

    root = protected_root()
    base = serve_root(root, digest_conf())
    valid = authorization(challenge_for(base)["nonce"])
    rng = random.Random(1234)
    pieces = ['"', "\\", ",", "=", " ", "\t", "é", "%", "*", "'", ":", "username*=", "nc=", "\x7f"]
    session = requests.Session()
    for _ in range(300):
        header = list(valid)
        for _ in range(rng.randrange(1, 6)):
            position = rng.randrange(len(header))
            action = rng.random()
            if action < 0.4:
                del header[position]
            elif action < 0.8:
                header.insert(position, rng.choice(pieces))
            else:
                header[position] = rng.choice(pieces)
        text = "".join(header)
        response = session.get(
            base + URL, headers={"Authorization": text.encode("utf-8")}, timeout=10
        )
        assert response.status_code in (200, 400, 401), text
    assert root.protected.area.calls <= 1  # only the untouched nc can ever succeed, once
