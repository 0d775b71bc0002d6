"""Persistence of the exchange server through SQLAlchemy Core (SQLite or PostgreSQL)."""

from loadtest.server.storage.engine import Database

__all__ = ["Database"]
