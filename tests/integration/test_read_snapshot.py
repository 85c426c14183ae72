"""A read transaction sees the database as it was at its first statement, on every
backend: a poll read in several statements (poll, options, ballots) never shows half of a
vote committed while it was being read.

Under READ COMMITTED, each statement would see every commit made before it began; the
watch of a poll then printed a state with the options counted and the ballots not yet,
then the whole vote as a second "change".
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from votr_cli.frontends import settings
from votr_cli.service import polls as service

pytestmark = pytest.mark.schema_at_head


@pytest.fixture
def db(votr_env):
    database = settings.database(None)
    yield database
    database.dispose()


def counts(conn) -> tuple[int, int]:
    ballots = conn.execute(sa.text("SELECT count(*) FROM ballots")).scalar_one()
    counted = conn.execute(sa.text("SELECT sum(vote_count) FROM polls")).scalar_one()
    return ballots, int(counted)


def test_a_vote_committed_during_a_read_is_not_seen_by_it(db):
    poll = service.create_poll(db, "Snapshot", ["yes", "no"])["poll"]
    service.vote(db, poll["id"], "yes", "ann")
    with db.reading() as conn:
        assert counts(conn) == (1, 1)
        # The read holds its pooled connection: the vote takes another one, and commits.
        service.vote(db, poll["id"], "no", "bob")
        assert counts(conn) == (1, 1)
    with db.reading() as conn:
        assert counts(conn) == (2, 2)

