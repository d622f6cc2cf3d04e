"""Alembic environment: every package's tables, on the engine the caller hands in."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

# Imported for their tables, which they register on the shared metadata.
import audit.models  # noqa: F401
import idp.models
import idp.registry.models
import idp.session_log  # noqa: F401
import keys.models  # noqa: F401
import licences.models  # noqa: F401
import store.outbox
import store.sql_ephemeral  # noqa: F401
from store.base import Base

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    engine = config.attributes.get("engine")
    if engine is None:
        # `alembic -x url=... revision --autogenerate` during development.
        engine = create_engine(context.get_x_argument(as_dictionary=True)["url"])
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations()
