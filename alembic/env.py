"""Alembic environment for votr.

`votr db-*` hands over an open connection in `config.attributes["connection"]`
(Alembic's cookbook recipe); `alembic` run from the repository root connects to
VOTR_DATABASE_URL, or to votr's default SQLite file.
"""

from logging.config import fileConfig

from alembic import context
from sqlalchemy import Engine

from votr_cli.db.tables import metadata

config = context.config
if config.config_file_name is not None and config.attributes.get("connection") is None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _url() -> str:
    from votr_cli.frontends import settings

    return (config.attributes.get("url") or config.get_main_option("sqlalchemy.url")
            or settings.database_location(None).url)


def _compare_type(migration_context, _inspected_column, _metadata_column, inspected_type, metadata_type):
    """Alembic's own comparison, except that MariaDB reports a Text of a length as the
    type it chose for it (ballots.choices: MEDIUMTEXT) and Alembic calls them different."""
    chosen = metadata_type.dialect_impl(migration_context.dialect)
    if type(inspected_type).__name__ == "MEDIUMTEXT" and getattr(chosen, "length", None):
        return False
    return None


def _configure(**kwargs) -> None:
    context.configure(
        target_metadata=metadata,
        # SQLite cannot ALTER most things in place; batch mode copies the table instead.
        render_as_batch=True,
        compare_type=_compare_type,
        # Each revision commits on its own, so one that fails leaves the database at
        # the revision before it (on backends whose DDL is transactional).
        transaction_per_migration=True,
        **kwargs,
    )


def run_migrations_offline() -> None:
    _configure(url=_url(), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if isinstance(connection, Engine):
        # pytest-alembic hands over an engine rather than a connection.
        with connection.connect() as opened:
            _configure(connection=opened)
            with context.begin_transaction():
                context.run_migrations()
        return
    if connection is not None:
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    from votr_cli.db.database import Database
    from votr_cli.frontends import settings

    database = Database(_url(), busy_timeout=settings.busy_timeout())
    engine = database.migration_engine()
    try:
        with engine.connect() as connection:
            _configure(connection=connection)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
