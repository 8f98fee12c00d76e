"""Alembic environment: the engine comes from the running application (see ``migrate.py``)."""

from alembic import context

from wartemarke.store.schema import metadata

engine = context.config.attributes["engine"]

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
