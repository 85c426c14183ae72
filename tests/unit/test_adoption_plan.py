"""The adoption plan's repair rules on rows no real database needs to hold (orphans, for
instance, which only SQLite's unenforced foreign keys let in)."""

import datetime as dt

from votr_cli.ops.adoption import Legacy, Plan, numbered_title
from votr_cli.core.ids import is_public_id

NOW = dt.datetime(2026, 1, 1)
THEN = dt.datetime(2017, 1, 1)


def plan(topics=(), options=(), polls=(), users=(), user_polls=()) -> Plan:
    rows = {"topics": list(topics), "options": list(options), "polls": list(polls),
            "users": list(users), "user_polls": list(user_polls)}
    return Plan.build(Legacy(columns={}, rows=rows, other_tables=set()), now=NOW)


def topic(topic_id, title, **extra):
    return {"id": topic_id, "title": title, "status": True, "date_created": THEN, **extra}


def rules(result: Plan) -> list[tuple]:
    return [(repair["rule"], repair["ids"]) for repair in result.repairs]


def test_rows_that_point_nowhere_are_reported_not_silently_dropped():
    result = plan(topics=[topic(1, "A")], options=[{"id": 1, "name": "x", "date_created": THEN}],
                  polls=[{"id": 1, "topic_id": 1, "option_id": 1, "vote_count": 2},
                         {"id": 2, "topic_id": 9, "option_id": 1, "vote_count": 5},
                         {"id": 3, "topic_id": 1, "option_id": 7, "vote_count": 1}],
                  users=[{"id": 1, "username": "ann"}],
                  user_polls=[{"id": 1, "topic_id": 1, "user_id": 1, "date_created": THEN},
                              {"id": 2, "topic_id": 1, "user_id": 4, "date_created": THEN}])
    assert rules(result) == [("orphan-count", [2]), ("orphan-count", [3]), ("orphan-voter", [2])]
    assert "its count 5 cannot be carried over" in result.repairs[0]["message"]
    assert [row["vote_count"] for row in result.polls] == [2]
    assert [ballot["voter"] for ballot in result.ballots] == ["ann"]


def test_missing_titles_names_and_dates_are_filled_in():
    result = plan(topics=[topic(1, None, date_created=None), topic(2, "   ")],
                  options=[{"id": 1, "name": "", "date_created": THEN}])
    assert [row["title"] for row in result.topics] == ["Untitled poll 1", "Untitled poll 2"]
    assert result.topics[0]["date_created"] == NOW
    assert [row["name"] for row in result.options] == ["Option 1"]
    assert rules(result) == [("missing-title", [1]), ("missing-date", [1]), ("missing-title", [2]),
                             ("missing-name", [1])]


def test_duplicate_titles_get_the_first_free_number_in_id_order():
    result = plan(topics=[topic(1, "Lunch"), topic(2, "LUNCH"), topic(3, "lunch"), topic(4, "Lunch (3)")])
    assert [row["title"] for row in result.topics] == ["Lunch", "LUNCH (2)", "lunch (4)", "Lunch (3)"]
    assert numbered_title("x" * 500, 2) == "x" * 496 + " (2)"


def test_unusable_unique_ids_are_replaced_and_the_first_holder_keeps_its_id():
    result = plan(topics=[topic(1, "A", unique_id="k3v9x2ab"), topic(2, "B", unique_id="k3v9x2ab"),
                          topic(3, "C", unique_id="has space"), topic(4, "D", unique_id=None)])
    ids = [row["public_id"] for row in result.topics]
    assert ids[0] == "k3v9x2ab" and len(set(ids)) == 4
    assert rules(result) == [("public-id", [2]), ("public-id", [3]), ("public-id", [4])]


def test_control_characters_from_the_old_app_are_written_out_as_escapes_and_reported():
    # `create` refuses control characters, and so does `import`: an adopted title must obey
    # the same rules, or its export would not import again.
    result = plan(topics=[topic(1, "Tab\there\x1b]0;PWN\x07")],
                  options=[{"id": 1, "name": "nul\x00", "date_created": THEN}])
    assert result.topics[0]["title"] == "Tab\\x09here\\x1b]0;PWN\\x07"
    assert result.options[0]["name"] == "nul\\x00"
    assert rules(result) == [("control-title", [1]), ("control-name", [1])]


def test_a_negative_count_is_set_to_0_and_reported():
    result = plan(topics=[topic(1, "A")], options=[{"id": 1, "name": "x", "date_created": THEN}],
                  polls=[{"id": 1, "topic_id": 1, "option_id": 1, "vote_count": -3}])
    assert [(row["vote_count"], row["adopted_count"]) for row in result.polls] == [(0, 0)]
    assert rules(result) == [("negative-count", [1])]
    assert "count was -3: set to 0" in result.repairs[0]["message"]


def test_unique_ids_that_are_not_of_the_shape_of_a_public_id_are_replaced():
    # The old app's hex ids too: a public id is 8 of votr's alphabet, nothing else.
    hostile = ["\x1b]0;PWN\x07", "[/x]", "[blink]Z", "ABC", "a-b", "x" * 17, "0000000001", "k3v9x2a",
               "k3v9x2abc", "k3v9x2a1", "K3V9X2AB", "k3v9x2ab"]
    result = plan(topics=[topic(n, f"T{n}", unique_id=value) for n, value in enumerate(hostile, 1)])
    ids = [row["public_id"] for row in result.topics]
    assert ids[-1] == "k3v9x2ab"
    assert all(is_public_id(public_id) for public_id in ids)
    assert rules(result) == [("public-id", [n]) for n in range(1, len(hostile))]


def test_users_without_a_usable_username_vote_by_e_mail_or_number():
    result = plan(topics=[topic(1, "A")],
                  users=[{"id": 1, "username": None, "email": "Ann@Example.org"},
                         {"id": 2, "username": "\x00", "email": None}],
                  user_polls=[{"id": 1, "topic_id": 1, "user_id": 1, "date_created": THEN},
                              {"id": 2, "topic_id": 1, "user_id": 2, "date_created": THEN}])
    assert [ballot["voter"] for ballot in result.ballots] == ["ann@example.org", "user-2"]
    assert rules(result) == [("voter-name", [1]), ("voter-name", [2])]
