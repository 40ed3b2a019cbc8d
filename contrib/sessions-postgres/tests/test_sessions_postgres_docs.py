"""The example of docs/sessions-postgres.md works as written (pointed at the test server)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
import requests

DOC = Path(__file__).resolve().parents[3] / "docs" / "sessions-postgres.md"


def test_documented_config_serves_sessions(
    live: Any, counter: Any, postgres: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    block = re.search(r"```python\n(.*?)```", DOC.read_text(), re.S)
    assert block is not None
    monkeypatch.setenv("DB_PASSWORD", "unused-with-trust-auth")
    namespace: dict[str, Any] = {"os": os}
    exec(block.group(1), namespace)
    conf = namespace["config"]
    assert conf["/"]["tools.sessions.storage_type"] == "postgresql"
    conf["/"]["tools.sessions.dsn"] = postgres.dsn
    with live(counter, conf) as base, requests.Session() as http:
        assert [http.get(base + "/").text for _ in range(2)] == ["1", "2"]
    with postgres.connect() as db:
        row = db.execute(
            "SELECT 1 FROM cherrypy_sessions WHERE id = %s", (http.cookies["session_id"],)
        ).fetchone()
    assert row is not None
