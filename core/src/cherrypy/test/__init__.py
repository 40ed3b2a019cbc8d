"""Helpers for testing CherryPy applications over real HTTP.

:mod:`cherrypy.test.helper` provides :class:`~cherrypy.test.helper.CPWebCase`, which serves
the applications a test class mounts; :mod:`cherrypy.test.webtest` is the HTTP client test
case under it; :mod:`cherrypy.test.logtest` checks log files.

Directories listed in the ``CHERRYPY_TEST_PATH`` environment variable (separated by
``os.pathsep``) are searched for ``cherrypy.test.*`` modules after this package's own
directory.  :class:`~cherrypy.test.helper.CPProcess` sets it for the server it spawns, so a
scaffolding module that the test process placed under ``cherrypy.test`` (as CherryPy's own
suite does with ``cherrypy.test._test_states_demo``) imports in the child too.  Importing this
package does nothing else.
"""

import os as _os

__path__ += [
    entry for entry in _os.environ.get("CHERRYPY_TEST_PATH", "").split(_os.pathsep) if entry
]
