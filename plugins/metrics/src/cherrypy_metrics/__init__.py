"""Prometheus metrics for cherrypy-kernel (issue 22, in progress)."""
