"""The pytest plugin of cherrypy-pytest (entry point ``pytest11``: ``cherrypy``).

Fixtures, none of them autouse, and CherryPy is imported only when one is used:

- ``cherrypy_app``: what to test; override it in your test module, class or conftest to
  return a root object, a ``(root, config)`` pair or an :class:`~cherrypy.Application`;
- ``cherrypy_config`` (default None) and ``cherrypy_script_name`` (default ``""``): the
  application config and mount point used with a root object;
- ``cherrypy_client``: a :class:`~cherrypy.testing.Client` for ``cherrypy_app``, inside its
  ``with`` block (the engine runs, no socket is bound);
- ``cherrypy_client_factory``: ``factory(root_or_app=None, config=None, script_name="",
  **client_options)`` returns such clients, closed after the test;
- ``cherrypy_live_server``: ``cherrypy_app`` served over real HTTP on 127.0.0.1 and a free
  port (for ``requests`` or a browser); the value is the application's base URL;
- ``cherrypy_clean``: the isolation the others use: the tree and the global config are
  cleared (``environment: test_suite``: tracebacks in error pages, no screen log, no
  checker) before the test and restored after it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from cherrypy.testing.client import Client

__all__ = [
    "cherrypy_app",
    "cherrypy_clean",
    "cherrypy_client",
    "cherrypy_client_factory",
    "cherrypy_config",
    "cherrypy_live_server",
    "cherrypy_script_name",
]


class _GlobalState:
    """A snapshot of the tree, the global config and the settings reset() changes."""

    def __init__(self) -> None:
        import cherrypy

        self.apps = dict(cherrypy.tree.apps)
        self.config = dict(cherrypy.config)
        self.log_screen = cherrypy.log.screen
        self.checker_on = cherrypy.checker.on

    def restore(self) -> None:
        import cherrypy

        cherrypy.tree.apps.clear()
        cherrypy.tree.apps.update(self.apps)
        cherrypy.config.reset()
        cherrypy.config.update(self.config)
        cherrypy.log.screen = self.log_screen
        cherrypy.checker.on = self.checker_on
        cherrypy.serving.clear()  # config.reset() made every compiled pipeline stale


@pytest.fixture
def cherrypy_clean() -> Iterator[None]:
    """An empty tree and a reset global config for the test; the previous ones restored after."""
    import cherrypy
    from cherrypy.testing import reset

    saved = _GlobalState()
    reset()
    cherrypy.checker.on = False  # as under helper.CPWebCase: the test_suite environment's value
    try:
        yield
    finally:
        saved.restore()


@pytest.fixture
def cherrypy_app() -> Any:
    """The application under test: override this fixture (root, (root, config) or Application)."""
    raise pytest.UsageError(
        "cherrypy_client and cherrypy_live_server need to know what to serve: define a "
        "'cherrypy_app' fixture returning a root object, a (root, config) pair or an "
        "Application (in the test module, its class or a conftest.py)"
    )


@pytest.fixture
def cherrypy_config() -> Any:
    """The application config used with a root object from ``cherrypy_app`` (default None)."""
    return None


@pytest.fixture
def cherrypy_script_name() -> str:
    """Where ``cherrypy_app`` is mounted (default ``""``, the site root)."""
    return ""


def _split(app: Any, config: Any) -> tuple[Any, Any]:
    if isinstance(app, tuple):
        if len(app) != 2:
            raise pytest.UsageError(f"cherrypy_app may return a (root, config) pair, not {app!r}")
        return app
    return app, config


@pytest.fixture
def cherrypy_client_factory(cherrypy_clean: None) -> Iterator[Callable[..., Client]]:
    """``factory(root_or_app=None, config=None, script_name="", **options)`` -> a started Client."""
    from cherrypy.testing import Client

    clients: list[Client] = []

    def make(
        root_or_app: Any = None, config: Any = None, script_name: str = "", **options: Any
    ) -> Client:
        client = Client(root_or_app, config, script_name, **options)
        if not clients:
            client.__enter__()  # the first client runs the engine for all of them
        clients.append(client)
        return client

    try:
        yield make
    finally:
        for client in reversed(clients):
            client.close()


@pytest.fixture
def cherrypy_client(
    cherrypy_client_factory: Callable[..., Client],
    cherrypy_app: Any,
    cherrypy_config: Any,
    cherrypy_script_name: str,
) -> Client:
    """A :class:`~cherrypy.testing.Client` for ``cherrypy_app``, with the engine running."""
    root, config = _split(cherrypy_app, cherrypy_config)
    return cherrypy_client_factory(root, config, cherrypy_script_name)


@pytest.fixture
def cherrypy_live_server(
    cherrypy_clean: None, cherrypy_app: Any, cherrypy_config: Any, cherrypy_script_name: str
) -> Iterator[str]:
    """``cherrypy_app`` served on 127.0.0.1 and a free port; the value is its base URL."""
    import cherrypy
    from cherrypy.testing import engine_without_server, serve

    root, config = _split(cherrypy_app, cherrypy_config)
    app = cherrypy.tree.mount(root, cherrypy_script_name, config)
    with engine_without_server(), serve(cherrypy.tree) as base:
        yield base + app.script_name
