"""Poll kinds at the service: multiple choice, ranked (IRV, Schulze) and score (STAR,
score) polls, created, voted in one at a time and in batches, and counted, on every
backend. Every refusal leaves the database as it was.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from votr_cli.core.errors import InvalidInput, NotFound, Refused
from votr_cli.db.tables import ballots, topics
from votr_cli.service import polls as service
from votr_cli.service.polls import BatchLine

M, N, C, K = "Memphis", "Nashville", "Chattanooga", "Knoxville"
# Wikipedia's Tennessee capital example: 42 % near Memphis, 26 % Nashville, 15 %
# Chattanooga, 17 % Knoxville, each preferring the cities nearest to them.
TENNESSEE = [((M, N, C, K), 42), ((N, C, K, M), 26), ((C, K, N, M), 15), ((K, C, N, M), 17)]


def ballots_of(profile):
    voter = 0
    for ranking, count in profile:
        for _ in range(count):
            voter += 1
            yield f"voter{voter}", list(ranking)


def cast(db, poll: str, profile) -> dict:
    lines = [BatchLine(number, poll, voter=voter, options=tuple(ranking))
             for number, (voter, ranking) in enumerate(ballots_of(profile), start=1)]
    summary = service.vote_batch(db, lines, lambda: "nobody")
    assert summary["rejected"] == []
    return summary


def stored_state(db) -> tuple:
    with db.engine.connect() as conn:
        return (conn.execute(sa.select(ballots.c.topic_id, ballots.c.voter, ballots.c.choices)
                             .order_by(ballots.c.id)).all(),
                conn.execute(sa.select(topics.c.id, topics.c.voter_count).order_by(topics.c.id)).all(),
                [poll["options"] for poll in service.list_polls(db)])


def test_each_kind_has_its_default_method_and_bounds(db):
    made = {kind: service.create_poll(db, kind, ["a", "b", "c"], kind=kind)["poll"]
            for kind in ("single", "multiple", "ranked", "score")}
    shapes = {kind: (poll["method"], poll["min_choices"], poll["max_choices"], poll["voter_count"], poll["winners"])
              for kind, poll in made.items()}
    assert shapes == {"single": ("plurality", 1, 1, 0, []), "multiple": ("approval", 1, 3, 0, []),
                      "ranked": ("irv", 1, 3, 0, []), "score": ("star", 1, 3, 0, [])}


@pytest.mark.parametrize("kind, method, least, most, message", [
    ("approval", None, None, None, "kind must be one of single, multiple, ranked, score, not 'approval'"),
    ("ranked", "star", None, None, "method 'star' does not fit a ranked poll: use irv or schulze"),
    ("single", "irv", None, None, "method 'irv' does not fit a single poll: use plurality"),
    ("single", None, 1, None, "min and max choices are only for multiple and ranked polls, not single"),
    ("score", None, None, 2, "min and max choices are only for multiple and ranked polls, not score"),
    ("multiple", None, 3, 2, "min choices (3) is more than max choices (2)"),
    ("ranked", None, None, 4, "max choices (4) is more than the poll's 3 options"),
    ("multiple", None, 0, None, "min choices must be a whole number of at least 1, not 0"),
])
def test_a_shape_that_does_not_fit_is_refused_and_nothing_is_made(db, kind, method, least, most, message):
    with pytest.raises(InvalidInput) as raised:
        service.create_poll(db, "Bad", ["a", "b", "c"], kind=kind, method=method, min_choices=least,
                            max_choices=most)
    assert raised.value.message == message
    assert service.poll_count(db) == 0


def test_tennessee_irv_elects_knoxville_round_by_round(db):
    service.create_poll(db, "Capital", [M, N, C, K], kind="ranked")
    cast(db, "Capital", TENNESSEE)
    poll = service.show_poll(db, "Capital")
    assert poll["winners"] == [K]
    assert poll["voter_count"] == 100
    assert [o["vote_count"] for o in poll["options"]] == [42, 26, 15, 17]  # first preferences
    assert poll["total_vote_count"] == 100
    assert [r["eliminated"] for r in poll["tally"]["rounds"]] == [[C], [N], []]
    assert poll["tally"]["rounds"][-1]["counts"] == {M: 42, K: 58}


def test_tennessee_schulze_elects_nashville_and_plurality_memphis(db):
    service.create_poll(db, "Schulze", [M, N, C, K], kind="ranked", method="schulze")
    service.create_poll(db, "Plurality", [M, N, C, K])
    cast(db, "Schulze", TENNESSEE)
    lines = [BatchLine(number, "Plurality", ranking[0], voter)
             for number, (voter, ranking) in enumerate(ballots_of(TENNESSEE), start=1)]
    service.vote_batch(db, lines, lambda: "nobody")
    schulze = service.show_poll(db, "Schulze")
    assert schulze["winners"] == [N]
    assert schulze["tally"]["ranking"] == [[N], [C], [K], [M]]
    assert schulze["tally"]["pairwise"][N][M] == 58
    assert service.show_poll(db, "Plurality")["winners"] == [M]


def test_a_listing_gives_the_same_winners_as_show(db):
    service.create_poll(db, "Capital", [M, N, C, K], kind="ranked")
    service.create_poll(db, "Plain", ["x", "y"])
    cast(db, "Capital", TENNESSEE)
    for listed in service.list_polls(db):
        shown = service.show_poll(db, listed["id"])
        assert listed == {key: value for key, value in shown.items() if key != "tally"}
    assert [poll["winners"] for poll in service.list_polls(db, "open")] == [[K], []]


def test_multiple_choice_counts_ballots_choosing_each_option(db):
    service.create_poll(db, "Lunch", ["pizza", "sushi", "tacos"], kind="multiple", min_choices=1, max_choices=2)
    service.vote(db, "Lunch", ["tacos", "pizza"], "ann")
    voted = service.vote(db, "Lunch", ["Pizza"], "bo")["poll"]
    assert [o["vote_count"] for o in voted["options"]] == [2, 0, 1]
    assert voted["voter_count"] == 2 and voted["total_vote_count"] == 3
    assert voted["winners"] == ["pizza"]
    assert service.show_poll(db, "Lunch")["tally"] == {"counts": {"pizza": 2, "sushi": 0, "tacos": 1}}


@pytest.mark.parametrize("options, error, message", [
    (["pizza", "sushi", "tacos"], InvalidInput, "this multiple poll takes from 1 to 2 options, not 3"),
    ([], InvalidInput, "this multiple poll takes from 1 to 2 options, not 0"),
    (["pizza", " PIZZA "], InvalidInput, "option 'PIZZA' is given twice"),
    (["pizza", "noodles"], NotFound, "poll 'Lunch' has no option 'noodles' (its options: 'pizza', 'sushi', 'tacos')"),
    (["pizza=5"], NotFound, "poll 'Lunch' has no option 'pizza=5' (its options: 'pizza', 'sushi', 'tacos')"),
])
def test_a_ballot_that_does_not_fit_writes_nothing(db, options, error, message):
    service.create_poll(db, "Lunch", ["pizza", "sushi", "tacos"], kind="multiple", max_choices=2)
    service.vote(db, "Lunch", ["sushi"], "early")
    before = stored_state(db)
    with pytest.raises(error) as raised:
        service.vote(db, "Lunch", options, "ann")
    assert raised.value.message == message
    assert stored_state(db) == before


def test_ranked_bounds_and_order(db):
    service.create_poll(db, "Capital", [M, N, C, K], kind="ranked", min_choices=2, max_choices=3)
    with pytest.raises(InvalidInput, match="from 2 to 3 options, not 1"):
        service.vote(db, "Capital", [M], "ann")
    poll = service.vote(db, "Capital", [K, M, N], "ann")["poll"]
    assert [o["vote_count"] for o in poll["options"]] == [0, 0, 0, 1]
    with db.engine.connect() as conn:
        assert conn.execute(sa.select(ballots.c.choices, ballots.c.option_id)).one() == ("DAB", None)


def test_score_ballots_and_star(db):
    service.create_poll(db, "Logo", ["red", "blue", "green"], kind="score")
    service.vote(db, "Logo", ["red=5", "blue=4"], "ann")
    service.vote(db, "Logo", ["blue=5", "red=3", "green=1"], "bo")
    service.vote(db, "Logo", ["green=5"], "cy", scores=None)
    poll = service.show_poll(db, "Logo")
    assert [o["vote_count"] for o in poll["options"]] == [8, 9, 6]  # sums of scores
    assert poll["voter_count"] == 3 and poll["total_vote_count"] == 23
    assert poll["tally"]["scores"] == {"red": 8, "blue": 9, "green": 6}
    assert poll["tally"]["runoff"]["finalists"] == ["red", "blue"]
    # red over blue: ann; blue over red: bo; equal: cy (0, 0). Tied runoff -> higher total.
    assert poll["tally"]["runoff"]["preferred"] == {"red": 1, "blue": 1}
    assert poll["winners"] == ["blue"]


def test_score_method_highest_total_and_scores_given_as_pairs(db):
    service.create_poll(db, "Logo", ["red", "blue"], kind="score", method="score")
    service.vote(db, "Logo", [], "ann", scores=[("red", 2), ("blue", 3)])
    service.vote(db, "Logo", [], "bo", scores={"Red": 4})
    poll = service.show_poll(db, "Logo")
    assert poll["winners"] == ["red"] and poll["tally"] == {"counts": {"red": 6, "blue": 3}}


@pytest.mark.parametrize("options, message", [
    (["red=6"], "the score of 'red' must be from 0 to 5, not 6"),
    (["red=-1"], "the score of 'red' must be from 0 to 5, not -1"),
    (["red=five"], "the score of 'red' must be an integer from 0 to 5, not 'five'"),
    (["red"], "'red' is not OPTION=SCORE"),
    (["=3"], "'=3' is not OPTION=SCORE"),
    (["red=1", "RED=2"], "option 'RED' is given twice"),
    ([], "a score ballot names at least one option with its score"),
])
def test_a_bad_score_ballot_is_invalid_and_writes_nothing(db, options, message):
    service.create_poll(db, "Logo", ["red", "blue"], kind="score")
    before = stored_state(db)
    with pytest.raises(InvalidInput) as raised:
        service.vote(db, "Logo", options, "ann")
    assert raised.value.message == message
    assert stored_state(db) == before


def test_an_option_name_with_an_equals_sign_splits_at_the_last_one(db):
    service.create_poll(db, "Maths", ["a=b", "c"], kind="score")
    poll = service.vote(db, "Maths", ["a=b=4"], "ann")["poll"]
    assert [o["vote_count"] for o in poll["options"]] == [4, 0]


def test_scores_are_refused_by_other_kinds(db):
    service.create_poll(db, "Lunch", ["pizza", "sushi"], kind="multiple")
    with pytest.raises(InvalidInput, match="a multiple poll takes options, not scores"):
        service.vote(db, "Lunch", [], "ann", scores=[("pizza", 3)])


@pytest.mark.parametrize("kind, ballot", [("multiple", ["a"]), ("ranked", ["b", "a"]), ("score", ["a=3"])])
def test_one_ballot_per_voter_and_none_in_a_closed_poll(db, kind, ballot):
    service.create_poll(db, "Poll", ["a", "b"], kind=kind)
    service.vote(db, "Poll", ballot, "ann")
    with pytest.raises(Refused, match="multiple votes are not allowed"):
        service.vote(db, "Poll", ballot, "ANN")
    service.close_poll(db, "Poll")
    with pytest.raises(Refused, match="is closed"):
        service.vote(db, "Poll", ballot, "bo")
    assert service.show_poll(db, "Poll")["voter_count"] == 1


def test_a_batch_mixes_kinds_and_judges_each_line(db):
    service.create_poll(db, "Single", ["a", "b"])
    service.create_poll(db, "Ranked", ["a", "b", "c"], kind="ranked", max_choices=2)
    service.create_poll(db, "Score", ["a", "b"], kind="score")
    lines = [
        BatchLine(1, "Single", "a", "ann"),
        BatchLine(2, "Ranked", voter="ann", options=("c", "a")),
        BatchLine(3, "Ranked", voter="bo", options=("a", "b", "c")),
        BatchLine(4, "Score", voter="ann", scores=(("a", 5), ("b", 1))),
        BatchLine(5, "Score", voter="bo", scores=(("a", 9),)),
        BatchLine(6, "Ranked", voter="ann", options=("a",)),
        BatchLine(7, "Single", voter="bo", options=("b",)),
        BatchLine(8, "Ranked", voter="cy", options=("a", "a")),
        BatchLine(9, "Single", voter="cy", scores=(("a", 1),)),
    ]
    summary = service.vote_batch(db, lines, lambda: "nobody")
    assert summary["accepted"] == 4
    assert [(entry["line"], type(entry["error"]).__name__, entry["error"].message) for entry in summary["rejected"]] == [
        (3, "InvalidInput", "this ranked poll takes from 1 to 2 options, not 3"),
        (5, "InvalidInput", "the score of 'a' must be from 0 to 5, not 9"),
        (6, "Refused", "Sorry! multiple votes are not allowed: 'ann' has already voted in this poll"),
        (8, "InvalidInput", "option 'a' is given twice"),
        (9, "InvalidInput", "a single poll takes options, not scores"),
    ]
    shown = {poll["title"]: ([o["vote_count"] for o in poll["options"]], poll["voter_count"])
             for poll in service.list_polls(db)}
    assert shown == {"Single": ([1, 1], 2), "Ranked": ([0, 0, 1], 1), "Score": ([5, 1], 1)}
