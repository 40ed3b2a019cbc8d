"""The kernel's listener hand-over: addresses, inherited descriptors, parking, engine keys."""

from __future__ import annotations

import os
import socket

import pytest

import cherrypy
from cherrypy.kernel import handover


@pytest.fixture(autouse=True)
def clean_handover(monkeypatch):
    monkeypatch.delenv(handover.LISTEN_FDS_ENV, raising=False)
    monkeypatch.delenv("LISTEN_FDS", raising=False)
    monkeypatch.delenv("LISTEN_PID", raising=False)
    handover.reset()
    yield
    handover.reset()


def _listening(host: str = "127.0.0.1") -> socket.socket:
    sock = socket.socket()
    sock.bind((host, 0))
    sock.listen(8)
    return sock


@pytest.mark.parametrize(
    ("address", "text"),
    [
        (("127.0.0.1", 8080), "127.0.0.1:8080"),
        (("::1", 443), "[::1]:443"),
        (("", 80), ":80"),
        ("/run/app.sock", "unix:/run/app.sock"),
    ],
)
def test_address_text(address, text):
    assert handover.address_text(address) == text


@pytest.mark.parametrize(
    ("wanted", "have", "match"),
    [
        ("127.0.0.1:8080", "127.0.0.1:8080", True),
        ("0.0.0.0:8080", "[::]:8080", True),  # a wildcard serves a wildcard
        ("127.0.0.1:8080", "127.0.0.1:8081", False),
        ("127.0.0.1:0", "127.0.0.1:40000", True),  # port 0: whatever was picked
        ("10.0.0.1:8080", "127.0.0.1:8080", False),
        ("localhost:8080", "127.0.0.1:8080", True),
        ("unix:/tmp/a.sock", "unix:/tmp/a.sock", True),
        ("unix:/tmp/a.sock", "127.0.0.1:80", False),
    ],
)
def test_address_matching(wanted, have, match):
    assert handover._matches(wanted, have) is match


def test_handed_descriptors_are_adopted_once_by_address(monkeypatch):
    first, second = _listening(), _listening()
    fd1, fd2 = os.dup(first.fileno()), os.dup(second.fileno())
    port1, port2 = first.getsockname()[1], second.getsockname()[1]
    monkeypatch.setenv(
        handover.LISTEN_FDS_ENV, f"{fd1}=127.0.0.1:{port1};{fd2}=127.0.0.1:{port2};999=x:1"
    )
    try:
        assert handover.has_inherited_listener(("127.0.0.1", port2))
        sock, origin = handover.inherited_listener(("127.0.0.1", port2))
        assert origin == "handed over" and sock.fileno() == fd2
        assert not sock.getblocking() and not sock.get_inheritable()
        assert handover.inherited_listener(("127.0.0.1", port2)) is None  # taken
        assert handover.LISTEN_FDS_ENV not in os.environ  # not for child processes
        assert handover.close_unclaimed() == [f"127.0.0.1:{port1}"]
        sock.close()
    finally:
        first.close()
        second.close()


def test_systemd_descriptors_need_our_pid(monkeypatch):
    monkeypatch.setenv("LISTEN_FDS", "1")
    monkeypatch.setenv("LISTEN_PID", str(os.getpid() + 1))  # meant for another process
    assert handover.inherited_listener(("127.0.0.1", 8080)) is None
    assert os.environ["LISTEN_PID"] == str(os.getpid() + 1)


def test_adopt_descriptor_refuses_what_is_not_a_listening_socket(tmp_path):
    with open(tmp_path / "f", "wb") as file, pytest.raises(ValueError, match="not a socket"):
        handover.adopt_descriptor(file.fileno())
    sock = socket.socket()
    try:
        with pytest.raises(ValueError, match="does not listen"):
            handover.adopt_descriptor(sock.fileno())
    finally:
        sock.close()


def test_parked_listeners_are_adopted_by_the_next_start_in_the_same_process():
    sock = _listening()
    port = sock.getsockname()[1]
    handover.register_listener(sock, ("127.0.0.1", port))
    assert handover.open_listeners() == [(sock, f"127.0.0.1:{port}")]
    handover.park_listener(sock, ("127.0.0.1", port))
    assert handover.open_listeners() == []
    assert handover.parked_descriptors() == [(sock.fileno(), f"127.0.0.1:{port}")]
    assert handover.inherited_listener(("127.0.0.1", port)) == (sock, "parked")
    sock.close()


def test_handover_environ():
    assert handover.handover_environ([(5, "127.0.0.1:80"), (6, "unix:/s")]) == {
        handover.LISTEN_FDS_ENV: "5=127.0.0.1:80;6=unix:/s"
    }


def test_sd_notify_without_a_socket_says_no(monkeypatch):
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    assert handover.sd_notify("READY=1") is False


def test_sd_notify_sends_a_datagram(monkeypatch, tmp_path):
    path = str(tmp_path / "notify")
    receiver = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    receiver.bind(path)
    monkeypatch.setenv("NOTIFY_SOCKET", path)
    try:
        assert handover.sd_notify("STOPPING=1")
        assert receiver.recv(100) == b"STOPPING=1"
    finally:
        receiver.close()


def test_engine_sighup_key_is_checked():
    engine = cherrypy.engine
    before = engine.sighup
    try:
        cherrypy.config.update({"engine.sighup": "reload"})
        assert engine.sighup == "reload"
        with pytest.raises(ValueError, match=r"engine\.sighup must be one of"):
            cherrypy.config.update({"engine.sighup": "reboot"})
    finally:
        engine.sighup = before


def test_reload_is_refused_unless_started(monkeypatch):
    logged = []
    engine = cherrypy.engine
    monkeypatch.setattr(engine, "log", lambda msg="", level=20, traceback=False: logged.append(msg))
    assert engine.state is not engine.states.STARTED
    engine.reload()
    assert any("Cannot reload while the engine is" in line for line in logged)
