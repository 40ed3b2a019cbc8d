"""Fixtures for cherrypy-json tests: a clean kernel and a live server per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cherrypy.kernel.pytest_fixtures import (  # noqa: F401
    clean_kernel,
    docs_example,
    error_log,
    serve_root,
    wsgi_call,
)


@pytest.fixture(params=["ujson", "stdlib"])
def codec(request: pytest.FixtureRequest) -> Iterator[str]:
    """Run the test once with each codec (ujson, the default, and the standard library)."""
    from cherrypy_json import codec as codec_module

    pair = codec_module.ujson_codec() if request.param == "ujson" else codec_module.stdlib_codec()
    assert pair is not None
    saved = codec_module._codec
    codec_module._codec = pair
    try:
        yield request.param
    finally:
        codec_module._codec = saved
