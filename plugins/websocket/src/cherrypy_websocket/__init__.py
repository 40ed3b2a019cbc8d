"""WebSockets and Server-Sent Events for cherrypy-kernel (issue 21, in progress)."""
