"""The tool test matrix of cherrypy-sessions, run against PostgreSQL.

Every test of ``plugins/sessions/tests/test_sessions_tool.py`` that takes the ``backend``
fixture runs here with ``backend`` set to this store (see
:func:`cherrypy_sessions.testsuite.adopt_tool_matrix`).
"""

from __future__ import annotations

from cherrypy_sessions.testsuite import adopt_tool_matrix

adopt_tool_matrix(globals(), "postgres")
