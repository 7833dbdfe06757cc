"""dbbasic: a compiler for database intent. See `dbbasic.api` for the Python API."""

__version__ = "0.1.0"
