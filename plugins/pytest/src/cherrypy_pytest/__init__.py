"""cherrypy-pytest: pytest fixtures for CherryPy applications on cherrypy-kernel.

Registered with pytest through the ``pytest11`` entry point ``cherrypy`` (see
:mod:`cherrypy_pytest.plugin`); it lives in a distribution of its own so that pytest, which
assertion-rewrites the packages of a pytest plugin's distribution, rewrites only this small
package and never the ``cherrypy`` package itself.
"""
