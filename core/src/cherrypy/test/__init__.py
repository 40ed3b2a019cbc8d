"""Helpers for testing CherryPy applications over real HTTP.

:mod:`cherrypy.test.helper` provides :class:`~cherrypy.test.helper.CPWebCase`, which serves
the applications a test class mounts; :mod:`cherrypy.test.webtest` is the HTTP client test
case under it; :mod:`cherrypy.test.logtest` checks log files.  Importing this package does
nothing else.
"""
