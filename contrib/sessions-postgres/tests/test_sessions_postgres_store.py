"""The PostgreSQL backend over HTTP against a real server: schema, storage, expiry, errors."""

from __future__ import annotations

import datetime
import pickle
import socket
import time
from typing import Any

import pytest
import requests

from cherrypy_sessions import get_backend
from cherrypy_sessions_postgres import PostgresqlSession, PostgresUnavailable
from cherrypy_sessions_postgres.backend import lock_key


def _session(conf: dict[str, Any], sid: str | None = None) -> PostgresqlSession:
    """A backend object outside any request, built like the tool builds one."""
    settings = {k.split(".")[-1]: v for k, v in conf.items() if k.count(".") == 2}
    for name in ("on", "storage_type"):
        settings.pop(name)
    session = PostgresqlSession.__new__(PostgresqlSession)
    session.__dict__.update(settings)
    session._id = sid
    session.id_observers = []
    return session


def test_registered_as_storage_type_and_compat_name() -> None:
    assert get_backend("postgresql") is PostgresqlSession
    assert get_backend("postgres") is PostgresqlSession
    from cherrypy.lib.sessions import PostgresqlSession as compat

    assert compat is PostgresqlSession


def test_table_created_on_first_use_and_rows_stored(
    live: Any, session_conf: dict, counter, postgres
) -> None:
    table = session_conf["tools.sessions.table"]
    with postgres.connect() as db:
        assert db.execute("SELECT to_regclass(%s)", (table,)).fetchone()[0] is None
        with live(counter, {"/": session_conf}) as base, requests.Session() as http:
            assert [http.get(base + "/").text for _ in range(3)] == ["1", "2", "3"]
            sid = http.cookies["session_id"]
        data, expiration_time, key = db.execute(
            f"SELECT data, expiration_time, lock_key FROM {table} WHERE id = %s", (sid,)
        ).fetchone()
    assert pickle.loads(data) == {"count": 3}
    assert expiration_time > datetime.datetime.now()
    assert key == lock_key(table, sid)
    assert len(_session(session_conf)) == 1


def test_unknown_and_malformed_ids_get_a_new_id(live: Any, session_conf: dict, counter) -> None:
    with live(counter, {"/": session_conf}) as base:
        for bad in ["a" * 40, "x'; DROP TABLE t; --", "x y"]:
            response = requests.get(base + "/", cookies={"session_id": bad})
            assert response.text == "1"
            assert response.cookies["session_id"] != bad


def test_expired_session_is_not_revived_and_cleanup_deletes_it(
    live: Any, session_conf: dict, counter, postgres
) -> None:
    conf = dict(session_conf, **{"tools.sessions.timeout": 1 / 60, "tools.sessions.clean_freq": 0})
    with live(counter, {"/": conf}) as base, requests.Session() as http:
        assert http.get(base + "/").text == "1"
        sid = http.cookies["session_id"]
        time.sleep(1.2)
        response = http.get(base + "/")
        assert response.text == "1"
        assert response.cookies["session_id"] != sid
    cleaner = _session(conf)
    assert len(cleaner) == 2
    time.sleep(1.1)
    cleaner.clean_up()
    assert len(cleaner) == 0


def test_cleanup_skips_locked_sessions(live: Any, session_conf: dict, counter) -> None:
    with live(counter, {"/": session_conf}) as base:
        sid = requests.get(base + "/").cookies["session_id"]
    holder = _session(session_conf, sid)
    holder.acquire_lock()
    try:
        cleaner = _session(session_conf)
        cleaner.now = lambda: datetime.datetime.now() + datetime.timedelta(days=1)  # all expired
        cleaner.clean_up()
        assert len(cleaner) == 1
    finally:
        holder.release_lock()
    cleaner.clean_up()
    assert len(cleaner) == 0


def test_regenerate_and_expire_delete_the_row(live: Any, session_conf: dict, counter) -> None:
    with live(counter, {"/": session_conf}) as base, requests.Session() as http:
        http.get(base + "/")
        old = http.cookies["session_id"]
        new = http.get(base + "/regenerate").text
        assert new != old and http.cookies["session_id"] == new
        assert not _session(session_conf, old)._exists()
        assert http.get(base + "/peek").text == "1"
        http.get(base + "/logout")
        assert not _session(session_conf, new)._exists()


def test_no_server_gives_a_clear_error(live: Any, counter) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    conf = {
        "tools.sessions.on": True,
        "tools.sessions.storage_type": "postgresql",
        "tools.sessions.dsn": f"host=127.0.0.1 port={port} user=web password=hunter2",
        "tools.sessions.pool_timeout": 0.5,
        "tools.sessions.connect_timeout": 1,
    }
    with pytest.raises(PostgresUnavailable, match=f"port={port}.*tools.sessions.dsn") as info:
        _session(conf, "a" * 40)._exists()
    assert "hunter2" not in str(info.value)
    with live(counter, {"/": conf}) as base:
        assert requests.get(base + "/", timeout=10).status_code == 500


def test_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="table"):
        PostgresqlSession.setup(table="x; drop")
    with pytest.raises(ValueError, match="dsn"):
        PostgresqlSession.setup(dsn="not a conninfo")
    PostgresqlSession.setup(table="app.sessions", dsn="host=db dbname=app")
