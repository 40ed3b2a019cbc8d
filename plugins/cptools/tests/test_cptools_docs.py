"""The example at the top of docs/cptools.md, run as written (quickstart mounts only)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import requests

import cherrypy

DOC = Path(__file__).resolve().parents[3] / "docs" / "cptools.md"


def test_docs_example(monkeypatch: pytest.MonkeyPatch, serve_root) -> None:
    if not DOC.exists():
        pytest.fail(f"{DOC} is missing")
    code = re.search(r"```python\n(.*?)```", DOC.read_text(), re.S).group(1)  # type: ignore[union-attr]
    mounted: dict[str, Any] = {}
    monkeypatch.setattr(
        cherrypy, "quickstart", lambda root, script_name, conf: mounted.update(root=root, conf=conf)
    )
    exec(compile(code, str(DOC), "exec"), {"__name__": "docs_example"})
    base = serve_root(mounted["root"], mounted["conf"])
    assert requests.get(base + "/page?n=2&ratio=0.5").text == "page 3 at 1.0"
    assert requests.get(base + "/page?n=two").status_code == 400
    assert requests.post(base + "/form").status_code == 200
    r = requests.delete(base + "/form")
    assert r.status_code == 405 and r.headers["Allow"] == "GET, POST, HEAD"
    assert r.headers["X-Frame-Options"] == "DENY"
    r = requests.get(
        base + "/where", headers={"X-Forwarded-Host": "example.com", "X-Forwarded-Proto": "https"}
    )
    assert r.text == "https://example.com/form"
