"""tools.auth_basic over real HTTP: the seed's example, both checkpassword forms, every option
and every malformed header."""

from __future__ import annotations

import base64
import functools
import hmac
import unicodedata
from collections.abc import Callable
from typing import Any

import pytest
import requests
from requests.auth import HTTPBasicAuth

import cherrypy
from cherrypy_auth import basic
from cherrypy_auth.headers import positional_arity


def basic_conf(checkpassword: Callable[..., Any], **options: Any) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "tools.auth_basic.on": True,
        "tools.auth_basic.realm": "localhost",
        "tools.auth_basic.checkpassword": checkpassword,
    }
    settings.update({f"tools.auth_basic.{key}": value for key, value in options.items()})
    return {"/protected/area": settings}


def token(text: str, charset: str = "utf-8") -> str:
    return base64.b64encode(text.encode(charset)).decode("ascii")


def get(base: str, authorization: str | bytes | None = None) -> requests.Response:
    headers = {} if authorization is None else {"Authorization": authorization}
    return requests.get(base + "/protected/area/", headers=headers, timeout=10)


def test_seed_basic_example(
    protected_root: Callable[[], Any],
    serve_root: Callable[..., str],
    seed_auth_conf: Callable[[str], dict[str, Any]],
) -> None:
    root = protected_root()
    base = serve_root(root, seed_auth_conf("basic"))
    assert requests.get(base + "/", timeout=10).text == "public"
    denied = requests.get(base + "/protected/area/", timeout=10)
    assert denied.status_code == 401
    assert denied.headers["WWW-Authenticate"] == 'Basic realm="localhost", charset="UTF-8"'
    assert b"You are not authorized to access that resource" in denied.content
    allowed = requests.get(
        base + "/protected/area/", auth=HTTPBasicAuth("jon", "secret"), timeout=10
    )
    assert allowed.status_code == 200
    assert allowed.text == "welcome jon"
    wrong = requests.get(base + "/protected/area/", auth=HTTPBasicAuth("jon", "nope"), timeout=10)
    assert wrong.status_code == 401
    unknown = requests.get(
        base + "/protected/area/", auth=HTTPBasicAuth("ann", "secret"), timeout=10
    )
    assert unknown.status_code == 401
    assert root.protected.area.calls == 1


def test_cherrypy_three_argument_form(
    protected_root: Callable[[], Any], serve_root: Callable[..., str]
) -> None:
    seen = []

    def checkpassword(realm: str, username: str, password: str) -> bool:
        seen.append(realm)
        return (username, password) == ("jon", "secret")

    base = serve_root(protected_root(), basic_conf(checkpassword))
    assert get(base, "Basic " + token("jon:secret")).text == "welcome jon"
    assert get(base, "Basic " + token("jon:bad")).status_code == 401
    assert seen == ["localhost", "localhost"]


def test_checkpassword_dict(
    protected_root: Callable[[], Any], serve_root: Callable[..., str]
) -> None:
    from cherrypy.lib import auth_basic

    checkpassword = auth_basic.checkpassword_dict({"jon": "secret", "nopass": ""})
    base = serve_root(protected_root(), basic_conf(checkpassword))
    assert get(base, "Basic " + token("jon:secret")).status_code == 200
    assert get(base, "Basic " + token("jon:secreT")).status_code == 401
    assert get(base, "Basic " + token("nopass:")).status_code == 401
    assert get(base, "Basic " + token("ghost:")).status_code == 401


class CallableChecker:
    def __call__(self, username: str, password: str) -> bool:
        return password == "pw"


@pytest.mark.parametrize(
    "checkpassword",
    [
        CallableChecker(),
        functools.partial(lambda expected, user, password: password == expected, "pw"),
        lambda *args: args[-1] == "pw",
        lambda realm, user, password, extra=None: password == "pw",
    ],
    ids=["callable-2", "partial-2", "varargs-3", "defaults-3"],
)
def test_checkpassword_shapes(
    protected_root: Callable[[], Any], serve_root: Callable[..., str], checkpassword: Any
) -> None:
    base = serve_root(protected_root(), basic_conf(checkpassword))
    assert get(base, "Basic " + token("x:pw")).status_code == 200
    assert get(base, "Basic " + token("x:no")).status_code == 401


def test_positional_arity() -> None:
    assert positional_arity(lambda realm, user, password: True) == 3
    assert positional_arity(lambda user, password: True) == 2
    assert positional_arity(lambda *args: True) == 3
    assert positional_arity(CallableChecker()) == 2
    assert positional_arity(len) == 3  # unknowable shapes get CherryPy's form


@pytest.mark.parametrize(
    "authorization",
    [
        "Basic",
        "Basic ",
        "Basic !!!",
        "Basic " + token("no colon here"),
        "Basic " + token("jon:secret").rstrip("="),
        "Basic " + token("jon:secret") + "x",
        "Basic am9u OnNlY3JldA==",
        "Basic " + token("jon:secret") + " extra",
    ],
)
def test_malformed_credentials_give_400(
    protected_root: Callable[[], Any], serve_root: Callable[..., str], authorization: str
) -> None:
    root = protected_root()
    base = serve_root(root, basic_conf(basic.checkpassword_dict({"jon": "secret"})))
    response = get(base, authorization)
    assert response.status_code == 400
    assert root.protected.area.calls == 0


def test_non_ascii_token_gives_400(
    protected_root: Callable[[], Any], serve_root: Callable[..., str]
) -> None:
    base = serve_root(protected_root(), basic_conf(basic.checkpassword_dict({"jon": "secret"})))
    assert get(base, "Basic é".encode("latin-1")).status_code == 400


@pytest.mark.parametrize(
    "authorization",
    [
        "",
        "Bearer abc",
        'Digest username="jon"',
        "Basicx " + token("jon:secret"),
        "basic\t" + token("jon:secret"),  # the scheme ends at a space (RFC 9110)
        "Negotiate",
    ],
)
def test_other_schemes_get_a_challenge(
    protected_root: Callable[[], Any], serve_root: Callable[..., str], authorization: str
) -> None:
    root = protected_root()
    base = serve_root(root, basic_conf(basic.checkpassword_dict({"jon": "secret"})))
    response = get(base, authorization)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith('Basic realm="localhost"')
    assert root.protected.area.calls == 0


def test_scheme_is_case_insensitive(
    protected_root: Callable[[], Any], serve_root: Callable[..., str]
) -> None:
    base = serve_root(protected_root(), basic_conf(basic.checkpassword_dict({"jon": "secret"})))
    assert get(base, "BASIC " + token("jon:secret")).status_code == 200


def test_password_may_contain_colons(
    protected_root: Callable[[], Any], serve_root: Callable[..., str]
) -> None:
    base = serve_root(protected_root(), basic_conf(basic.checkpassword_dict({"jon": "a:b:c"})))
    assert get(base, "Basic " + token("jon:a:b:c")).status_code == 200


def test_utf8_credentials_are_nfc_normalized(
    protected_root: Callable[[], Any], serve_root: Callable[..., str]
) -> None:
    composed = "j\u00f6n"
    decomposed = unicodedata.normalize("NFD", composed)
    base = serve_root(
        protected_root(), basic_conf(basic.checkpassword_dict({composed: "pässword"}))
    )
    response = get(base, "Basic " + token(f"{decomposed}:pässword"))
    assert response.status_code == 200
    assert response.text == f"welcome {composed}"


def test_latin1_credentials_fall_back(
    protected_root: Callable[[], Any], serve_root: Callable[..., str]
) -> None:
    base = serve_root(protected_root(), basic_conf(basic.checkpassword_dict({"jon": "pässword"})))
    assert get(base, "Basic " + token("jon:pässword", "latin-1")).status_code == 200


def test_accept_charset_option(
    protected_root: Callable[[], Any], serve_root: Callable[..., str]
) -> None:
    conf = basic_conf(basic.checkpassword_dict({"jon": "pässword"}), accept_charset="ISO-8859-1")
    base = serve_root(protected_root(), conf)
    assert get(base).headers["WWW-Authenticate"] == 'Basic realm="localhost"'
    # With ISO-8859-1 first, UTF-8 bytes are read as Latin-1 text and do not match.
    assert get(base, "Basic " + token("jon:pässword", "latin-1")).status_code == 200
    assert get(base, "Basic " + token("jon:pässword", "utf-8")).status_code == 401


def test_realm_is_quoted(protected_root: Callable[[], Any], serve_root: Callable[..., str]) -> None:
    conf = basic_conf(basic.checkpassword_dict({}))
    conf["/protected/area"]["tools.auth_basic.realm"] = 'the "inner" \\ circle'
    base = serve_root(protected_root(), conf)
    header = get(base).headers["WWW-Authenticate"]
    assert header == 'Basic realm="the \\"inner\\" \\\\ circle", charset="UTF-8"'


def test_decorator_form(serve_root: Callable[..., str]) -> None:
    class Decorated:
        @cherrypy.expose
        @cherrypy.tools.auth_basic(realm="r", checkpassword=lambda u, p: p == "pw")
        def index(self) -> str:
            return cherrypy.request.login or ""

    base = serve_root(Decorated())
    response = requests.get(base + "/", auth=HTTPBasicAuth("ann", "pw"), timeout=10)
    assert response.text == "ann"


def test_debug_option_logs(
    protected_root: Callable[[], Any], serve_root: Callable[..., str], error_log: list[str]
) -> None:
    base = serve_root(
        protected_root(), basic_conf(basic.checkpassword_dict({"jon": "s"}), debug=True)
    )
    get(base, "Basic " + token("jon:s"))
    get(base, "Basic " + token("jon:x"))
    get(base, "Basic !")
    assert any(message.endswith("Auth succeeded") for message in error_log)
    assert any("Auth failed for 'jon'" in message for message in error_log)
    assert any("Malformed Basic credentials" in message for message in error_log)


def test_checkpassword_dict_compares_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    check = basic.checkpassword_dict({"jon": "secret"})
    assert check("r", "jon", "secret") is True
    assert check("r", "jon", "secreT") is False
    assert check("r", "nobody", "secret") is False
    assert [a for a, _ in compared] == [b"secret", b"secreT", b"secret"]


def test_mangled_headers_never_give_500(
    protected_root: Callable[[], Any], serve_root: Callable[..., str]
) -> None:
    import random

    base = serve_root(protected_root(), basic_conf(basic.checkpassword_dict({"jon": "secret"})))
    rng = random.Random(99)
    alphabet = 'Basic am9uOnNlY3JldA==é:%=+/\t \\"\x7f'
    session = requests.Session()
    for _ in range(300):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 30))).strip()
        if rng.random() < 0.5:
            text = "Basic " + text
        response = session.get(
            base + "/protected/area/", headers={"Authorization": text.encode("utf-8")}, timeout=10
        )
        assert response.status_code in (200, 400, 401), text
