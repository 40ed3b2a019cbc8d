"""``tools.log_hooks``: write the hooks that ran for a request to the error log."""

from __future__ import annotations

from cherrypy.plugin import serving

__all__ = ["log_hooks"]


def log_hooks(debug: bool = False) -> None:
    """Log every hook point of the current request with its hooks, in priority order.

    The points come in CherryPy's order (``cherrypy._cprequest.hookpoints``), then any other
    point the request has hooks for.
    """
    import cherrypy
    from cherrypy._cprequest import hookpoints

    hooks = serving.request.hooks
    points = list(hookpoints) + [point for point in hooks if point not in hookpoints]
    lines = []
    for point in points:
        lines.append(f"    {point}:")
        for hook in sorted(hooks.get(point, ()), key=lambda h: h.priority):
            lines.append(f"        {hook!r}")
    cherrypy.log(f"\nRequest Hooks for {cherrypy.url()}:\n" + "\n".join(lines), "HTTP")
