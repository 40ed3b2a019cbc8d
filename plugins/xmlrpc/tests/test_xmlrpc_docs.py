"""The example of ``docs/xmlrpc.md`` runs as written."""

from __future__ import annotations

import re
import runpy
from pathlib import Path
from xmlrpc.client import Fault, ServerProxy

import pytest

import cherrypy
from cherrypy.testing import serve

DOCS_PAGE = Path(__file__).resolve().parents[3] / "docs" / "xmlrpc.md"


def test_the_endpoint_example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    [example] = re.findall(r"```python\n(.*?)```", DOCS_PAGE.read_text(), re.DOTALL)
    script = tmp_path / "example.py"
    script.write_text(example)
    monkeypatch.setattr(
        cherrypy,
        "quickstart",
        lambda root, script_name, config: cherrypy.tree.mount(root, script_name, config),
    )
    runpy.run_path(str(script), run_name="__main__")
    with serve() as base:
        api = ServerProxy(base + "/")
        assert api.maths.add(2, 3) == 5
        assert api.hello("you") == "Hello you!"
        with pytest.raises(Fault) as info:
            api.divide(1, 0)
        assert (info.value.faultCode, info.value.faultString) == (1, "division by zero")
        assert ServerProxy(base + "/RPC2/").maths.add(1, 2) == 3
