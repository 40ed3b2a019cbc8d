"""The examples of ``docs/health.md`` behave as the page says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import requests

import cherrypy
from cherrypy_health import HealthConfigError, health

DOCS = Path(__file__).resolve().parents[3] / "docs"


def blocks(language: str) -> list[str]:
    text = (DOCS / "health.md").read_text(encoding="utf-8")
    return re.findall(rf"```{language}\n(.*?)```", text, re.DOTALL)


def test_the_quickstart_example_serves_both_probes(docs_example) -> None:
    shop = docs_example("health.md")  # the base URL with the mount point, /shop
    assert requests.get(shop + "/", timeout=10).text == "Welcome to the shop"
    base = shop.removesuffix("/shop")
    live = requests.get(base + "/healthz", timeout=10)
    assert live.status_code == 200 and live.json() == {"status": "alive"}
    # Served here without the engine: not ready, and the answer says why.
    ready = requests.get(base + "/readyz", timeout=10)
    assert ready.status_code == 503 and ready.json()["status"] in ("stopped", "exiting")


def test_the_config_file_example_is_checked_when_read(tmp_path: Path) -> None:
    [config] = [block for block in blocks("ini") if "health.checks" in block]
    path = tmp_path / "site.conf"
    path.write_text(config)
    # myapp is not installed here: the name is imported when the file is read.
    with pytest.raises(HealthConfigError, match=re.escape("cannot import 'myapp.health:database'")):
        cherrypy.config.update(str(path))
    assert not health.enabled

    path.write_text(config.replace("myapp.health:database", "os:getcwd"))
    cherrypy.config.update(str(path))
    assert health.enabled and [check.name for check in health.checks] == ["os:getcwd"]
