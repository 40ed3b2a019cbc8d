"""cherrypy-example-tool: a copyable template for a third-party CherryPy tool distribution.

It provides ``tools.request_id``: every response on the paths where it is switched on carries
an ``X-Request-Id`` header (the name is configurable), the id is available to handlers as
``cherrypy.request.request_id`` and is written to the error log.
"""

from __future__ import annotations

from .request_id import is_valid_request_id, new_request_id, request_id

__all__ = ["is_valid_request_id", "new_request_id", "request_id"]
