"""Raw SQL against a test database, behind votr's back: to plant rows, revisions or
damage that votr itself would never write, and to read what it stored."""

from __future__ import annotations

import sqlalchemy as sa


def run_sql(url: str, statement: str, **params) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(statement), params)
    finally:
        engine.dispose()


def query(url: str, statement: str, **params) -> list[tuple]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(sa.text(statement), params)]
    finally:
        engine.dispose()


def set_revision(url: str, revision: str) -> None:
    """Make the database claim another schema revision (a newer votr's, say)."""
    run_sql(url, "UPDATE alembic_version SET version_num = :revision", revision=revision)
