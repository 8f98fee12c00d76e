"""Persistence: the current state plus an append-only event log, in SQLite or PostgreSQL."""

from .database import Store, open_store

__all__ = ["Store", "open_store"]
