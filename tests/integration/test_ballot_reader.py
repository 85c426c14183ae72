"""db/ballot_reader.py on the selected backend (SQLite, PostgreSQL, MariaDB): a poll's
ballots read as joined strings count exactly as the same ballots given by name, in one
string or in many id ranges, and a string the database cut short or a ballot holding
the separator is read again row by row.

Polls are made and voted on through the service; the many-ballot cases insert ballot
rows directly (what votes store), which is what the reader reads.
"""

from __future__ import annotations

import datetime as dt
import random

import pytest
import sqlalchemy as sa

from votr_cli.core import counting
from votr_cli.core.ballots import PAD, code
from votr_cli.db import ballot_reader, dialect
from votr_cli.db.tables import ballots, topics
from votr_cli.frontends import settings
from votr_cli.service import polls as service

# Tests of what votr does with its tables, not of how it creates them (tests/conftest.py).
pytestmark = pytest.mark.schema_at_head

NOW = dt.datetime(2026, 1, 1)


@pytest.fixture
def db(database_url, monkeypatch):
    monkeypatch.delenv("VOTR_BUSY_TIMEOUT", raising=False)
    database = settings.database(database_url)
    yield database
    database.dispose()


def new_poll(db, kind: str, options: list[str], **bounds) -> int:
    poll = service.create_poll(db, f"{kind} poll", options, kind=kind, **bounds)["poll"]
    with db.engine.connect() as conn:
        return conn.execute(sa.select(topics.c.id).where(topics.c.public_id == poll["id"])).scalar_one()


def add_ballots(db, topic_id: int, choices: list[str | None], first_voter: int = 0) -> None:
    """Ballot rows as votes store them (counters are not needed by the reader)."""
    with db.engine.begin() as conn:
        conn.execute(ballots.insert(), [
            {"topic_id": topic_id, "voter": f"voter {first_voter + i}", "option_id": None,
             "choices": text, "date_created": NOW}
            for i, text in enumerate(choices)])


def read(db, topic_id: int, kind: str, width: int):
    with db.reading() as conn:
        return ballot_reader.stored_ballots(conn, topic_id, kind, width)


def random_rankings(rng: random.Random, n: int, count: int, width: int | None = None) -> list[str]:
    width = width or n
    return ["".join(code(p) for p in rng.sample(range(n), rng.randint(1, width))) for _ in range(count)]


def by_name(names: list[str], stored: list[str]) -> list[tuple[tuple[str, ...], int]]:
    from votr_cli.core.ballots import position
    return [(tuple(names[position(c)] for c in text), 1) for text in stored]


def test_ballots_cast_through_the_service_are_read_and_counted(db):
    options = ["Memphis", "Nashville", "Chattanooga", "Knoxville"]
    topic_id = new_poll(db, "ranked", options)
    tennessee = [(["Memphis", "Nashville", "Chattanooga", "Knoxville"], 42),
                 (["Nashville", "Chattanooga", "Knoxville", "Memphis"], 26),
                 (["Chattanooga", "Knoxville", "Nashville", "Memphis"], 15),
                 (["Knoxville", "Chattanooga", "Nashville", "Memphis"], 17)]
    voter = 0
    for ranking, voters in tennessee:
        for _ in range(voters):
            service.vote(db, "ranked poll", ranking, f"voter {voter}")
            voter += 1
    stored = read(db, topic_id, "ranked", 4)
    assert stored.ballot_count == 100 and len(stored.chunks) == 1
    result = counting.count_stored("irv", options, stored)
    assert result.winners == ["Knoxville"]
    assert result == counting.count("irv", options, [(tuple(r), v) for r, v in tennessee])
    assert counting.count_stored("schulze", options, stored).winners == ["Nashville"]


@pytest.mark.parametrize("method", ["irv", "schulze"])
def test_many_ballots_count_as_the_same_ballots_by_name(db, method):
    rng = random.Random(3)
    names = [f"option {i}" for i in range(8)]
    topic_id = new_poll(db, "ranked", names)
    stored_texts = random_rankings(rng, 8, 3000)
    add_ballots(db, topic_id, stored_texts)
    stored = read(db, topic_id, "ranked", 8)
    assert stored.ballot_count == 3000
    assert counting.count_stored(method, names, stored) == counting.count(method, names, by_name(names, stored_texts))


def test_many_id_ranges_read_every_ballot_once(db, monkeypatch):
    rng = random.Random(4)
    names = ["a", "b", "c", "d", "e"]
    topic_id = new_poll(db, "ranked", names)
    other = new_poll(db, "multiple", ["x", "y"])
    texts = random_rankings(rng, 5, 400)
    # Interleaved with another poll's ballots, so that the id ranges hold gaps.
    for start in range(0, 400, 50):
        add_ballots(db, topic_id, texts[start:start + 50], first_voter=start)
        add_ballots(db, other, ["A"] * 7, first_voter=start)
    # 60 bytes a string: ranges of 60 // (5 + 1) = 10 ballot ids.
    monkeypatch.setattr(dialect, "prepare_string_aggregation", lambda conn: 60)
    stored = read(db, topic_id, "ranked", 5)
    assert len(stored.chunks) >= 40
    assert stored.ballot_count == 400
    assert sorted(PAD.join(text for _, text in stored.chunks).split(PAD)) == sorted(texts)
    assert counting.count_stored("irv", names, stored) == counting.count("irv", names, by_name(names, texts))


def test_a_big_secret_poll_is_read_in_ranges_of_its_random_keys(db, monkeypatch):
    rng = random.Random(5)
    names = ["a", "b", "c", "d", "e"]
    poll = service.create_poll(db, "secret poll", names, kind="ranked", secret=True)["poll"]
    texts = random_rankings(rng, 5, 60)
    for voter, ranking in enumerate(texts):
        service.vote(db, poll["id"], [names[ord(c) - 0x41] for c in ranking], f"voter {voter}")
    with db.engine.connect() as conn:
        topic_id = conn.execute(sa.select(topics.c.id).where(topics.c.public_id == poll["id"])).scalar_one()
    # 36 bytes a string: 6 ballots; 60 ballots in 20 ranges of keys, about 3 each.
    monkeypatch.setattr(dialect, "prepare_string_aggregation", lambda conn: 36)
    with db.reading() as conn:
        stored = ballot_reader.stored_ballots(conn, topic_id, "ranked", 5, secret=True)
    assert len(stored.chunks) >= 10
    assert sorted(PAD.join(text for _, text in stored.chunks).split(PAD)) == sorted(texts)
    assert counting.count_stored("irv", names, stored) == counting.count("irv", names, by_name(names, texts))


def test_key_ranges_cover_every_key_once():
    keys = ["00000000", "0fffffff", "10000000", "7fffffff", "80000000", "ffffffff" + "f" * 24]
    for total, per_chunk in ((10, 5), (1000, 7), (3, 1)):
        ranges = ballot_reader._key_ranges(sa.column("id"), total, per_chunk)
        assert len(ranges) == 2 * -(-total // per_chunk)
        for key in keys:
            matching = [r for r in ranges if all(_holds(bound, key) for bound in r)]
            assert len(matching) == 1, (key, total, per_chunk)


def _holds(bound, key: str) -> bool:
    value = bound.right.value
    return key < value if bound.operator.__name__ == "lt" else key >= value


def test_a_string_cut_short_is_read_again_row_by_row(db, monkeypatch):
    """MariaDB cuts GROUP_CONCAT at group_concat_max_len with a warning only; any backend
    whose string does not hold the ballots it counted is read row by row."""
    names = ["a", "b", "c"]
    topic_id = new_poll(db, "ranked", names)
    texts = ["ABC", "BA", "C", "CAB"] * 50
    add_ballots(db, topic_id, texts)
    real = ballot_reader._joined
    # The string of a backend that cut it at 9 characters.
    monkeypatch.setattr(ballot_reader, "_joined", lambda column: sa.func.substr(real(column), 1, 9))
    stored = read(db, topic_id, "ranked", 3)
    assert stored.ballot_count == 200
    assert counting.count_stored("irv", names, stored) == counting.count("irv", names, by_name(names, texts))


def test_a_joined_string_past_one_mebibyte_is_read_whole(db, monkeypatch):
    """MariaDB's group_concat_max_len is 1 MiB by default: votr raises it. Every backend
    must hand over the whole string, so that no poll falls back to reading row by row."""

    def row_by_row(conn, table, condition):
        raise AssertionError("the joined string was cut short")

    monkeypatch.setattr(ballot_reader, "_row_by_row", row_by_row)
    names = [f"option {i}" for i in range(10)]
    topic_id = new_poll(db, "ranked", names)
    texts = ["ABCDEFGHIJ"] * 120_000  # 1.3 MB joined
    add_ballots(db, topic_id, texts)
    stored = read(db, topic_id, "ranked", 10)
    assert stored.ballot_count == 120_000
    assert [count for count, _ in stored.chunks] == [120_000]
    assert counting.count_stored("irv", names, stored).winners == ["option 0"]


def test_malformed_and_missing_choices_do_not_stop_a_count(db):
    names = ["a", "b", "c"]
    topic_id = new_poll(db, "ranked", names)
    # A stray separator, a code of no option (Z), an empty string and NULL (never read).
    add_ballots(db, topic_id, ["A@B", "ZC", "", None, "BC"])
    stored = read(db, topic_id, "ranked", 3)
    assert stored.ballot_count == 4
    result = counting.count_stored("irv", names, stored)
    assert result == counting.count("irv", names, [(("a", "b"), 1), (("c",), 1), ((), 1), (("b", "c"), 1)])


def test_score_ballots(db):
    names = ["a", "b", "c"]
    topic_id = new_poll(db, "score", names)
    service.vote(db, "score poll", ["a=5", "b=1"], "ann")
    service.vote(db, "score poll", ["b=4", "c=4"], "bob")
    service.vote(db, "score poll", ["c=3"], "cy")
    stored = read(db, topic_id, "score", 3)
    expected = [((("a", 5), ("b", 1)), 1), ((("b", 4), ("c", 4)), 1), ((("c", 3),), 1)]
    for method in ("star", "score"):
        assert counting.count_stored(method, names, stored) == counting.count(method, names, expected)


def test_options_past_the_62nd_have_codes_beyond_ascii(db):
    names = [f"option {i}" for i in range(70)]
    topic_id = new_poll(db, "ranked", names, max_choices=3)
    service.vote(db, "ranked poll", ["option 69", "option 1"], "ann")
    service.vote(db, "ranked poll", ["option 65", "option 69"], "bob")
    service.vote(db, "ranked poll", ["option 69"], "cy")
    stored = read(db, topic_id, "ranked", 3)
    assert counting.count_stored("irv", names, stored).winners == ["option 69"]
    assert counting.count_stored("irv", names, stored) == counting.count(
        "irv", names, [(("option 69", "option 1"), 1), (("option 65", "option 69"), 1), (("option 69",), 1)])


def test_a_poll_without_ballots(db):
    topic_id = new_poll(db, "ranked", ["a", "b"])
    stored = read(db, topic_id, "ranked", 2)
    assert stored.ballot_count == 0 and stored.chunks == ()
    assert counting.count_stored("irv", ["a", "b"], stored).winners == []


def test_a_chunk_is_sized_for_the_widest_code_of_the_poll():
    """Codes are ASCII up to the 62nd option, then 2 bytes in UTF-8 up to U+07FF, then 3."""
    assert [ballot_reader._bytes_per_character("ranked", n) for n in (10, 62, 63, 1854, 1855)] == [1, 1, 2, 2, 3]
    assert ballot_reader._bytes_per_character("score", 5000) == 1
