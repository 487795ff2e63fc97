"""Tongban (通办): an open platform for one-stop online government services."""

__version__ = "0.1.0"
