"""Sphinx configuration: the Markdown pages of ``docs/`` rendered with MyST.

Build with ``nox -s docs`` or ``sphinx-build -W -b html docs docs/_build/html``.
"""

from __future__ import annotations

import sys
from pathlib import Path

# docs/_ext holds the project's own extensions (configref renders config-reference.md).
sys.path.insert(0, str(Path(__file__).parent / "_ext"))

project = "cherrypy-kernel"
author = "the cherrypy-kernel contributors"
copyright = "the cherrypy-kernel contributors"
release = "0.1.0"

extensions = ["myst_parser", "sphinx.ext.autodoc", "configref"]

source_suffix = {".md": "markdown"}
root_doc = "index"
# docs/dev holds notes for contributors, docs/examples runnable scripts, not pages.
exclude_patterns = ["_build", "_ext", "dev", "examples", "Thumbs.db", ".DS_Store"]

myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

autodoc_member_order = "bysource"
autodoc_typehints = "description"

html_theme = "alabaster"
html_title = "cherrypy-kernel"
