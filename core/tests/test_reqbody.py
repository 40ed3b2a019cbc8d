"""Tests for cherrypy.kernel.reqbody: reading, limiting and parsing request bodies."""

from __future__ import annotations

import io
import os

import pytest

from cherrypy.kernel import reqbody
from cherrypy.kernel.errors import HTTPError
from cherrypy.kernel.httputil import HeaderMap
from cherrypy.kernel.reqbody import Part, RequestBody, SizedReader, unquote_plus

BOUNDARY = "XyZ123"


def make_body(
    data: bytes,
    content_type: str | None = "application/x-www-form-urlencoded",
    length: int | str | None = "auto",
    extra_headers: dict[str, str] | None = None,
    request_params: dict | None = None,
) -> RequestBody:
    """Build a RequestBody over ``data`` with the given Content-Type and Content-Length."""
    headers = HeaderMap()
    if content_type is not None:
        headers["Content-Type"] = content_type
    if length == "auto":
        headers["Content-Length"] = str(len(data))
    elif length is not None:
        headers["Content-Length"] = str(length)
    headers.update(extra_headers or {})
    return RequestBody(io.BytesIO(data), headers, request_params=request_params)


def multipart(
    *parts: tuple[list[str], bytes], boundary: str = BOUNDARY, nl: bytes = b"\r\n"
) -> bytes:
    """Assemble a multipart payload from (header lines, payload) pairs."""
    out = b""
    for header_lines, payload in parts:
        out += b"--" + boundary.encode() + nl
        for line in header_lines:
            out += line.encode("latin-1") + nl
        out += nl + payload + nl
    return out + b"--" + boundary.encode() + b"--" + nl


def field(name: str, value: bytes, *extra: str) -> tuple[list[str], bytes]:
    """A form-data text field."""
    return ([f'Content-Disposition: form-data; name="{name}"', *extra], value)


def upload(name: str, filename: str, data: bytes, ctype: str = "application/octet-stream"):
    """A form-data file field."""
    disposition = f'Content-Disposition: form-data; name="{name}"; filename="{filename}"'
    return ([disposition, f"Content-Type: {ctype}"], data)


def form_body(data: bytes, boundary: str = BOUNDARY, **kwargs) -> RequestBody:
    """A RequestBody for a multipart/form-data payload."""
    return make_body(data, f"multipart/form-data; boundary={boundary}", **kwargs)


def http_error(excinfo: pytest.ExceptionInfo) -> tuple[int, str]:
    """Return (code, message) of a raised HTTPError."""
    err = excinfo.value
    return err.code, err._message


# ----------------------------------------------------------------- unquote_plus


def test_unquote_plus_decodes_escapes_and_plus():
    assert unquote_plus(b"a+b%20c%2Bd") == b"a b c+d"
    assert unquote_plus(b"%E2%80%9C") == "\u201c".encode()


def test_unquote_plus_keeps_malformed_escapes():
    assert unquote_plus(b"%zz%") == b"%zz%"
    assert unquote_plus(b"100%") == b"100%"
    assert unquote_plus(b"%4") == b"%4"
    assert unquote_plus(b"%g1%41") == b"%g1A"


# ----------------------------------------------------------------- urlencoded


def test_urlencoded_fields_repeated_names_and_blanks():
    params: dict = {}
    body = make_body(b"a=1&b=two+words&a=2&&c&d=&a=3;e=5", request_params=params)
    body.process()
    expected = {"a": ["1", "2", "3"], "b": "two words", "c": "", "d": "", "e": "5"}
    assert body.params == expected
    assert params == expected
    assert body.charset == "utf-8"


def test_urlencoded_bad_escapes_do_not_crash():
    body = make_body(b"x=%zz&y=%&z=%e2%82%ac&w=%41%4")
    body.process()
    assert body.params == {"x": "%zz", "y": "%", "z": "\u20ac", "w": "A%4"}


def test_urlencoded_merges_with_query_string_params_flat():
    params = {"a": "query", "q": "1"}
    body = make_body(b"a=b1&a=b2&z=9", request_params=params)
    body.process()
    assert params == {"a": ["query", "b1", "b2"], "q": "1", "z": "9"}
    assert body.params == {"a": ["b1", "b2"], "z": "9"}


def test_urlencoded_undecodable_raises_400_naming_charsets():
    body = make_body(b"name=%FF%FE")
    with pytest.raises(HTTPError) as excinfo:
        body.process()
    assert http_error(excinfo) == (
        400,
        "The request entity could not be decoded. The following charsets were attempted: ['utf-8']",
    )


def test_urlencoded_falls_back_to_next_charset_and_skips_unknown_ones():
    body = make_body(b"name=caf%E9")
    body.attempt_charsets = ["no-such-codec", "utf-8", "iso-8859-1"]
    body.process()
    assert body.params == {"name": "caf\xe9"}
    assert body.charset == "iso-8859-1"


def test_content_type_charset_is_tried_first():
    body = make_body(b"name=caf%E9", "application/x-www-form-urlencoded; charset=latin-1")
    assert body.attempt_charsets == ["latin-1", "utf-8"]
    body.process()
    assert body.params == {"name": "caf\xe9"}
    assert body.charset == "latin-1"


def test_text_bodies_also_attempt_iso_8859_1():
    assert make_body(b"", "text/plain").attempt_charsets == ["utf-8", "ISO-8859-1"]
    assert make_body(b"", "text/plain; charset=latin-1").attempt_charsets == ["latin-1", "utf-8"]
    assert make_body(b"", "application/json").attempt_charsets == ["utf-8"]
    # The class default is never mutated by an instance.
    assert RequestBody.attempt_charsets == ["utf-8"]


def test_urlencoded_reads_only_content_length_bytes():
    fp = io.BytesIO(b"a=1&b=2NEXT REQUEST")
    headers = HeaderMap(
        {"Content-Type": "application/x-www-form-urlencoded", "Content-Length": "7"}
    )
    body = RequestBody(fp, headers)
    body.process()
    assert body.params == {"a": "1", "b": "2"}
    assert fp.read() == b"NEXT REQUEST"


def test_processor_lookup_falls_back_to_major_type_and_ignores_case():
    seen = []
    body = make_body(b"{}", "Application/JSON")
    body.processors["application"] = lambda entity: seen.append(entity.read())
    body.process()
    assert seen == [b"{}"]


# ----------------------------------------------------------------- unprocessed bodies


def test_unknown_media_type_is_left_readable():
    body = make_body(b'{"a": 1}', "application/json")
    body.process()
    assert body.params == {}
    assert body.read() == b'{"a": 1}'
    assert body.read() == b""


def test_missing_content_type_is_not_parsed():
    body = make_body(b"a=1", content_type=None)
    assert body.content_type.value == ""
    body.process()
    assert body.params == {}
    assert body.fullvalue() == "a=1"


def test_process_without_length_or_transfer_encoding_raises_411():
    body = make_body(b"a=1", length=None)
    with pytest.raises(HTTPError) as excinfo:
        body.process()
    assert excinfo.value.code == 411


def test_default_proc_may_be_an_http_error_instance():
    body = make_body(b"<x/>", "application/xml")
    body.processors.clear()
    body.default_proc = HTTPError(415, "Expected JSON")
    with pytest.raises(HTTPError) as excinfo:
        body.process()
    assert http_error(excinfo) == (415, "Expected JSON")


def test_body_is_readable_without_processing():
    # process_request_body = False: the handler reads the raw body, still bounded.
    fp = io.BytesIO(b"line one\nline two\nline three\nEXTRA")
    headers = HeaderMap({"Content-Type": "text/plain", "Content-Length": "29"})
    body = RequestBody(fp, headers)
    assert body.readline() == b"line one\n"
    assert list(body) == [b"line two\n", b"line three\n"]
    assert body.read() == b""
    assert fp.read() == b"EXTRA"


def test_read_sizes_readlines_and_read_into_file():
    body = make_body(b"abc\ndef\nghi", "text/plain")
    assert body.read(2) == b"ab"
    assert body.read(0) == b""
    assert body.readline(1) == b"c"
    assert body.readlines() == [b"\n", b"def\n", b"ghi"]

    body = make_body(b"0123456789" * 2000, "application/octet-stream")
    assert body.read(5) == b"01234"
    out = body.read_into_file()
    out.seek(0)
    assert out.read() == (b"0123456789" * 2000)[5:]


def test_fullvalue_of_request_body_decodes_text():
    body = make_body("na\xefve".encode("latin-1"), "text/plain")
    assert body.fullvalue() == "na\xefve"
    assert body.charset == "ISO-8859-1"


def test_content_length_parsing():
    assert make_body(b"", length="12").length == 12
    assert make_body(b"", length="-1").length is None
    assert make_body(b"", length="1_0").length is None
    chunked = make_body(b"", length="5", extra_headers={"Transfer-Encoding": "chunked"})
    assert chunked.length is None


# ----------------------------------------------------------------- maxbytes


def test_declared_length_over_maxbytes_raises_413_before_reading():
    fp = io.BytesIO(b"a=" + b"x" * 100)
    headers = HeaderMap(
        {"Content-Type": "application/x-www-form-urlencoded", "Content-Length": "102"}
    )
    body = RequestBody(fp, headers)
    body.maxbytes = 50
    with pytest.raises(HTTPError) as excinfo:
        body.process()
    assert excinfo.value.code == 413
    assert fp.tell() == 0


def test_actual_bytes_over_maxbytes_raise_413_for_chunked_bodies():
    body = make_body(
        b"a=" + b"x" * 100, length=None, extra_headers={"Transfer-Encoding": "chunked"}
    )
    body.maxbytes = 50
    with pytest.raises(HTTPError) as excinfo:
        body.process()
    assert excinfo.value.code == 413


def test_body_exactly_maxbytes_is_accepted():
    body = make_body(b"a=" + b"x" * 48, length=None, extra_headers={"Transfer-Encoding": "chunked"})
    body.maxbytes = 50
    body.process()
    assert body.params == {"a": "x" * 48}


def test_maxbytes_applies_to_unprocessed_reads():
    body = make_body(b"x" * 100, "application/octet-stream", length=None)
    body.maxbytes = 10
    with pytest.raises(HTTPError) as excinfo:
        body.read()
    assert excinfo.value.code == 413


def test_multipart_over_maxbytes_raises_413():
    data = multipart(upload("f", "a.bin", b"z" * 5000))
    body = form_body(data, length=None, extra_headers={"Transfer-Encoding": "chunked"})
    body.maxbytes = 1000
    with pytest.raises(HTTPError) as excinfo:
        body.process()
    assert excinfo.value.code == 413


# ----------------------------------------------------------------- SizedReader


def test_sized_reader_unread_readline_and_done():
    reader = SizedReader(io.BytesIO(b"one\ntwo\nthree"), 13, None, bufsize=4)
    assert reader.readline() == b"one\n"
    assert reader.bytes_read == 4
    reader.unread(b"XY")
    assert reader.bytes_read == 2
    assert reader.readline() == b"XYtwo\n"
    assert reader.readline(3) == b"thr"
    assert not reader.done
    assert reader.read() == b"ee"
    assert reader.read() == b""
    assert reader.done


def test_sized_reader_read_to_file_and_unknown_length():
    out = io.BytesIO()
    reader = SizedReader(io.BytesIO(b"a" * 10000), None, None, bufsize=1000)
    assert reader.read(fp_out=out) is None
    assert out.getvalue() == b"a" * 10000
    assert reader.done


def test_sized_reader_translates_server_size_errors_to_413():
    class MaxSizeExceeded(Exception):
        pass

    class Limited(io.BytesIO):
        def read(self, size=-1):
            raise MaxSizeExceeded("too big", 1024)

    reader = SizedReader(Limited(b"x"), None, None)
    with pytest.raises(HTTPError) as excinfo:
        reader.read()
    assert http_error(excinfo) == (413, "Maximum request length: 1024")


def test_sized_reader_collects_trailers_from_the_stream():
    class Chunked(io.BytesIO):
        def read_trailer_lines(self):
            yield b"X-Checksum: abc"
            yield b"X-Multi: 1"
            yield b"X-Multi: 2"

    reader = SizedReader(Chunked(b"data"), None, None, has_trailers=True)
    assert reader.read() == b"data"
    assert reader.trailers == {b"X-Checksum": b"abc", b"X-Multi": b"1, 2"}


# ----------------------------------------------------------------- multipart/form-data


def test_multipart_text_fields_and_repeated_names():
    data = multipart(
        field("foo", b"bar"),
        field("baz", b"111"),
        field("baz", b"333"),
        field("empty", b""),
        field("quote", "\u201cq\u201d".encode()),
    )
    params: dict = {"foo": "from-query"}
    body = form_body(data, request_params=params)
    body.process()
    assert body.params == {
        "foo": "bar",
        "baz": ["111", "333"],
        "empty": "",
        "quote": "\u201cq\u201d",
    }
    assert params["foo"] == ["from-query", "bar"]
    assert body.parts == []


def test_multipart_field_with_part_charset():
    data = multipart(
        field("text", "ab\u201cc".encode("utf-16"), "Content-Type: text/plain;charset=utf-16")
    )
    body = form_body(data)
    body.process()
    assert body.params == {"text": "ab\u201cc"}


def test_multipart_undecodable_field_raises_400():
    data = multipart(field("text", "ab".encode("utf-16")))
    body = form_body(data)
    with pytest.raises(HTTPError) as excinfo:
        body.process()
    assert http_error(excinfo) == (
        400,
        "The request entity could not be decoded. The following charsets were attempted: "
        "['us-ascii', 'utf-8']",
    )


def test_small_file_upload():
    payload = b"<?xml?>\r\n<a>\r\n</a>\r\n"
    data = multipart(upload("doc", "a.xml", payload, "text/xml"), field("x", b"1"))
    body = form_body(data)
    body.process()
    part = body.params["doc"]
    assert isinstance(part, Part)
    assert part.name == "doc"
    assert part.filename == "a.xml"
    assert part.content_type.value == "text/xml"
    assert part.headers["content-type"] == "text/xml"
    assert part.file is not None
    assert part.file.read() == payload
    assert part.fullvalue() == payload.decode()
    assert body.params["x"] == "1"


def test_large_upload_is_spooled_to_a_temporary_file():
    payload = os.urandom(300_000) + b"\r\n--XyZ12" + os.urandom(70_000)
    data = multipart(upload("blob", "b.bin", payload), field("after", b"ok"))
    body = form_body(data)
    body.process()
    part = body.params["blob"]
    assert part.value is None
    assert part.file.fileno() >= 0
    assert part.file.read() == payload
    assert body.params["after"] == "ok"


def test_part_payload_in_memory_below_maxrambytes_and_in_a_file_above():
    small, large = b"s" * Part.maxrambytes, b"L" * (Part.maxrambytes + 1)
    data = multipart(([], small), ([], large), boundary="b")
    body = make_body(data, "multipart/mixed; boundary=b")
    body.process()
    first, second = body.parts
    assert (first.value, first.file) == (small, None)
    assert second.value is None
    assert second.file.read() == large
    assert body.params == {"parts": [small.decode(), large.decode()]}


@pytest.mark.parametrize("size", [0, 1, 2, 63, 64 * 1024 - 20, 64 * 1024 - 9, 64 * 1024, 130_000])
def test_payload_sizes_around_read_chunks_survive_intact(size):
    payload = (b"a\r\n-" * (size // 4 + 1))[:size]
    data = multipart(upload("f", "f.txt", payload), field("tail", b"t"))
    body = form_body(data)
    body.bufsize = 1000
    body.process()
    assert body.params["f"].file.read() == payload
    assert body.params["tail"] == "t"


def test_lookalike_delimiters_inside_payload_are_data():
    payload = b"x\r\n--XyZ123abc\r\n--XyZ123 -- \r\n--XyZ1\r\n--XyZ123---\ny"
    data = multipart(field("f", payload))
    body = form_body(data)
    body.process()
    assert body.params["f"] == payload.decode()


def test_lf_only_delimiters_and_unterminated_final_boundary():
    data = multipart(field("a", b"1\n2"), field("b", b"3"), nl=b"\n").rstrip(b"\n")
    body = form_body(data)
    body.process()
    assert body.params == {"a": "1\n2", "b": "3"}


def test_preamble_epilogue_padding_and_quoted_boundary():
    data = (
        b"preamble line\r\n--in--XyZ123\r\n"
        b"--XyZ123  \r\n"
        b'Content-Disposition: form-data; name="a"\r\n\r\n'
        b"val\r\n"
        b"--XyZ123-- \t\r\n"
        b"epilogue"
    )
    body = form_body(data, boundary='"XyZ123"')
    body.process()
    assert body.params == {"a": "val"}


def test_body_without_any_delimiter_has_no_parts():
    body = form_body(b"no delimiter here")
    body.process()
    assert body.params == {}
    assert body.parts == []


def test_filename_star_and_unnamed_parts():
    data = multipart(
        (
            [
                'Content-Disposition: form-data; name="f"; filename="fallback.txt"; '
                "filename*=UTF-8''%E2%82%AC%20rates.txt"
            ],
            b"1",
        ),
        (["Content-Type: text/plain"], b"anonymous"),
    )
    body = form_body(data)
    body.process()
    assert body.params["f"].filename == "\u20ac rates.txt"
    (unnamed,) = body.parts
    assert unnamed.name is None
    assert unnamed.fullvalue() == "anonymous"


def test_malformed_filename_star_keeps_plain_filename():
    disposition = 'Content-Disposition: form-data; name="f"; filename="a.txt"; filename*=bogus'
    data = multipart(([disposition], b"1"))
    body = form_body(data)
    body.process()
    assert body.params["f"].filename == "a.txt"


def test_folded_and_repeated_part_headers():
    data = multipart(
        (
            ["Content-Disposition: form-data;", ' name="folded"', "X-Tag: a", "X-Tag: b"],
            b"v",
        )
    )
    body = form_body(data)
    body.process()
    # The folded line continues the previous header; the part has no usable name.
    (part,) = body.parts
    assert part.headers["X-Tag"] == "a, b"
    assert part.headers["Content-Disposition"] == 'form-data;, name="folded"'


# ----------------------------------------------------------------- nested and processed parts


def test_nested_multipart_mixed_inside_form_data():
    inner = multipart(upload("", "one.txt", b"first", "text/plain"), ([], b"second"), boundary="in")
    data = multipart(
        field("title", b"T"),
        (
            [
                'Content-Disposition: form-data; name="files"',
                "Content-Type: multipart/mixed; boundary=in",
            ],
            inner,
        ),
        field("after", b"A"),
    )
    body = form_body(data)
    body.process()
    assert body.params["title"] == "T"
    assert body.params["after"] == "A"
    files = body.params["files"]
    first, second = files.parts
    assert first.filename == "one.txt"
    assert first.file.read() == b"first"
    assert second.value == b"second"


def test_urlencoded_part_is_parsed_within_its_own_bytes():
    data = multipart(
        (
            [
                'Content-Disposition: form-data; name="q"',
                "Content-Type: application/x-www-form-urlencoded",
            ],
            b"x=1&y=2",
        ),
        field("z", b"3"),
    )
    body = form_body(data)
    body.process()
    assert body.params == {"q": "x=1&y=2", "z": "3"}


def test_custom_part_processor_sees_only_its_part():
    seen = []

    class JSONPart(Part):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.processors["application/json"] = lambda entity: seen.append(entity.fp.read())

    data = multipart(
        (
            ['Content-Disposition: form-data; name="j"', "Content-Type: application/json"],
            b'{"k": 1}',
        ),
        field("z", b"3"),
    )
    body = form_body(data)
    body.part_class = JSONPart
    body.process()
    assert seen == [b'{"k": 1}']
    assert body.params["z"] == "3"


def test_top_level_multipart_mixed_uses_parts_param():
    data = multipart(
        (["Content-Type: text/plain; charset='ISO-8859-1'"], b"caf\xe9"), ([], b"two"), boundary="m"
    )
    body = make_body(data, "multipart/mixed; boundary=m")
    body.process()
    assert body.params == {"parts": ["caf\xe9", "two"]}
    assert len(body.parts) == 2


def test_new_style_multipart_processor_keeps_parts_only():
    data = multipart(field("a", b"1"), boundary="m")
    body = make_body(data, "multipart/related; boundary=m")
    body.processors["multipart"] = reqbody.process_multipart
    body.process()
    assert body.params == {}
    assert body.parts[0].value == b"1"


# ----------------------------------------------------------------- malformed multipart


@pytest.mark.parametrize(
    ("content_type", "shown"),
    [
        ("multipart/form-data", "''"),
        ("multipart/form-data; boundary=", "''"),
        ('multipart/form-data; boundary="bad\u00e9"', "'bad\u00e9'"),
        ("multipart/form-data; boundary=a\x01b", "'a\\x01b'"),
        ("multipart/form-data; boundary=" + "b" * 202, repr("b" * 202)),
    ],
)
def test_missing_or_invalid_boundary_raises_400(content_type, shown):
    body = make_body(b"--x\r\n\r\n--x--", content_type)
    with pytest.raises(HTTPError) as excinfo:
        body.process()
    code, message = http_error(excinfo)
    assert code == 400
    assert message == f"Invalid boundary in multipart form: {shown}"


def test_truncated_part_payload_raises_400():
    data = multipart(upload("f", "f.bin", b"x" * 5000))[:3000]
    body = form_body(data)
    with pytest.raises(HTTPError) as excinfo:
        body.process()
    assert http_error(excinfo) == (400, "Illegal end of multipart body.")


def test_connection_closed_before_content_length_raises_400():
    data = multipart(field("a", b"1"), field("b", b"2"))
    fp = io.BytesIO(data[:-20])
    headers = HeaderMap(
        {
            "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
            "Content-Length": str(len(data)),
        }
    )
    with pytest.raises(HTTPError) as excinfo:
        RequestBody(fp, headers).process()
    assert excinfo.value.code == 400


def test_truncated_part_headers_raise_400():
    body = form_body(b"--XyZ123\r\nContent-Disposition: form-data; name=a\r\n")
    with pytest.raises(HTTPError) as excinfo:
        body.process()
    assert http_error(excinfo) == (400, "Illegal end of headers.")


def test_body_ending_after_a_non_final_delimiter_raises_400():
    body = form_body(multipart(field("a", b"1")).replace(b"--XyZ123--\r\n", b"--XyZ123\r\n"))
    with pytest.raises(HTTPError) as excinfo:
        body.process()
    assert excinfo.value.code == 400


@pytest.mark.parametrize(
    "header_block",
    [b"no colon here\r\n\r\n", b" leading continuation\r\n\r\n", b": empty name\r\n\r\n"],
)
def test_malformed_part_header_lines_raise_400(header_block):
    body = form_body(b"--XyZ123\r\n" + header_block + b"v\r\n--XyZ123--\r\n")
    with pytest.raises(HTTPError) as excinfo:
        body.process()
    assert excinfo.value.code == 400


def test_oversized_part_header_block_raises_400():
    lines = [f"X-Filler-{i}: {'v' * 100}" for i in range(100)]
    body = form_body(multipart((lines, b"v")))
    with pytest.raises(HTTPError) as excinfo:
        body.process()
    assert http_error(excinfo) == (400, "Multipart part headers are too large.")


def test_header_line_without_end_raises_400():
    body = form_body(b"--XyZ123\r\n" + b"X" * 20000)
    with pytest.raises(HTTPError) as excinfo:
        body.process()
    assert excinfo.value.code == 400


def test_too_many_parts_raises_413():
    data = multipart(*[field(f"f{i}", b"v") for i in range(11)])
    body = form_body(data)
    body.maxparts = 10
    with pytest.raises(HTTPError) as excinfo:
        body.process()
    assert excinfo.value.code == 413

    body = form_body(multipart(*[field(f"f{i}", b"v") for i in range(10)]))
    body.maxparts = 10
    body.process()
    assert len(body.params) == 10


def test_default_part_limit_is_1000():
    data = multipart(*[field("f", b"") for _ in range(1001)])
    with pytest.raises(HTTPError) as excinfo:
        form_body(data).process()
    assert excinfo.value.code == 413


def test_deeply_nested_multipart_raises_400():
    data = b"payload"
    for level in range(12):
        data = multipart(
            ([f"Content-Type: multipart/mixed; boundary=b{level - 1}"], data),
            boundary=f"b{level}",
        )
    body = make_body(data, "multipart/mixed; boundary=b11")
    with pytest.raises(HTTPError) as excinfo:
        body.process()
    assert http_error(excinfo) == (400, "Multipart entities are nested too deeply.")


def test_processed_upload_keeps_a_file_and_parses_params():
    data = multipart(upload("f", "form.txt", b"a=1&b=2", "application/x-www-form-urlencoded"))
    body = form_body(data)
    body.process()
    part = body.params["f"]
    assert part.params == {"a": "1", "b": "2"}
    assert part.value is None
    assert part.file.read() == b"a=1&b=2"


def test_part_can_be_read_from_a_raw_stream():
    raw = io.BytesIO(b'Content-Disposition: form-data; name="n"\r\n\r\nhello\r\n--b--\r\nrest')
    part = Part.from_fp(raw, b"--b")
    part.process()
    assert (part.name, part.value) == ("n", b"hello")
    assert part.fp.done


class Trickle(io.BytesIO):
    """A stream that hands out at most a few bytes per read, like a slow socket."""

    def read(self, size=-1):
        return super().read(min(size, 3) if size and size > 0 else 3)


def test_multipart_from_a_stream_with_short_reads():
    payload = b"\r\n--XyZ12\r\n-\r" * 50
    data = multipart(field("a", b"1"), upload("f", "f.bin", payload), field("b", b""))
    headers = HeaderMap(
        {
            "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
            "Content-Length": str(len(data)),
        }
    )
    body = RequestBody(Trickle(data), headers)
    body.process()
    assert body.params["a"] == "1"
    assert body.params["b"] == ""
    assert body.params["f"].file.read() == payload
