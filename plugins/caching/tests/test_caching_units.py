"""Pure-logic tests: entity-tag parsing, the anti-stampede store, the compat module."""

from __future__ import annotations

import threading
import time
from typing import cast

from cherrypy.plugin import PipelineBuilder
from cherrypy.testing import RecordingPipeline
from cherrypy_caching import plugin
from cherrypy_caching.conditional import entity_tags
from cherrypy_caching.memory import AntiStampedeCache


def test_entity_tags_parsing() -> None:
    assert entity_tags(None) is None
    assert entity_tags(" * ") == ["*"]
    assert entity_tags('"a", W/"b" ,"c,d"') == ['"a"', 'W/"b"', '"c,d"']
    assert entity_tags("legacy") == ['"legacy"']


def test_antistampede_waiter_gets_the_value() -> None:
    store = AntiStampedeCache()
    assert store.wait("k", timeout=1) is None  # the caller now computes "k"
    got: list[object] = []
    waiter = threading.Thread(target=lambda: got.append(store.wait("k", timeout=5)))
    waiter.start()
    time.sleep(0.05)
    store["k"] = "value"
    waiter.join()
    assert got == ["value"]


def test_antistampede_release_wakes_waiters() -> None:
    store = AntiStampedeCache()
    store.wait("k", timeout=1)
    began = time.time()
    got: list[object] = []
    waiter = threading.Thread(target=lambda: got.append(store.wait("k", timeout=5)))
    waiter.start()
    time.sleep(0.05)
    store.release("k")
    waiter.join()
    assert got == [None]
    assert time.time() - began < 2


def test_antistampede_no_timeout_does_not_wait() -> None:
    store = AntiStampedeCache()
    store.wait("k", timeout=1)
    began = time.time()
    assert store.wait("k", timeout=None) is None
    assert time.time() - began < 0.5


def test_lib_caching_alias() -> None:
    import cherrypy
    from cherrypy.lib import caching

    for name in ("Cache", "MemoryCache", "AntiStampedeCache", "get", "tee_output", "expires"):
        assert hasattr(caching, name), name
    assert cherrypy.tools.caching.__class__.__name__ == "CachingTool"
    assert cherrypy.tools.etags._point == "before_finalize"


def test_lib_locking_alias() -> None:
    import datetime

    import pytest

    from cherrypy.lib import locking

    assert locking.NeverExpires().expired() is False
    assert locking.Timer.after(datetime.timedelta(seconds=-1)).expired() is True
    assert locking.Timer.after(datetime.timedelta(hours=1)).expired() is False
    assert locking.LockChecker("abc", None).expired() is False
    checker = locking.LockChecker("abc", datetime.timedelta(seconds=-1))
    with pytest.raises(locking.LockTimeout, match="abc"):
        checker.expired()


def test_caching_tool_compiles_from_its_settings() -> None:
    tool = plugin.caching_tool
    assert "_setup" not in vars(plugin.CachingTool)
    pipeline = RecordingPipeline()
    tool.compile(cast(PipelineBuilder, pipeline), {"delay": 30})
    # No priority given: the hook takes the wrapper's own (90), as in CherryPy.
    assert pipeline.attached == [("before_handler", tool._wrapper, None, {"delay": 30})]
    pipeline = RecordingPipeline()
    tool.compile(cast(PipelineBuilder, pipeline), {"priority": 10})
    assert pipeline.attached == [("before_handler", tool._wrapper, 10, {})]
