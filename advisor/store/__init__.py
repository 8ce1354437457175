"""Persistence: SQLAlchemy 2 Core over a SQLite file by default, PostgreSQL by URL."""

from advisor.store.database import SCHEMA_VERSION, Store

__all__ = ["SCHEMA_VERSION", "Store"]
