"""The pluggy plugin of cherrypy-cptools (entry point ``cherrypy.plugins: cptools``).

Hook points and priorities are CherryPy's, so tools combine with others in the same order.
``CHERRYPY_PLUGIN_API`` states the plugin API range it supports.
"""

from __future__ import annotations

from cherrypy.plugin import ErrorTool, KeyDeclarer, Tool, Toolbox, hookimpl

from .bodies import flatten
from .debugging import log_hooks
from .headers import ignore_headers, referer, response_headers
from .negotiation import accept, allow, autovary
from .params import convert_params
from .proxy import proxy
from .redirects import redirect

__all__ = [
    "CHERRYPY_PLUGIN_API",
    "accept_tool",
    "allow_tool",
    "autovary_tool",
    "cherrypy_config_keys",
    "cherrypy_register_tools",
    "err_redirect_tool",
    "flatten_tool",
    "ignore_headers_tool",
    "log_hooks_tool",
    "params_tool",
    "proxy_tool",
    "redirect_tool",
    "referer_tool",
    "response_headers_tool",
]

CHERRYPY_PLUGIN_API = ">=1.0,<2"
"""The versions of the plugin API (``cherrypy.plugin``) this plugin works with."""

allow_tool = Tool("on_start_resource", allow)
"""``tools.allow``: 405 for methods not listed."""
accept_tool = Tool("on_start_resource", accept)
"""``tools.accept``: 406 unless the client accepts one of ``media``."""
proxy_tool = Tool("before_request_body", proxy, priority=30)
"""``tools.proxy``: base URL and client address from a reverse proxy."""
response_headers_tool = Tool("on_start_resource", response_headers)
"""``tools.response_headers``: fixed response headers."""
referer_tool = Tool("before_request_body", referer)
"""``tools.referer``: accept or refuse requests by Referer."""
redirect_tool = Tool("on_start_resource", redirect)
"""``tools.redirect``: internal or HTTP redirect of every request."""
err_redirect_tool = ErrorTool(redirect)
"""``tools.err_redirect``: redirect instead of showing an error page."""
flatten_tool = Tool("before_finalize", flatten)
"""``tools.flatten``: iterate through nested body iterators."""
ignore_headers_tool = Tool("before_request_body", ignore_headers)
"""``tools.ignore_headers``: drop request headers."""
autovary_tool = Tool("on_start_resource", autovary, priority=0)
"""``tools.autovary``: ``Vary`` from the request headers read."""
params_tool = Tool("before_handler", convert_params, priority=15)
"""``tools.params``: request parameters converted by annotations."""
log_hooks_tool = Tool("on_end_request", log_hooks, priority=100)
"""``tools.log_hooks``: log the request's hooks."""

_TOOLS = {
    "allow": allow_tool,
    "accept": accept_tool,
    "proxy": proxy_tool,
    "response_headers": response_headers_tool,
    "referer": referer_tool,
    "redirect": redirect_tool,
    "err_redirect": err_redirect_tool,
    "flatten": flatten_tool,
    "ignore_headers": ignore_headers_tool,
    "autovary": autovary_tool,
    "params": params_tool,
    "log_hooks": log_hooks_tool,
}


@hookimpl
def cherrypy_register_tools(toolbox: Toolbox) -> None:
    """Add this distribution's tools to the default toolbox."""
    for name, tool in _TOOLS.items():
        setattr(toolbox, name, tool)


_REDIRECT_DOCS = {
    "url": "Where to redirect (relative to the request's URL).",
    "internal": "An internal redirect (same request, new path) instead of a 303/302.",
}

_DOCS: dict[str, dict[str, str]] = {
    "allow": {"methods": "The allowed methods (default GET and HEAD); others get 405."},
    "accept": {"media": "Media type(s) the handler can produce; 406 if none is acceptable."},
    "proxy": {
        "base": "The public base URL ('https://example.com'); default: from the local header.",
        "local": "The header naming the public host (e.g. 'X-Forwarded-Host', 'Host').",
        "remote": "The header naming the client address (e.g. 'X-Forwarded-For').",
        "scheme": "The header naming the public scheme (e.g. 'X-Forwarded-Proto').",
        "trusted": "Proxy addresses or networks whose headers are believed (None: any).",
    },
    "response_headers": {"headers": "(name, value) pairs added to every response."},
    "referer": {
        "pattern": "A regular expression matched against the Referer header.",
        "accept": "Accept (True) or refuse (False) requests whose Referer matches.",
        "accept_missing": "Accept requests without a Referer header.",
        "error": "The status of a refused request.",
        "message": "The message of a refused request.",
    },
    "redirect": _REDIRECT_DOCS,
    "err_redirect": _REDIRECT_DOCS,
    "flatten": {},
    "ignore_headers": {"headers": "Request header names removed before the handler runs."},
    "autovary": {"ignore": "Header names never added to Vary."},
    "params": {
        "exception": "The exception(s) a failed conversion raises.",
        "error": "The status returned for a parameter that does not convert.",
    },
    "log_hooks": {},
}


@hookimpl
def cherrypy_config_keys(checker: KeyDeclarer) -> None:
    """Declare the keys of every tool of this distribution."""
    for name, tool in _TOOLS.items():
        checker.declare_tool(name, tool, _DOCS[name])
