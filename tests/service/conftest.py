"""Fixtures for the service tests: a Database on the selected backend's own per-test
database (tests/conftest.py's `database_url`), called directly, with no CLI in between.
"""

from __future__ import annotations

import datetime as dt
import functools
import inspect

import pytest
import sqlalchemy as sa

from votr_cli.db.database import Database
from votr_cli.db.tables import topics
from votr_cli.frontends import settings
from votr_cli.service import polls as service


@pytest.fixture
def db(database_url, monkeypatch) -> Database:
    # The default busy timeout whatever the caller's environment says.
    monkeypatch.delenv("VOTR_BUSY_TIMEOUT", raising=False)
    database = Database(settings.database_location(database_url))
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


# TEMP until service takes datetimes: create_poll and reopen_poll still take a
# `closes_at` string and parse it themselves. The tests are written against the new
# signatures (close_date: datetime | None); this shim hands the old ones the same moment
# as an ISO-8601 UTC string. The lead removes it once the service change is merged.
def _taking_datetimes(function):
    if "closes_at" not in inspect.signature(function).parameters:
        return function  # the service already takes datetimes

    def as_text(value):
        if isinstance(value, dt.datetime):
            return value.replace(tzinfo=dt.timezone.utc).isoformat()
        return value

    @functools.wraps(function)
    def adapted(*args, **kwargs):
        if "close_date" in kwargs:
            kwargs["closes_at"] = kwargs.pop("close_date")
        return function(*(as_text(arg) for arg in args), **{k: as_text(v) for k, v in kwargs.items()})

    return adapted


@pytest.fixture(autouse=True)
def _service_takes_datetimes(monkeypatch):  # TEMP until service takes datetimes
    for name in ("create_poll", "reopen_poll"):
        monkeypatch.setattr(service, name, _taking_datetimes(getattr(service, name)))
