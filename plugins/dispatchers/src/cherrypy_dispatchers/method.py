"""``MethodDispatcher``: REST-style dispatch on the HTTP method.

The object tree is walked exactly as by the kernel's default
:class:`~cherrypy.plugin.Dispatcher`, but the node it finds is a *resource*: an
exposed object whose upper-case methods (``GET``, ``POST``, ``PUT``, ``DELETE``, ...) handle the
HTTP methods of the same name::

    class Item:
        exposed = True

        def GET(self, item_id):
            return load(item_id)

        def DELETE(self, item_id):
            remove(item_id)

    conf = {"/": {"request.dispatch": cherrypy.dispatch.MethodDispatcher()}}

``HEAD`` falls back to ``GET``.  Every response for a resource carries an ``Allow`` header
naming its methods; a method the resource lacks gets ``405 Method Not Allowed``.  A method's
own ``_cp_config`` (``@cherrypy.config(...)``, tool decorators) is merged into
``request.config`` for that request.
"""

from __future__ import annotations

import weakref
from typing import Any

from cherrypy.plugin import (
    Dispatcher,
    HTTPError,
    LateParamPageHandler,
    NotFound,
    add_handler_config,
    serving,
)

__all__ = ["MethodDispatcher", "allowed_methods", "clear_method_cache"]


_class_methods: weakref.WeakKeyDictionary[type, tuple[str, ...]] = weakref.WeakKeyDictionary()


def _scan(obj: Any) -> tuple[str, ...]:
    """The sorted upper-case callable attribute names of ``obj``, plus ``HEAD`` if it has GET."""
    methods = [name for name in dir(obj) if name.isupper() and callable(getattr(obj, name, None))]
    if "GET" in methods and "HEAD" not in methods:
        methods.append("HEAD")
    methods.sort()
    return tuple(methods)


def allowed_methods(resource: Any) -> tuple[str, ...]:
    """The HTTP methods ``resource`` answers, sorted, with ``HEAD`` added when it has ``GET``.

    A method is any callable attribute whose name is all upper case.  The scan of a class is
    done once and cached; a resource with upper-case attributes of its own (set on the
    instance, or a module) is scanned each time.
    """
    own = getattr(resource, "__dict__", None)
    if own and any(name.isupper() for name in own):
        return _scan(resource)
    cls = type(resource)
    methods = _class_methods.get(cls)
    if methods is None:
        methods = _class_methods[cls] = _scan(cls)
    return methods


def clear_method_cache() -> None:
    """Forget the cached method lists (after adding methods to a class at run time)."""
    _class_methods.clear()


class MethodDispatcher(Dispatcher):
    """Dispatch to the ``GET``/``POST``/``PUT``/``DELETE``/... method of the resource found.

    Accepts the same arguments as :class:`~cherrypy.plugin.Dispatcher`
    (``dispatch_method_name``, ``translate``).  Note that the resource (the class or object)
    is exposed, not its methods.
    """

    def __call__(self, path_info: str) -> None:
        """Set ``request.handler``, the ``Allow`` header and the method's config."""
        request = serving.request
        resource, vpath = self.find_handler(path_info)
        if not resource:
            request.handler = NotFound()
            return
        methods = allowed_methods(resource)
        serving.response.headers["Allow"] = ", ".join(methods)

        verb = request.method.upper()
        func = getattr(resource, verb, None) if verb in methods else None
        if func is None and verb == "HEAD":
            func = getattr(resource, "GET", None)
        if func is None:
            request.handler = HTTPError(405)
            return
        conf = getattr(func, "_cp_config", None)
        if conf:
            # On top of the config find_handler collected; cached with its pipeline.
            add_handler_config(request, conf)
        vpath = [segment.replace("%2F", "/") for segment in vpath]
        request.handler = LateParamPageHandler(func, *vpath)
