"""What shell completion reads: the service's completion_polls and completion_options,
called directly on every backend. They read only: no database yet means no candidates,
and nothing is created."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from votr_cli.core.errors import InvalidInput, SchemaMismatch
from votr_cli.frontends import settings
from votr_cli.service import polls as service
from tests.service.conftest import close_date_passes


def values(found: list[dict], key: str = "title") -> list[str]:
    return [poll[key] for poll in found]


@pytest.fixture
def empty_db(database_url, monkeypatch):
    """A Database on an empty database: the service tests' `db` has votr's tables."""
    database = settings.database(database_url)
    yield database
    database.dispose()


def test_an_empty_database_offers_nothing_and_gets_no_tables(empty_db):
    db = empty_db
    assert service.completion_polls(db, "") == []
    assert service.completion_options(db, "anything", [], "") == []
    with db.engine.connect() as conn:
        assert sa.inspect(conn).get_table_names() == []


def test_polls_open_first_then_closed_newest_first_matched_case_folded(db):
    made = {title: service.create_poll(db, title, ["a", "b"])["poll"]["id"]
            for title in ("Straße names", "Zebra", "Apple", "Mango")}
    service.close_poll(db, "Apple")
    close_date_passes(db, "Mango")  # past its close date: closed, with no command run
    service.create_poll(db, "Later", ["a", "b"])

    assert values(service.completion_polls(db, "")) == ["Later", "Zebra", "Straße names", "Mango", "Apple"]
    assert values(service.completion_polls(db, "", "open")) == ["Later", "Zebra", "Straße names"]
    assert values(service.completion_polls(db, "", "closed")) == ["Mango", "Apple"]
    assert values(service.completion_polls(db, "STRASSE")) == ["Straße names"]  # casefold: ß is ss
    assert values(service.completion_polls(db, "  zeb")) == ["Zebra"]
    # Ids are random: another poll's may start with "m" too, and be listed for that.
    by_title = [poll for poll in service.completion_polls(db, "m") if poll["by_title"]]
    assert by_title == [{"id": made["Mango"], "title": "Mango", "open": False,
                         "by_id": made["Mango"].startswith("m"), "by_title": True}]
    by_id = service.completion_polls(db, made["Apple"])
    assert [(poll["id"], poll["by_id"], poll["by_title"]) for poll in by_id] == [(made["Apple"], True, False)]
    with pytest.raises(InvalidInput):
        service.completion_polls(db, "", "everything")


def test_options_of_the_poll_less_those_typed(db):
    service.create_poll(db, "Lunch", ["Pizza", "Sushi", "Tacos"], kind="ranked", max_choices=2)
    logo = service.create_poll(db, "Logo", ["red", "blue", "green"], kind="score")["poll"]["id"]

    assert service.completion_options(db, "lunch", [], "") == ["Pizza", "Sushi", "Tacos"]
    assert service.completion_options(db, "LUNCH", [" sushi "], "") == ["Pizza", "Tacos"]
    assert service.completion_options(db, "Lunch", [], "t") == ["Tacos"]
    assert service.completion_options(db, "Lunch", ["pizza", "sushi"], "") == []  # --max 2
    assert service.completion_options(db, logo, ["red=5", "blue"], "") == ["green"]
    assert service.completion_options(db, "No such poll", [], "") == []
    assert service.completion_options(db, "   ", [], "") == []


def test_an_older_schema_is_refused_not_read(votr, database_url):
    assert votr("create", "Lunch", "a", "b").exit_code == 0  # votr's database is database_url
    assert votr("db-downgrade", "-1").exit_code == 0
    fresh = settings.database(database_url)
    try:
        with pytest.raises(SchemaMismatch):
            service.completion_polls(fresh, "")
    finally:
        fresh.dispose()
