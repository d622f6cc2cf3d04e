"""Durable storage (SQLAlchemy) and the ephemeral store (Redis, or SQL without Redis)."""
