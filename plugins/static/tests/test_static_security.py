"""No request ever reads outside the served directory: traversal, prefixes, links, odd bytes.

Every test runs under each available HTTP server (wsgiref decodes ``%2F`` into ``/``,
cherrypy-server keeps it encoded), and checks that the answer is a refusal (403) or a
plain 404: never a secret, a listing, a 500 or a traceback.
"""

from __future__ import annotations

import os
import re
from typing import Any

import pytest

SECRETS = (b"sibling secret", b"parent secret", b"root:")


_RAISED = re.compile(rb"^(\S+?)(?::|$)", re.MULTILINE)


def assert_refused(reply: Any, statuses: tuple[int, ...] = (403, 404)) -> None:
    """The request was refused cleanly: the status, no secret, no listing, no failure.

    The tests run with ``request.show_tracebacks`` on, as in development, where the error
    page of an HTTP error shows where it was raised; the only exception such a page may
    show is the HTTP error itself, and a refusal by this plugin shows none at all.
    """
    assert reply.status in statuses, (reply.status, reply.body[:300])
    for secret in SECRETS:
        assert secret not in reply.body
    assert b"deep.txt" not in reply.body  # no directory listing
    if reply.status == 403:
        assert b"Traceback" not in reply.body
    shown = reply.body.partition(b'<pre id="traceback">')[2].partition(b"</pre>")[0]
    if shown:
        last_line = shown.strip().splitlines()[-1]
        assert last_line.startswith(b"cherrypy.kernel.errors.NotFound"), last_line


# Every spelling of "go up one level" a client can put in a URL.
DOT_DOT_PATHS = [
    "/static/../static-private/secret.txt",
    "/static/../secret.txt",
    "/static/%2e%2e/secret.txt",
    "/static/%2E%2E/secret.txt",
    "/static/.%2e/secret.txt",
    "/static/%2e./secret.txt",
    "/static/..%2fsecret.txt",
    "/static/..%2Fsecret.txt",
    "/static/%2e%2e%2fsecret.txt",
    "/static/%2e%2e%2Fstatic-private%2Fsecret.txt",
    "/static/sub/../../secret.txt",
    "/static/sub/%2e%2e/%2e%2e/secret.txt",
    "/static/sub%2F..%2F..%2Fsecret.txt",
    "/static/./../secret.txt",
    "/static//../secret.txt",
    "/static/../../../../../../etc/passwd",
    "/static/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
]


@pytest.mark.parametrize("path", DOT_DOT_PATHS)
def test_dot_dot_in_every_encoding_is_forbidden(client: Any, mount_static: Any, path: str) -> None:
    mount_static()
    reply = client.get(path)
    assert_refused(reply, (403,))


# Encodings that decode to something other than "..": they name files that do not exist.
LOOKALIKE_PATHS = [
    "/static/%252e%252e/secret.txt",  # double encoding is decoded once only
    "/static/%252e%252e%252fsecret.txt",
    "/static/%c0%ae%c0%ae/secret.txt",  # overlong UTF-8
    "/static/%e0%80%ae%e0%80%ae/secret.txt",
    "/static/%ef%bc%8e%ef%bc%8e/secret.txt",  # fullwidth full stops
    "/static/%u002e%u002e/secret.txt",  # IIS-style %u escapes
    "/static/....//secret.txt",
    "/static/.../secret.txt",
]


@pytest.mark.parametrize("path", LOOKALIKE_PATHS)
def test_lookalikes_of_dot_dot_find_nothing(client: Any, mount_static: Any, path: str) -> None:
    mount_static()
    assert_refused(client.get(path), (404,))


def test_sibling_directory_sharing_the_prefix_is_not_reachable(
    client: Any, mount_static: Any, site: Any
) -> None:
    # CherryPy compares string prefixes: /srv/static-private starts with /srv/static.
    assert str(site.root / "static-private").startswith(str(site.static))
    mount_static()
    for path in (
        "/static/../static-private/secret.txt",
        "/static/%2e%2e/static-private/secret.txt",
        "/static/sub/../../static-private/secret.txt",
    ):
        assert_refused(client.get(path), (403,))


@pytest.mark.parametrize(
    "path",
    [
        "/static/..%5csecret.txt",
        "/static/..%5Cstatic-private%5Csecret.txt",
        "/static/sub%5c..%5c..%5csecret.txt",
        "/static/%5c..%5csecret.txt",
        "/static/css%5cstyle.css",
    ],
)
def test_backslashes_are_forbidden(client: Any, mount_static: Any, path: str) -> None:
    mount_static()
    assert_refused(client.get(path), (403,))


@pytest.mark.parametrize(
    "path",
    [
        "/static/alpha.txt%00",
        "/static/alpha.txt%00.css",
        "/static/%00/../secret.txt",
        "/static/%00",
    ],
)
def test_nul_bytes_find_nothing(client: Any, mount_static: Any, path: str) -> None:
    mount_static()
    assert_refused(client.get(path), (404,))


@pytest.mark.parametrize(
    "path", ["/static/\x00", "/static/alpha.txt\x00", "/static/\x00/../secret.txt"]
)
def test_raw_nul_bytes_in_the_request_line_find_nothing(
    client: Any, mount_static: Any, path: str
) -> None:
    # cherrypy-server's parser refuses a control character in the request target with 400
    # (CherryPy 18 behind cheroot answers 404); wsgiref passes it on and the tool gives 404.
    mount_static()
    reply = client.raw(f"GET {path} HTTP/1.1", "Connection: close")
    status_line = reply.partition(b"\r\n")[0]
    assert status_line.split()[1] in (b"400", b"404"), status_line
    for secret in (*SECRETS, b"abcdefghijklmnopqrstuvwxyz"):  # alpha.txt
        assert secret not in reply


@pytest.mark.parametrize(
    "path",
    [
        "/static//etc/passwd",
        "/static///etc/passwd",
        "/static/%2fetc%2fpasswd",
        "/static/%2Fetc/passwd",
    ],
)
def test_absolute_paths_stay_below_the_directory(client: Any, mount_static: Any, path: str) -> None:
    mount_static()
    assert_refused(client.get(path), (404,))


def test_absolute_path_inside_the_directory_serves_that_file(
    client: Any, mount_static: Any
) -> None:
    mount_static()
    reply = client.get("/static//css/style.css")
    assert reply.status == 200
    assert reply.body == b"body { color: red; }\n"


def test_dot_dot_that_stays_inside_is_resolved(client: Any, mount_static: Any) -> None:
    mount_static()
    reply = client.get("/static/sub/../alpha.txt")
    assert reply.status == 200
    assert reply.body == b"abcdefghijklmnopqrstuvwxyz"
    assert client.get("/static/./sub/./deep.txt").body == b"deep"


@pytest.mark.parametrize(
    "path", ["/static/link_out.txt", "/static/link_up.txt", "/static/linkdir_out/secret.txt"]
)
def test_symlinks_leaving_the_directory_are_forbidden(
    client: Any, mount_static: Any, path: str
) -> None:
    mount_static()
    assert_refused(client.get(path), (403,))
    assert_refused(client.head(path), (403,))


def test_symlinks_inside_the_directory_are_served(client: Any, mount_static: Any) -> None:
    mount_static()
    assert client.get("/static/link_in.txt").body == b"abcdefghijklmnopqrstuvwxyz"
    assert client.get("/static/linkdir_in/deep.txt").body == b"deep"


def test_follow_symlinks_option_allows_links_out(client: Any, mount_static: Any) -> None:
    mount_static(follow_symlinks=True)
    assert client.get("/static/link_out.txt").body == b"sibling secret"
    assert client.get("/static/linkdir_out/secret.txt").body == b"sibling secret"
    # Following links never allows "..": the request path itself must stay inside.
    assert_refused(client.get("/static/../static-private/secret.txt"), (403,))


def test_directory_reached_through_a_symlink_is_allowed(
    client: Any, site: Any, mount_static: Any, tmp_path: Any
) -> None:
    # Deployments often serve /srv/app/current/static, with "current" a link to a release.
    current = tmp_path / "current"
    os.symlink(site.root, current)
    mount_static(dir=str(current / "static"))
    assert client.get("/static/alpha.txt").status == 200
    assert client.get("/static/link_in.txt").status == 200
    assert_refused(client.get("/static/link_out.txt"), (403,))


def test_symlink_swapped_in_after_check_is_not_followed(
    client: Any, site: Any, mount_static: Any
) -> None:
    # A link to a file outside the directory, named like a file that was checked before.
    target = site.static / "swap.txt"
    target.write_bytes(b"ordinary")
    mount_static()
    assert client.get("/static/swap.txt").body == b"ordinary"
    target.unlink()
    os.symlink(site.root / "secret.txt", target)
    assert_refused(client.get("/static/swap.txt"), (403,))


@pytest.mark.parametrize("path", ["/static/sub", "/static/sub/", "/static/", "/static"])
def test_directories_without_index_are_not_listed(
    client: Any, mount_static: Any, path: str
) -> None:
    mount_static(index="")
    reply = client.get(path)
    assert_refused(reply, (404,))


def test_directories_with_an_index_option_but_no_index_file_are_not_listed(
    client: Any, mount_static: Any
) -> None:
    mount_static(index="index.html")
    assert_refused(client.get("/static/sub/"), (404,))


def test_special_files_are_never_opened(client: Any, site: Any, mount_static: Any) -> None:
    fifo = site.static / "pipe.txt"
    os.mkfifo(fifo)
    mount_static()
    # Opening a FIFO for reading would block the worker until a writer appears.
    assert_refused(client.get("/static/pipe.txt"), (404,))


def test_unreadable_file_is_forbidden_not_an_error(
    client: Any, site: Any, mount_static: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    locked = str(site.static / "alpha.txt")
    real_open = os.open

    def refusing_open(path: Any, *args: Any, **kwargs: Any) -> int:
        # chmod 0 is not enforced for root, so the refusal is simulated for this one file.
        if path == locked:
            raise PermissionError(13, "Permission denied", path)
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", refusing_open)
    mount_static()
    assert_refused(client.get("/static/alpha.txt"), (403,))
    assert client.get("/static/app.js").status == 200
