"""The example at the top of docs/caching.md, run as written (quickstart mounts only)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import requests

import cherrypy

DOC = Path(__file__).resolve().parents[3] / "docs" / "caching.md"


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
    first = requests.get(base + "/")
    assert "Age" not in first.headers
    second = requests.get(base + "/")
    assert second.headers["Age"] == "0" and second.text == first.text
    r = requests.get(base + "/", headers={"If-None-Match": first.headers["ETag"]})
    assert r.status_code == 304
    fr = requests.get(base + "/news", headers={"Accept-Language": "fr"})
    de = requests.get(base + "/news", headers={"Accept-Language": "de"})
    assert "Age" not in fr.headers and "Age" not in de.headers
    assert "Age" in requests.get(base + "/news", headers={"Accept-Language": "fr"}).headers
