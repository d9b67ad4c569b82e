"""Sphinx configuration of the sklearn-dynst documentation."""

import sklearn_dynst

project = "sklearn-dynst"
author = "sklearn-dynst developers"
release = version = sklearn_dynst.__version__
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.intersphinx",
    "numpydoc",
]
autosummary_generate = True
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
autodoc_default_options = {"inherited-members": False}
intersphinx_mapping = {}
templates_path = []
exclude_patterns = ["_build"]
html_theme = "alabaster"
nitpicky = False
