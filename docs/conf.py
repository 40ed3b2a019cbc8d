"""Sphinx configuration: the Markdown pages of ``docs/`` rendered with MyST and the Furo theme.

Build with ``nox -s docs`` or ``sphinx-build -W -b html docs docs/_build/html``.
"""

from __future__ import annotations

import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DOCS = Path(__file__).parent
# docs/_ext holds the project's own extensions (configref renders config-reference.md).
sys.path.insert(0, str(DOCS / "_ext"))

project = "cherrypy-kernel"
author = "the cherrypy-kernel contributors"
copyright = "the cherrypy-kernel contributors"
# The version of the kernel distribution, read from its pyproject.toml (one source of truth).
release = tomllib.loads((DOCS.parent / "core" / "pyproject.toml").read_text())["project"]["version"]
version = release

extensions = ["myst_parser", "sphinx.ext.autodoc", "sphinx_copybutton", "configref"]

source_suffix = {".md": "markdown"}
root_doc = "index"
# docs/dev holds notes for contributors, docs/examples runnable scripts, not pages.
exclude_patterns = ["_build", "_ext", "dev", "examples", "Thumbs.db", ".DS_Store"]

myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

autodoc_member_order = "bysource"
autodoc_typehints = "description"

# Furo: a sidebar built from the captioned toctrees of index.md, search, light and dark modes
# (following the reader's system setting, with a toggle on every page).
html_theme = "furo"
html_title = f"cherrypy-kernel {release}"
html_short_title = "cherrypy-kernel"

# The copy button leaves out shell prompts and Python's REPL prompts.
copybutton_prompt_text = r">>> |\.\.\. |\$ "
copybutton_prompt_is_regexp = True
