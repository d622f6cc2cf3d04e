"""Composition root: the Flask app factory, the ``tongban`` command line and page layout."""
