"""The example of docs/sessions-memcached.md works as written (pointed at the test server)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import requests

DOC = Path(__file__).resolve().parents[3] / "docs" / "sessions-memcached.md"


def test_documented_config_serves_sessions(live: Any, counter: Any, memcached: Any) -> None:
    block = re.search(r"```python\n(.*?)```", DOC.read_text(), re.S)
    assert block is not None
    namespace: dict[str, Any] = {}
    exec(block.group(1), namespace)
    conf = namespace["config"]
    assert conf["/"]["tools.sessions.storage_type"] == "memcached"
    conf["/"]["tools.sessions.servers"] = [memcached.address]
    with live(counter, conf) as base, requests.Session() as http:
        assert [http.get(base + "/").text for _ in range(2)] == ["1", "2"]
    key = conf["/"]["tools.sessions.key_prefix"] + http.cookies["session_id"]
    assert memcached.client().get(key) is not None
