"""Request bodies cost time, memory and descriptors bounded by documented limits (issue 20).

Over a real socket: adversarial urlencoded and multipart shapes (millions of separators,
huge preambles, near-miss delimiters, long header blocks, many parts and uploads) are still
answered correctly, and going over ``request.body.maxfields``, ``maxparts``,
``maxtempfiles`` and the part header limits answers 413 or 400.  Times are measured in
``bench/body_parsing.py``, not here.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import random
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import unquote_to_bytes

import pytest
import requests

import cherrypy
from cherrypy.kernel.reqbody import Part, unquote_plus
from cherrypy.testing import serve

BOUNDARY = "hardening-7f3a"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"
FORM = "application/x-www-form-urlencoded"
MIB = 1024 * 1024


def digest(value: Any) -> str:
    """A short, comparable summary of a param value (text, Part, or a list of them)."""
    if isinstance(value, list):
        return "[" + ",".join(digest(item) for item in value) + "]"
    if isinstance(value, str):
        data = value.encode("utf-8", "surrogateescape")
    else:
        data = value.file.read() if value.file is not None else value.value or b""
    return f"{len(data)}:{hashlib.sha1(data).hexdigest()[:12]}"


@pytest.fixture
def serve_root(cpsite: None) -> Iterator[Callable[..., str]]:
    """``serve_root(root, conf=None, script_name="")`` mounts ``root``; returns its base URL."""
    with contextlib.ExitStack() as stack:

        def start(root: Any, conf: Any = None, script_name: str = "") -> str:
            cherrypy.tree.mount(root, script_name, conf)
            return stack.enter_context(serve()) + script_name

        yield start


def open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


class Root:
    @cherrypy.expose
    def form(self, **params: Any) -> str:
        return repr(sorted((key, digest(value)) for key, value in params.items()))

    @cherrypy.expose
    def count(self, **params: Any) -> str:
        return str(sum(len(v) if isinstance(v, list) else 1 for v in params.values()))

    @cherrypy.expose
    def uploads(self, **params: Any) -> str:
        """Read every upload through the file API CherryPy apps use; count descriptors."""
        files = [
            v for value in params.values() for v in (value if isinstance(value, list) else [value])
        ]
        out = []
        for part in files:
            first = part.file.read(3)
            part.file.seek(0)
            whole = part.file.read()
            assert whole.startswith(first)
            assert part.file.tell() == len(whole)
            part.file.seek(0)
            assert part.fullvalue() == whole.decode("latin-1") or part.filename is None
            out.append(f"{part.filename}:{part.content_type.value}:{len(whole)}")
        return f"{open_descriptors()}|" + ";".join(out)

    @cherrypy.expose
    def fds(self) -> str:
        return str(open_descriptors())

    @cherrypy.expose
    def parts(self, **params: Any) -> str:
        body = cherrypy.request.body
        return repr([(p.content_type.value, len(p.parts)) for p in body.parts])


def config(**body: Any) -> dict[str, dict[str, Any]]:
    return {"/": {f"request.body.{key}": value for key, value in body.items()}}


def post(
    base: str, path: str, data: bytes, content_type: str = FORM, **headers: str
) -> requests.Response:
    headers = {"Content-Type": content_type, **headers}
    return requests.post(base + path, data=data, headers=headers, timeout=60)


def expected(fields: list[tuple[bytes, bytes]]) -> str:
    """What Root.form answers for these (raw key, raw value) pairs, decoded as CherryPy does."""
    params: dict[str, Any] = {}
    for raw_key, raw_value in fields:
        key = unquote_to_bytes(raw_key.replace(b"+", b" ")).decode("utf-8")
        value = unquote_to_bytes(raw_value.replace(b"+", b" ")).decode("utf-8")
        if key in params:
            existing = params[key]
            params[key] = (existing if isinstance(existing, list) else [existing]) + [value]
        else:
            params[key] = value
    return repr(sorted((key, digest(value)) for key, value in params.items()))


def part(name: str, payload: bytes, *headers: str, filename: str | None = None) -> bytes:
    disposition = f'Content-Disposition: form-data; name="{name}"'
    if filename is not None:
        disposition += f'; filename="{filename}"'
    lines = [disposition, *headers]
    head = "".join(line + "\r\n" for line in lines).encode("latin-1")
    return b"--" + BOUNDARY.encode() + b"\r\n" + head + b"\r\n" + payload + b"\r\n"


def closing(boundary: str = BOUNDARY) -> bytes:
    return b"--" + boundary.encode() + b"--\r\n"


# ---------------------------------------------------------------- percent-decoding


def test_unquote_plus_matches_urllib_on_every_kind_of_escape() -> None:
    rnd = random.Random(20)
    alphabet = b"%%%%%4aAfFzZ09+\\x\x00\xff&="
    for _ in range(3000):
        data = bytes(rnd.choice(alphabet) for _ in range(rnd.randrange(0, 120)))
        assert unquote_plus(data) == unquote_to_bytes(data.replace(b"+", b" ")), data
    for data in (b"%41" * 50, b"%" * 100, b"%zz" * 40 + b"%4", b"\\x41%41" * 40, b"\0%00" * 40):
        assert unquote_plus(data) == unquote_to_bytes(data), data


def test_escaped_fields_of_every_shape_are_decoded_correctly(
    serve_root: Callable[..., str],
) -> None:
    base = serve_root(Root())
    fields = [
        (b"plain", b"a+b+c"),
        (b"esc", b"%41" * 100_000),
        (b"bad", b"%zz%4%" * 20_000 + b"%"),
        (b"mixed", b"caf%C3%A9+%E2%80%9C%zz\\x41%5c" * 5_000),
        (b"k%20ey", b"v"),
        (b"rep", b"1"),
        (b"rep", b"2"),
        (b"novalue", b""),
    ]
    body = b"&".join(k + b"=" + v for k, v in fields) + b";;&&"
    response = post(base, "/form", body)
    assert response.status_code == 200
    assert response.text == expected(fields)


# ---------------------------------------------------------------- urlencoded field counts


def test_millions_of_empty_fields_are_not_fields(serve_root: Callable[..., str]) -> None:
    base = serve_root(Root())
    body = b"&" * (4 * MIB) + b"a=1" + b";" * MIB + b"&b=2"
    response = post(base, "/form", body)
    assert response.status_code == 200
    assert response.text == expected([(b"a", b"1"), (b"b", b"2")])


def test_the_default_field_limit_is_10000(serve_root: Callable[..., str]) -> None:
    base = serve_root(Root())
    assert post(base, "/count", b"a=&" * 10_000).text == "10000"
    response = post(base, "/count", b"a=&" * 10_001)
    assert response.status_code == 413
    assert "at most 10000" in response.text


def test_maxfields_is_a_per_path_setting(serve_root: Callable[..., str]) -> None:
    base = serve_root(Root(), config(maxfields=3))
    assert post(base, "/count", b"a=1&b=2&&&c=3").text == "3"
    assert post(base, "/count", b"a=1;b=2;c=3;d").status_code == 413
    unlimited = serve_root(Root(), config(maxfields=0), "/free")
    assert post(unlimited, "/count", b"x&" * 20_000).text == "20000"


# ---------------------------------------------------------------- multipart preamble and delimiters


@pytest.mark.parametrize(
    "preamble",
    [
        b"\n" * (4 * MIB),
        b"\r\n" * (2 * MIB),
        b"x" * (4 * MIB) + b"\r\n",
        (b"--" + BOUNDARY[:-1].encode() + b"X\r\n") * 200_000,
        (b"--" + BOUNDARY.encode() + b"junk\r\n") * 200_000,
        (b"  --" + BOUNDARY.encode()) * 200_000 + b"\r\n",
        b" " * 5000 + b"--" + BOUNDARY.encode() + b"\r\nnot a delimiter: padded too much\r\n",
    ],
    ids=["newlines", "crlf", "long-line", "near-miss", "junk-after", "no-line-start", "padding"],
)
def test_a_huge_preamble_of_any_shape_is_skipped(
    serve_root: Callable[..., str], preamble: bytes
) -> None:
    base = serve_root(Root())
    body = preamble + part("a", b"1") + part("b", b"two") + closing()
    response = post(base, "/form", body, MULTIPART)
    assert response.status_code == 200
    assert response.text == expected([(b"a", b"1"), (b"b", b"two")])


def test_a_delimiter_line_may_be_padded_with_whitespace(serve_root: Callable[..., str]) -> None:
    base = serve_root(Root())
    dash = b"--" + BOUNDARY.encode()
    body = (
        b"preamble\r\n \t" + dash + b" \t\r\n"
        b'Content-Disposition: form-data; name="a"\r\n\r\n1\r\n'
        + dash + b"  \r\n"
        b'Content-Disposition: form-data; name="b"\r\n\r\n2\r\n'
        + dash + b"-- \t\r\nepilogue"
    )  # fmt: skip
    response = post(base, "/form", body, MULTIPART)
    assert response.text == expected([(b"a", b"1"), (b"b", b"2")])


def test_a_body_without_any_delimiter_has_no_fields(serve_root: Callable[..., str]) -> None:
    base = serve_root(Root())
    response = post(base, "/form", b"\n" * MIB + b"x" * MIB, MULTIPART)
    assert response.status_code == 200
    assert response.text == "[]"


@pytest.mark.parametrize(
    "payload",
    [
        (b"\r\n--" + BOUNDARY[:-1].encode() + b"X\r\n") * 100_000,
        (b"\r\n--" + BOUNDARY.encode() + b"X") * 100_000,
        (b"\r\n--" + BOUNDARY.encode() + b"--X\r\n") * 100_000,
        (b"x--" + BOUNDARY.encode() + b"\r\n") * 100_000,
        b"\r\n" * MIB,
        b"\r" * MIB + b"-",
        b"\n--" + BOUNDARY.encode() + b" " * 2000 + b"\n",
    ],
    ids=["near-miss", "suffix", "closing-suffix", "not-after-newline", "crlf", "cr", "padding"],
)
def test_near_miss_delimiters_in_a_payload_are_data(
    serve_root: Callable[..., str], payload: bytes
) -> None:
    base = serve_root(Root())
    for filename in (None, "f.bin"):
        body = part("f", payload, filename=filename) + part("g", b"after") + closing()
        response = post(base, "/form", body, MULTIPART)
        assert response.status_code == 200
        assert response.text == expected([(b"f", payload), (b"g", b"after")])


def test_a_one_character_boundary_with_dense_near_misses(serve_root: Callable[..., str]) -> None:
    base = serve_root(Root())
    payload = b"\n--ab\n-a\n--a-" * 200_000
    body = (
        b"--a\r\n"
        + b'Content-Disposition: form-data; name="f"\r\n\r\n'
        + payload
        + b"\r\n--a--\r\n"
    )
    response = post(base, "/form", body, "multipart/form-data; boundary=a")
    assert response.status_code == 200
    assert response.text == expected([(b"f", payload)])


# ---------------------------------------------------------------- part headers


def test_part_header_lines_are_bounded(serve_root: Callable[..., str]) -> None:
    base = serve_root(Root())
    ok = part("a", b"1", *(["X-Pad: y"] * 99)) + closing()
    assert post(base, "/form", ok, MULTIPART).text == expected([(b"a", b"1")])
    too_many = part("a", b"1", *(["X-Pad: y"] * 100)) + closing()
    response = post(base, "/form", too_many, MULTIPART)
    assert response.status_code == 400
    assert "too many lines" in response.text
    long_line = part("a", b"1", "X-Long: " + "y" * (4 * MIB)) + closing()
    response = post(base, "/form", long_line, MULTIPART)
    assert response.status_code == 400
    assert "too large" in response.text


def test_repeated_and_folded_part_headers_are_joined(serve_root: Callable[..., str]) -> None:
    class Headers:
        @cherrypy.expose
        def index(self, **params: Any) -> str:
            return repr(sorted(cherrypy.request.body.parts[0].headers.items()))

    base = serve_root(Headers())
    body = (
        b"--" + BOUNDARY.encode() + b"\r\n"
        b"Content-Type: text/plain\r\n"
        b"X-A: \r\nx-a: 1\r\nX-A: 2\r\n\t3\r\nX-B: \r\n\r\n"
        b"payload\r\n" + closing()
    )  # fmt: skip
    response = post(base, "/", body, "multipart/mixed; boundary=" + BOUNDARY)
    assert response.text == repr(
        sorted([("Content-Type", "text/plain"), ("X-A", "1, 2, 3"), ("X-B", "")])
    )


# ---------------------------------------------------------------- part counts


def test_more_parts_than_maxparts_is_413(serve_root: Callable[..., str]) -> None:
    base = serve_root(Root())
    assert post(base, "/count", part("f", b"x") * 1000 + closing(), MULTIPART).text == "1000"
    response = post(base, "/count", part("f", b"x") * 1001 + closing(), MULTIPART)
    assert response.status_code == 413
    assert "at most 1000" in response.text


def test_nested_parts_count_against_one_limit(serve_root: Callable[..., str]) -> None:
    base = serve_root(Root(), config(maxparts=50))
    inner = "inner-b"

    def nested(count: int) -> bytes:
        parts = b"".join(b"--" + inner.encode() + b"\r\n\r\nx\r\n" for _ in range(count)) + closing(
            inner
        )
        return part("n", parts, f"Content-Type: multipart/mixed; boundary={inner}")

    fits = nested(24) + nested(24) + closing()  # 2 outer + 48 inner parts
    response = post(base, "/parts", fits, "multipart/mixed; boundary=" + BOUNDARY)
    assert response.status_code == 200
    assert response.text == repr([("multipart/mixed", 24), ("multipart/mixed", 24)])
    over = nested(24) + nested(25) + closing()
    assert post(base, "/parts", over, "multipart/mixed; boundary=" + BOUNDARY).status_code == 413


# ---------------------------------------------------------------- uploads and descriptors


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts /proc/self/fd")
def test_a_thousand_small_uploads_hold_no_descriptors(serve_root: Callable[..., str]) -> None:
    base = serve_root(Root())
    one = part("f", b"0123456789", "Content-Type: text/plain", filename="a.txt") + closing()
    baseline = int(post(base, "/uploads", one, MULTIPART).text.split("|")[0])
    many = b"".join(
        part(f"f{i}", b"%d" % i * 50, "Content-Type: text/plain", filename=f"{i}.txt")
        for i in range(1000)
    )
    response = post(base, "/uploads", many + closing(), MULTIPART)
    assert response.status_code == 200
    descriptors, listing = response.text.split("|")
    assert int(descriptors) - baseline < 20
    entries = listing.split(";")
    assert len(entries) == 1000
    assert set(entries) == {f"{i}.txt:text/plain:{len(b'%d' % i * 50)}" for i in range(1000)}


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts /proc/self/fd")
def test_spooled_parts_are_bounded_and_closed_on_failure(serve_root: Callable[..., str]) -> None:
    base = serve_root(Root())
    big = b"x" * 2000  # over Part.maxrambytes: one temporary file each
    at_limit = b"".join(part(f"f{i}", big, filename=f"{i}.bin") for i in range(100))
    response = post(base, "/uploads", at_limit + closing(), MULTIPART)
    assert response.status_code == 200
    assert response.text.count(":2000") == 100
    before = int(post(base, "/fds", b"").text)
    over = b"".join(part(f"f{i}", big) for i in range(101))  # text fields spool too
    response = post(base, "/form", over + closing(), MULTIPART)
    assert response.status_code == 413
    assert "at most 100" in response.text
    assert int(post(base, "/fds", b"").text) - before < 5  # the 100 files were closed
    raised = serve_root(Root(), config(maxtempfiles=200), "/raised")
    assert post(raised, "/form", over + closing(), MULTIPART).status_code == 200


def test_uploads_in_memory_keep_the_file_api(serve_root: Callable[..., str]) -> None:
    class Upload:
        @cherrypy.expose
        def index(self, small: Any, big: Any) -> str:
            out = []
            for upload in (small, big):
                data = upload.file.read()
                upload.file.seek(1)
                out.append((upload.filename, upload.value, data, upload.file.read(2)))
                out.append(os.fstat(upload.file.fileno()).st_size)  # fileno() works in memory too
            return repr(out)

    base = serve_root(Upload())
    body = (
        part("small", b"tiny", filename="s.txt")
        + part("big", b"B" * 5000, filename="b.txt")
        + closing()
    )
    response = post(base, "/", body, MULTIPART)
    assert response.status_code == 200
    assert response.text == repr(
        [("s.txt", None, b"tiny", b"in"), 4, ("b.txt", None, b"B" * 5000, b"BB"), 5000]
    )


def test_a_part_class_with_its_own_make_file_gets_every_upload_in_a_file(
    serve_root: Callable[..., str], tmp_path: Any
) -> None:
    made: list[str] = []

    class DiskPart(Part):
        def make_file(self) -> Any:
            handle = open(tmp_path / f"upload{len(made)}", "w+b")  # noqa: SIM115
            made.append(handle.name)
            return handle

    class Upload:
        @cherrypy.expose
        def index(self, f: Any) -> str:
            return f"{type(f.file).__name__}:{f.file.read().decode()}"

    base = serve_root(Upload(), {"/": {"request.body.part_class": DiskPart}})
    response = post(base, "/", part("f", b"small", filename="s.txt") + closing(), MULTIPART)
    assert response.text == "BufferedRandom:small"
    assert len(made) == 1
