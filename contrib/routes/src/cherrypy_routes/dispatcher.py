"""``RoutesDispatcher``: URL patterns of the ``routes`` package mapped to controllers.

Routes are connected to controller objects (or classes, instantiated per request) and an
``action``, the name of the controller's method that handles the request::

    d = cherrypy.dispatch.RoutesDispatcher()
    d.connect("blog", "/blog/{year}/{slug}", controller=Blog(), action="show")
    d.connect("home", "/", controller=Home(), action="index")
    cherrypy.tree.mount(None, config={"/": {"request.dispatch": d}})

The variables a route matched become keyword arguments of the handler (``controller`` and
``action`` too with ``full_result=True``).  Config comes from ``cherrypy.config``, the root's
and the app's path sections along the URL, then the controller's and the handler's
``_cp_config``, then the app section of the full path.  ``Mapper.redirect`` routes answer with
their redirect, and ``routes.redirect_to`` inside a handler raises an ``HTTPRedirect``.

``request.route`` is the matched route's template after the mount point
(``/users/{id}``), never the requested URL; ``None`` when no route matched.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import cherrypy
from cherrypy.plugin import (
    HTTPRedirect,
    LateParamPageHandler,
    NotFound,
    RequestView,
    serving,
    set_route,
    use_config,
)

__all__ = ["RoutesDispatcher"]

_section_dicts: dict[str, dict[str, str]] = {}
_route_names: dict[tuple[str, str], str] = {}
"""(mount point, route template) -> ``request.route``: made once per route."""


def _route_name(script_name: str, template: str) -> str:
    """The mount point followed by the route template (with one leading ``/``)."""
    key = (script_name, template)
    found = _route_names.get(key)
    if found is None:
        if len(_route_names) > 4096:
            _route_names.clear()
        found = _route_names[key] = script_name + "/" + template.lstrip("/")
    return found


def _staticdir_section(section: str) -> dict[str, str]:
    """A cached ``{"tools.staticdir.section": section}`` (stable identity for the cache)."""
    found = _section_dicts.get(section)
    if found is None:
        if len(_section_dicts) > 4096:
            _section_dicts.clear()
        found = _section_dicts[section] = {"tools.staticdir.section": section}
    return found


class RoutesDispatcher:
    """A dispatcher driven by a :class:`routes.Mapper`.

    ``full_result`` passes the matched ``controller`` and ``action`` to the handler as keyword
    arguments too; other keyword arguments are given to :class:`routes.Mapper`.
    """

    def __init__(self, full_result: bool = False, **mapper_options: Any) -> None:
        # Imported here, not at module level: loading the plugin must not import ``routes``
        # (and ``six``, which installs an import hook) before a RoutesDispatcher is made.
        import routes

        self._routes = routes
        self.full_result = full_result
        """Whether ``controller`` and ``action`` are passed to the handler."""
        self.controllers: dict[str, Any] = {}
        """Route name -> the controller object (or class) connected under it."""
        self.mapper = routes.Mapper(**mapper_options)
        """The :class:`routes.Mapper`; connect further routes to it directly if needed."""
        self.mapper.controller_scan = self.controllers.keys

    def connect(self, name: str, route: str, controller: Any, **kwargs: Any) -> None:
        """Connect ``route`` under ``name`` to ``controller`` (an object or a class).

        ``kwargs`` go to :meth:`routes.Mapper.connect` (``action``, ``conditions``,
        ``requirements``, defaults).  Other routes may refer to the controller by ``name``,
        with ``mapper.connect(..., controller=name)`` or here with ``controller=name``.
        """
        if isinstance(controller, str) and controller in self.controllers:
            controller = self.controllers[controller]
        self.controllers[name] = controller
        self.mapper.connect(name, route, controller=name, **kwargs)

    def redirect(self, url: str) -> None:
        """Raise an :class:`HTTPRedirect` to ``url`` (``routes.redirect_to`` calls this)."""
        raise HTTPRedirect(url)

    def __call__(self, path_info: str) -> None:
        """Set ``request.handler`` (and config) for ``path_info``."""
        func = self.find_handler(path_info)
        request = serving.request
        if func:
            request.handler = LateParamPageHandler(func)
        else:
            request.handler = NotFound()

    def find_handler(self, path_info: str) -> Callable[..., Any] | None:
        """Match ``path_info``; set ``request.params`` and ``request.config``; return the handler."""
        request = serving.request
        environ = request.wsgi_environ
        routes_config = self._routes.request_config()
        routes_config.mapper = self.mapper
        if environ:
            routes_config.environ = environ
        routes_config.host = request.headers.get("Host", None)
        routes_config.protocol = request.scheme
        routes_config.redirect = self.redirect

        match = self.mapper.routematch(path_info, environ or None)
        result, route = match if match else (None, None)
        routes_config.mapper_dict = result
        if route is not None and getattr(route, "redirect", False):
            self._set_config(request, path_info, ())
            self._raise_redirect(route, result or {})

        if result:
            params = dict(result)
            if not self.full_result:
                params.pop("controller", None)
                params.pop("action", None)
            request.params.update(params)

        handler: Any = None
        found: list[dict[str, Any]] = []
        if result:
            controller = self._controller(result.get("controller"))
            if controller is not None:
                conf = getattr(controller, "_cp_config", None)
                if conf:
                    found.append(conf)
                action = result.get("action")
                if action is None:
                    handler = controller
                elif isinstance(action, str) and not action.startswith("_"):
                    handler = getattr(controller, action, None)
                    conf = getattr(handler, "_cp_config", None)
                    if conf:
                        found.append(conf)
        self._set_config(request, path_info, found)
        if callable(handler) and route is not None:
            set_route(request, _route_name(request.script_name, route.routepath))
            return handler
        set_route(request, None)
        return None

    def _controller(self, name: Any) -> Any:
        """The controller object for the matched ``controller`` value (None if unknown)."""
        if isinstance(name, str):
            controller = self.controllers.get(name)
        else:
            controller = name
        if isinstance(controller, type):
            controller = controller()
        return controller

    def _raise_redirect(self, route: Any, result: dict[str, Any]) -> None:
        """Answer a ``Mapper.redirect`` route with its redirect status and location."""
        generate = self._routes.URLGenerator(self.mapper, serving.request.wsgi_environ or {})
        location = generate(f"_redirect_{id(route)}", **result)
        status = str(getattr(route, "redirect_status", "302")).split(None, 1)[0]
        raise HTTPRedirect(location, int(status))

    @staticmethod
    def _set_config(
        request: RequestView, path_info: str, handler_sources: Iterable[dict[str, Any]]
    ) -> None:
        """Merge global, root, path-section and controller/handler config (cached)."""
        app = request.app
        app_config = app.config
        sources: list[dict[str, Any]] = [cherrypy.config]

        def add(conf: dict[str, Any], section: str) -> None:
            sources.append(conf)
            if "tools.staticdir.dir" in conf:
                sources.append(_staticdir_section(section or "/"))

        root_conf = getattr(app.root, "_cp_config", None)
        if root_conf:
            add(root_conf, "")
        section = app_config.get("/")
        if section is not None:
            add(section, "")
        atoms = [atom for atom in path_info.split("/") if atom]
        last = atoms.pop() if atoms else None
        curpath = ""
        for atom in atoms:
            curpath += "/" + atom
            section = app_config.get(curpath)
            if section is not None:
                add(section, curpath)
        for conf in handler_sources:
            add(conf, curpath)
        if last:
            # The full path's section comes last, so that it overrides the controller's config.
            curpath += "/" + last
            section = app_config.get(curpath)
            if section is not None:
                add(section, curpath)
        use_config(request, sources, path_info)
