"""Fixtures for the cross-distribution tests: the seed's programs run as real processes."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

SEED_EXAMPLES = Path(__file__).parent / "seed_examples"


def need(condition: bool, reason: str) -> None:
    """Skip with ``reason`` unless ``condition``; under CI=true a missing need is a failure."""
    if condition:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set: this test must run)")
    pytest.skip(reason)


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"

CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",  # the tests run as root
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def need_chromium() -> None:
    """Skip (fail under CI=true) unless Debian's chromium, chromedriver and selenium are here."""
    need(Path(CHROMIUM).is_file(), "Debian's chromium is not installed (apt-get install chromium)")
    need(
        Path(CHROMEDRIVER).is_file(),
        "Debian's chromedriver is not installed (apt-get install chromium-driver)",
    )
    try:
        import selenium  # noqa: F401
    except ImportError:  # pragma: no cover - selenium is in the dev dependency group
        need(False, "selenium is not installed")


def headless_chromium(profile: Path, extra_flags: Sequence[str] = ()) -> Any:
    """Start headless Debian Chromium under chromedriver (Selenium's WebDriver); the caller
    quits it.  Call :func:`need_chromium` first."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}", *extra_flags):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(10)
    return driver


@pytest.fixture
def chromium_available() -> None:
    """Skip (fail under CI=true) unless chromium, chromedriver and selenium are installed."""
    need_chromium()


@pytest.fixture(name="headless_chromium")
def headless_chromium_fixture() -> Iterator[Callable[..., Any]]:
    """``headless_chromium(profile, extra_flags=())`` -> a WebDriver, quit at teardown."""
    drivers: list[Any] = []

    def start(profile: Path, extra_flags: Sequence[str] = ()) -> Any:
        need_chromium()
        driver = headless_chromium(profile, extra_flags)
        drivers.append(driver)
        return driver

    try:
        yield start
    finally:
        for driver in drivers:
            driver.quit()


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    """Whether something accepts connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


class SeedProcess:
    """A program started the way its reader starts it, and stopped with SIGTERM."""

    def __init__(self, argv: Sequence[str], cwd: Path, port: int, log: Path) -> None:
        self.argv = list(argv)
        self.cwd = cwd
        self.port = port
        self.log = log
        self.base = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.returncode: int | None = None

    @property
    def output(self) -> str:
        """Everything the program printed so far (stdout and stderr)."""
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def start(self, timeout: float = 60.0, expect_listening: bool = True) -> SeedProcess:
        """Start the program; wait until it accepts connections on its port."""
        need(not port_in_use(self.port), f"port {self.port} is already in use on this machine")
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                self.argv, cwd=self.cwd, stdout=out, stderr=subprocess.STDOUT, env=env
            )
        if not expect_listening:
            return self
        deadline = time.monotonic() + timeout
        while not port_in_use(self.port):
            if self.proc.poll() is not None:
                pytest.fail(f"{self.argv} exited with {self.proc.returncode}:\n{self.output}")
            if time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"{self.argv} did not listen on {self.port}:\n{self.output}")
            time.sleep(0.05)
        # "once you see the last two lines, your server is listening and ready" (the seed).
        # A SIGTERM before the bus has STARTED ends the process with status 70, as in CherryPy.
        self.wait_for_output("ENGINE Bus STARTED", timeout)
        return self

    def wait_for_output(self, text: str, timeout: float = 10.0) -> str:
        """Wait until ``text`` appears in the program's output; return the output."""
        deadline = time.monotonic() + timeout
        while text not in self.output:
            if time.monotonic() > deadline:
                pytest.fail(f"{text!r} never appeared in the output of {self.argv}:\n{self.output}")
            time.sleep(0.05)
        return self.output

    def stop(self, timeout: float = 30.0) -> int:
        """Send SIGTERM (the engine's signal handler exits the bus); return the exit status."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                pytest.fail(f"{self.argv} ignored SIGTERM for {timeout} s:\n{self.output}")
        self.returncode = self.proc.returncode
        return self.returncode


RunSeed = Callable[..., SeedProcess]


@pytest.fixture(name="need")
def need_fixture() -> Callable[[bool, str], None]:
    """:func:`need` (skip, or fail under CI=true); ``need.port_in_use`` is :func:`port_in_use`."""
    need.port_in_use = port_in_use  # type: ignore[attr-defined]
    return need


@pytest.fixture
def run_seed(tmp_path: Path) -> Iterator[RunSeed]:
    """Start seed programs from a private copy of their folder; stop them all afterwards.

    ``run_seed("tut06/tut06.py")`` copies ``tut06/`` into a temporary directory and runs
    ``python tut06.py`` there, as the seed tells its reader to.  ``argv`` replaces the command
    (``{python}`` and ``{dir}`` are filled in), for ``python -m`` and for the fragment host.
    """
    started: list[SeedProcess] = []

    def run(
        program: str,
        *,
        argv: Sequence[str] | None = None,
        port: int = 8080,
        start: bool = True,
        expect_listening: bool = True,
    ) -> SeedProcess:
        source = SEED_EXAMPLES / program
        workdir = tmp_path / f"run{len(started)}"
        shutil.copytree(source.parent, workdir)
        shutil.copy(SEED_EXAMPLES / "host.py", workdir / "_host.py")
        command = [sys.executable, source.name] if argv is None else list(argv)
        command = [part.format(python=sys.executable, dir=workdir) for part in command]
        proc = SeedProcess(command, workdir, port, tmp_path / f"run{len(started)}.log")
        started.append(proc)
        if start:
            proc.start(expect_listening=expect_listening)
        return proc

    yield run
    for proc in started:
        if proc.proc is not None and proc.proc.poll() is None:
            proc.stop()
