"""tools.encode answers an Accept-Charset with a malformed quality value with 400."""

from __future__ import annotations

import pytest

import cherrypy


class Chinese:
    @cherrypy.expose
    def index(self) -> str:
        return "\u6bdb\u6cfd\u4e1c"


@pytest.mark.parametrize(
    "accept",
    [
        "ISO-8859-1,utf-8;q=0.7,*;q=0.7)",  # the bad element comes after one that would fit
        "utf-8;q=high",
        "utf-8;q=",
    ],
)
def test_a_malformed_accept_charset_quality_is_a_400(wsgi, accept: str) -> None:
    cherrypy.tree.mount(Chinese())
    res = wsgi.get("/", headers={"Accept-Charset": accept})
    assert res.status == "400 Bad Request"


def test_well_formed_qualities_still_negotiate(wsgi) -> None:
    cherrypy.tree.mount(Chinese())
    res = wsgi.get("/", headers={"Accept-Charset": "ISO-8859-1,utf-8;q=0.7,*;q=0.7"})
    assert res.status == "200 OK"
    assert res.body == "\u6bdb\u6cfd\u4e1c".encode()
