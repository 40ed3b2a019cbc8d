"""Applications and the tree they are mounted on (``cherrypy.tree``, ``cherrypy.Application``)."""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Callable, Iterable, MutableMapping
from typing import Any

from cherrypy.kernel import compiled as _compiled
from cherrypy.kernel import observe as _observe
from cherrypy.kernel import pipeline as _pipeline
from cherrypy.kernel.context import serving
from cherrypy.kernel.httputil import urljoin
from cherrypy.kernel.reprconf import NamespaceSet
from cherrypy.kernel.request import _FROM_ENVIRON, Request, _known_thread
from cherrypy.kernel.response import Response
from cherrypy.kernel.runtime import site

__all__ = ["Application", "Tree"]


class _Toolboxes(dict):  # type: ignore[type-arg]
    """``Application.toolboxes`` (the class's): changing it invalidates compiled pipelines.

    Extensions add their toolbox to every application this way, as in CherryPy
    (``cherrypy._cptree.Application.toolboxes.update(cors=tools)``), even after mounting.
    """

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        _pipeline.invalidate()

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key)
        _pipeline.invalidate()

    def update(self, *args: Any, **kwargs: Any) -> None:
        """Add toolboxes (and invalidate the compiled pipelines)."""
        super().update(*args, **kwargs)
        _pipeline.invalidate()


class _AppToolboxes(ChainMap):  # type: ignore[type-arg]
    """An application's toolboxes: its own, then the class's (read live, as in CherryPy)."""

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        _pipeline.invalidate()

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key)
        _pipeline.invalidate()


class Application:
    """A CherryPy application: a root object, its config and the WSGI callable serving it.

    ``script_name`` is where it is mounted ('' for the site root); ``None`` means "take it from
    the WSGI environ's SCRIPT_NAME on each request".
    """

    root: Any = None
    config: dict[str, dict[str, Any]] = {}
    namespaces = NamespaceSet()
    toolboxes: MutableMapping[str, Any] = _Toolboxes()
    log: Any = None
    wsgiapp: Any = None
    relative_urls: bool | str = False
    request_class: type = Request
    """The class of the requests this application serves."""
    response_class: type = Response
    """The class of the responses this application builds."""

    def __init__(self, root: Any, script_name: str | None = "", config: Any = None) -> None:
        from cherrypy.kernel.logs import LogManager
        from cherrypy.kernel.wsgi import CPWSGIApp

        self.log = LogManager(id(self), site.log.logger_root)
        self.root = root
        self.script_name = script_name
        self.wsgiapp = CPWSGIApp(self)
        self.namespaces = self.namespaces.copy()
        self.namespaces["log"] = lambda k, v: setattr(self.log, k, v)
        self.namespaces["wsgi"] = self.wsgiapp.namespace_handler
        shared = type(self).toolboxes
        own = {} if "tools" in shared else {"tools": site.tools}
        self.toolboxes = _AppToolboxes(own, shared)
        self.config = {section: dict(values) for section, values in type(self).config.items()}
        if config:
            self.merge(config)

    def __repr__(self) -> str:
        return f"{type(self).__module__}.{type(self).__name__}({self.root!r}, {self.script_name!r})"

    @property
    def script_name(self) -> str:
        """The mount point ('' for the root); from the WSGI environ if set to None."""
        if self._script_name is not None:
            return self._script_name
        return serving.request.wsgi_environ["SCRIPT_NAME"].rstrip("/")

    @script_name.setter
    def script_name(self, value: str | None) -> None:
        if value:
            value = value.rstrip("/")
        self._script_name = value
        _pipeline.invalidate()

    @property
    def script_name_is_dynamic(self) -> bool:
        """True when the mount point is read from each request's WSGI environ."""
        return self._script_name is None

    def merge(self, config: Any) -> None:
        """Merge ``config`` (dict of sections, filename or file) into this app's config."""
        from cherrypy.kernel.config import merge

        merge(self.config, config)
        self.namespaces(self.config.get("/", {}))
        _pipeline.invalidate()

    def find_config(self, path: str, key: str, default: Any = None) -> Any:
        """Return ``key`` from the most specific config section on ``path`` (or ``default``)."""
        trail = path or "/"
        config = self.config
        while trail:
            section = config.get(trail)
            if section and key in section:
                return section[key]
            cut = trail.rfind("/")
            if cut == -1:
                break
            if cut == 0 and trail != "/":
                trail = "/"
            else:
                trail = trail[:cut]
        return default

    def get_serving(self, local: Any, remote: Any, scheme: str, sproto: str) -> tuple[Any, Any]:
        """Create and make current a request/response pair for this app."""
        return self._make_current(
            self.request_class(local, remote, scheme, sproto), self.response_class()
        )

    def _serving_from_environ(
        self, environ: dict[str, Any], scheme: str, sproto: str
    ) -> tuple[Any, Any]:
        """:meth:`get_serving` for a compiled route (the kernel's own classes): the request's
        ``local`` and ``remote`` are made from ``environ`` when first read, and
        ``wsgi_environ`` is set before the engine's listeners hear of the request."""
        request = Request(_FROM_ENVIRON, _FROM_ENVIRON, scheme, sproto)
        request.wsgi_environ = environ
        return self._make_current(request, Response())

    def _make_current(self, request: Any, response: Any) -> tuple[Any, Any]:
        """Make ``request`` (of this app) and ``response`` the thread's current pair, then
        publish ``acquire_thread`` (a thread not seen yet) and ``before_request``."""
        request.app = self
        serving.request = request
        serving.response = response
        engine = site.engine
        listeners = engine.listeners
        acquirers = listeners.get("acquire_thread")
        if acquirers and not _known_thread(engine, acquirers):
            # (skipped when publishing would do nothing)
            engine.publish("acquire_thread")
        if listeners.get("before_request"):
            engine.publish("before_request")
        return request, response

    def release_serving(self) -> None:
        """Close the current request (``on_end_request`` hooks) and clear the context."""
        request = serving.request
        engine = site.engine
        if engine.listeners.get("after_request"):
            engine.publish("after_request")
        try:
            request.close()
        except Exception:
            site.log(traceback=True, severity=40)
        observation = request._observation if request is not None else None
        if observation is not None:
            _observe.finish_observation(observation, request, serving.response)
        serving.clear()

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        """Serve a WSGI request."""
        return self.wsgiapp(environ, start_response)


_compiled.APPLICATION_CLASSES.add(Application)


class MountPoints(dict):  # type: ignore[type-arg]
    """``Tree.apps``: a dict of mount point -> application that remembers which mount point
    serves each path requested, and forgets it whenever the mount points change."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lookups: dict[str, str | None] = {}
        """Path -> the mount point serving it (None: no application); bounded."""
        self.routes: dict[str, tuple[Any, Any, Any]] = {}
        """PATH_INFO -> (the root application, its ``wsgiapp``, the compiled route); bounded."""

    def _forget(self) -> None:
        self.lookups = {}
        self.routes = {}

    def __setitem__(self, key: str, value: Any) -> None:
        self._forget()
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        self._forget()
        super().__delitem__(key)

    def __ior__(self, other: Any) -> MountPoints:  # type: ignore[override,misc]
        self._forget()
        super().__ior__(other)
        return self

    def pop(self, *args: Any) -> Any:
        """Like ``dict.pop`` (and forget the lookups)."""
        self._forget()
        return super().pop(*args)

    def popitem(self) -> tuple[str, Any]:
        """Like ``dict.popitem`` (and forget the lookups)."""
        self._forget()
        return super().popitem()

    def clear(self) -> None:
        """Like ``dict.clear`` (and forget the lookups)."""
        self._forget()
        super().clear()

    def update(self, *args: Any, **kwargs: Any) -> None:
        """Like ``dict.update`` (and forget the lookups)."""
        self._forget()
        super().update(*args, **kwargs)

    def setdefault(self, key: str, default: Any = None) -> Any:
        """Like ``dict.setdefault`` (and forget the lookups)."""
        self._forget()
        return super().setdefault(key, default)


_NOT_LOOKED_UP: Any = object()
_NO_ROUTES: dict[str, Any] = {}


class Tree:
    """The registry of mounted applications; itself a WSGI application routing by path."""

    apps: dict[str, Any]

    def __init__(self) -> None:
        self.apps = MountPoints()

    def mount(self, root: Any, script_name: str | None = "", config: Any = None) -> Application:
        """Mount ``root`` (an object or an :class:`Application`) at ``script_name``."""
        if script_name is None:
            raise TypeError(
                "The 'script_name' argument may not be None. Application objects may, however, "
                "possess a script_name of None (in order to inspect the WSGI environ for "
                "SCRIPT_NAME upon each request). You cannot mount such Applications on this "
                "Tree; you must pass them to a WSGI server interface directly."
            )
        script_name = script_name.rstrip("/")
        if isinstance(root, Application):
            app = root
            if script_name not in ("", app.script_name):
                raise ValueError(
                    "Cannot specify a different script name and pass an Application instance "
                    "to cherrypy.mount"
                )
            script_name = app.script_name
        else:
            app = Application(root, script_name)
            if script_name == "" and root is not None and not hasattr(root, "favicon_ico"):
                favicon = _favicon_handler()
                if favicon is not None:
                    root.favicon_ico = favicon
        if config:
            app.merge(config)
        self.apps[script_name] = app
        _pipeline.invalidate()
        return app

    def graft(self, wsgi_callable: Callable[..., Any], script_name: str = "") -> None:
        """Mount any WSGI callable at ``script_name``."""
        self.apps[script_name.rstrip("/")] = wsgi_callable
        _pipeline.invalidate()

    def script_name(self, path: str | None = None) -> str | None:
        """Return the mount point of the app that serves ``path`` (default: this request's)."""
        if path is None:
            request = serving.request
            if request is None:
                return None
            path = urljoin(request.script_name, request.path_info)
        apps = self.apps
        while True:
            if path in apps:
                return path
            if path == "":
                return None
            path = path[: path.rfind("/")]

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        """Route a WSGI request to the app mounted at the longest matching script name."""
        script_name = environ.get("SCRIPT_NAME", "")
        path_info = environ.get("PATH_INFO", "")
        apps = self.apps
        if not script_name and apps.__class__ is MountPoints:
            found = apps.routes.get(path_info)
            if found is not None:
                # A path of the root application served before: its compiled route.
                app, wsgiapp, route = found
                if app.wsgiapp is wsgiapp and wsgiapp.plain and route.current():
                    if route.lane or route.hooked:
                        return wsgiapp.serve_lane(  # type: ignore[no-any-return]
                            route, environ, start_response
                        )
                    return wsgiapp.serve_route(  # type: ignore[no-any-return]
                        route, environ, start_response
                    )
        if script_name or not path_info or "//" in path_info:
            path = urljoin(script_name, path_info)
        else:
            path = path_info  # what urljoin("", path_info) gives for such a path
        sn: str | None
        if self.__class__ is not Tree:
            sn = self.script_name(path)  # a subclass may choose differently
        elif path in apps:
            sn = path
        elif len(apps) == 1 and "" in apps:
            sn = ""  # the lone root app serves every path (what script_name() finds)
        elif apps.__class__ is MountPoints:
            lookups = apps.lookups
            sn = lookups.get(path, _NOT_LOOKED_UP)
            if sn is _NOT_LOOKED_UP:
                sn = self.script_name(path)
                if len(lookups) >= 1024:
                    lookups.clear()  # clients choose the paths: the memory stays bounded
                lookups[path] = sn
        else:
            sn = self.script_name(path)
        if sn is None:
            if _observe.active:
                return _observed_not_found(environ, start_response)
            start_response(
                "404 Not Found", [("Content-Type", "text/plain"), ("Content-Length", "0")]
            )
            return []
        app = self.apps[sn]
        new_path_info = path[len(sn.rstrip("/")) :]
        if script_name != sn or path_info != new_path_info:
            environ = environ.copy()
            environ["SCRIPT_NAME"] = sn
            environ["PATH_INFO"] = new_path_info
        if app.__class__ is Application:
            wsgiapp = app.wsgiapp
            if not sn and apps.__class__ is MountPoints and self.__class__ is Tree:
                # (an application's wsgiapp may have been replaced by a WSGI app of one's own)
                route = getattr(wsgiapp, "routes", _NO_ROUTES).get(path)
                if route is not None and route.script_name == "":
                    routes = apps.routes
                    if len(routes) >= _compiled.MAX_ROUTES:
                        routes.clear()
                    routes[path] = (app, wsgiapp, route)
            return wsgiapp(environ, start_response)  # what Application.__call__ does
        return app(environ, start_response)


def _favicon_handler() -> Any:
    """The staticfile handler for CherryPy's favicon, if a static-files plugin is installed."""
    import os

    try:
        staticfile = site.tools.staticfile
    except AttributeError:
        return None
    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "favicon.ico")
    if not os.path.exists(path):
        return None
    return staticfile.handler(path)


def _observed_not_found(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """The tree's own 404 (no application at the path), observed.

    The observers see a minimal request (method, path, query string, headers, ``id``; ``app``
    and ``route`` None) and a finalized 404 response with an empty body.
    """
    from cherrypy.kernel.httputil import Host
    from cherrypy.kernel.wsgi import AppResponse, port_number

    get = environ.get
    request = Request(
        Host("", port_number(get("SERVER_PORT", 80)), get("SERVER_NAME", "")),
        Host(get("REMOTE_ADDR", ""), port_number(get("REMOTE_PORT", -1)), get("REMOTE_HOST", "")),
        get("wsgi.url_scheme", "http"),
    )
    request.wsgi_environ = environ
    request.method = get("REQUEST_METHOD", "GET")
    request.path_info = urljoin(get("SCRIPT_NAME", ""), get("PATH_INFO", ""))
    request.query_string = get("QUERY_STRING", "")
    protocol = get("SERVER_PROTOCOL", "HTTP/1.0")
    url = request.path_info + ("?" + request.query_string if request.query_string else "")
    request.request_line = f"{request.method} {url} {protocol}"
    request.header_list = AppResponse.translate_headers(environ)
    headers = request.headers = type(request.headers)()
    for name, value in request.header_list:
        headers[name] = value
    response = Response()
    dict.clear(response.headers)
    response.headers["Content-Type"] = "text/plain"
    response.headers["Content-Length"] = 0
    response.status = 404
    response.body = []
    _observe.begin(request, response)
    response.finalize()
    header_list = response.header_list or []
    start_response(
        response.output_status.decode("latin-1"),
        [(name.decode("latin-1"), value.decode("latin-1")) for name, value in header_list],
    )
    _observe.finish(request, response)
    return []
