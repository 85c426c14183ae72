"""Fixtures for the service tests: a Database on the selected backend's own per-test
database (tests/conftest.py's `ready_database_url`: votr's tables already made), called
directly, with no CLI in between.
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from votr_cli.db.database import Database
from votr_cli.db.tables import topics
from votr_cli.frontends import settings


@pytest.fixture
def db(ready_database_url, monkeypatch) -> Database:
    # The default busy timeout whatever the caller's environment says.
    monkeypatch.delenv("VOTR_BUSY_TIMEOUT", raising=False)
    database = settings.database(ready_database_url)
    yield database
    database.dispose()


def close_date_passes(db: Database, title: str | None = None) -> None:
    """Move a poll's close date (every poll's, without a title) into the past, as time
    passing would: the service refuses to be given a close date that has passed."""
    change = sa.update(topics).values(close_date=dt.datetime(2001, 1, 1))
    if title is not None:
        change = change.where(topics.c.title == title)
    with db.engine.begin() as conn:
        conn.execute(change)
