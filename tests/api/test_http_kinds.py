"""Poll kinds over HTTP: creating and voting in single, multiple, ranked and score polls
on a real `votr serve` process, and every refusal's status with nothing written."""

from __future__ import annotations

import pytest

# Tests of what votr does with its tables, not of how it creates them (tests/conftest.py).
pytestmark = pytest.mark.schema_at_head

ABC = ["Apple", "Banana", "Cherry"]


def create(server, title, options=ABC, **extra):
    return server.post("/api/polls", json={"title": title, "options": list(options), **extra})


def created(server, title, options=ABC, **extra) -> dict:
    response = create(server, title, options, **extra)
    assert response.status_code == 201, response.text
    return response.json()["poll"]


def vote(server, poll_id, voter, **choice):
    return server.patch("/api/poll/vote", json={"poll_id": poll_id, "voter": voter, **choice})


def voted(server, poll_id, voter, **choice) -> dict:
    response = vote(server, poll_id, voter, **choice)
    assert response.status_code == 200, response.text
    assert response.json()["message"] == "Thank you for voting"
    return response.json()["poll"]


def shown(server, poll_id) -> dict:
    response = server.get(f"/api/poll/{poll_id}")
    assert response.status_code == 200
    (poll,) = response.json()["Polls"]
    return poll


def counts(poll) -> dict[str, int]:
    return {option["name"]: option["vote_count"] for option in poll["options"]}


def test_a_poll_without_a_kind_is_single_and_says_so(server):
    poll = created(server, "Lunch?")
    assert list(poll) == ["id", "title", "status", "options", "close_date", "total_vote_count",
                          "kind", "method", "min_choices", "max_choices", "voter_count", "winners",
                          "allow_change", "results", "secret", "quorum", "quorum_reached", "results_hidden",
                          "invite_only"]
    assert (poll["kind"], poll["method"], poll["min_choices"], poll["max_choices"]) == ("single", "plurality", 1, 1)
    assert (poll["voter_count"], poll["winners"]) == (0, [])
    # Null reads as absent, as for close_date: the defaults apply.
    explicit = created(server, "Dinner?", kind="single", method="plurality")
    nulls = created(server, "Supper?", kind=None, method=None, min_choices=None, max_choices=None)
    for poll in (explicit, nulls):
        assert (poll["kind"], poll["method"], poll["min_choices"], poll["max_choices"]) == (
            "single", "plurality", 1, 1)

    after = voted(server, poll["id"], "ann", option="banana")
    assert counts(after) == {"Apple": 0, "Banana": 1, "Cherry": 0}
    assert (after["voter_count"], after["winners"], after["total_vote_count"]) == (1, ["Banana"], 1)
    assert shown(server, poll["id"])["tally"] == {"counts": {"Apple": 0, "Banana": 1, "Cherry": 0}}
    # The list carries the same poll, without the tally (that is the show endpoint's).
    listed = {poll["id"]: poll for poll in server.get("/api/polls").json()["Polls"]}
    assert listed[poll["id"]] == after
    assert "tally" not in listed[poll["id"]]


def test_multiple_choice_by_approval(server):
    poll = created(server, "Fruit salad?", kind="multiple", max_choices=2)
    assert (poll["kind"], poll["method"], poll["min_choices"], poll["max_choices"]) == ("multiple", "approval", 1, 2)
    voted(server, poll["id"], "ann", options=["Apple", "banana"])
    voted(server, poll["id"], "bob", option="Banana")  # one option is a ballot of one
    after = voted(server, poll["id"], "cid", options=["Cherry", "Banana"])
    assert counts(after) == {"Apple": 1, "Banana": 3, "Cherry": 1}
    assert (after["voter_count"], after["total_vote_count"], after["winners"]) == (3, 5, ["Banana"])
    assert shown(server, poll["id"])["tally"] == {"counts": {"Apple": 1, "Banana": 3, "Cherry": 1}}


def test_ranked_by_instant_runoff(server):
    poll = created(server, "Dessert?", kind="ranked")
    assert (poll["kind"], poll["method"], poll["min_choices"], poll["max_choices"]) == ("ranked", "irv", 1, 3)
    voted(server, poll["id"], "ann", options=["Apple", "Banana", "Cherry"])
    voted(server, poll["id"], "bob", options=["Banana", "Apple"])
    voted(server, poll["id"], "cid", options=["Cherry", "Banana"])
    after = voted(server, poll["id"], "dee", option="Banana")
    # First preferences: Apple 1, Banana 2, Cherry 1; no majority of 4, so Apple and
    # Cherry (fewest, tied) go together and their ballots move to Banana.
    assert counts(after) == {"Apple": 1, "Banana": 2, "Cherry": 1}
    assert (after["voter_count"], after["winners"]) == (4, ["Banana"])
    rounds = shown(server, poll["id"])["tally"]["rounds"]
    assert rounds[0] == {"counts": {"Apple": 1, "Banana": 2, "Cherry": 1}, "exhausted": 0,
                         "eliminated": ["Apple", "Cherry"]}
    assert rounds[-1]["counts"] == {"Banana": 4}


def test_ranked_by_schulze_with_bounds(server):
    poll = created(server, "Pie?", kind="ranked", method="schulze", min_choices=2, max_choices=2)
    assert (poll["method"], poll["min_choices"], poll["max_choices"]) == ("schulze", 2, 2)
    voted(server, poll["id"], "ann", options=["Apple", "Cherry"])
    voted(server, poll["id"], "bob", options=["Cherry", "Apple"])
    after = voted(server, poll["id"], "cid", options=["Cherry", "Banana"])
    assert after["winners"] == ["Cherry"]
    tally = shown(server, poll["id"])["tally"]
    assert tally["ranking"][0] == ["Cherry"]
    assert tally["pairwise"]["Cherry"] == {"Apple": 2, "Banana": 3}


def test_score_by_star_and_by_total(server):
    poll = created(server, "Smoothie?", kind="score")
    assert (poll["kind"], poll["method"], poll["min_choices"], poll["max_choices"]) == ("score", "star", 1, 3)
    voted(server, poll["id"], "ann", scores={"Apple": 5, "Banana": 3})
    voted(server, poll["id"], "bob", scores={"banana": 4, "Cherry": 1})
    after = voted(server, poll["id"], "cid", scores={"Apple": 0, "Banana": 2, "Cherry": 5})
    # Totals 5, 9, 6: Banana and Cherry meet in the runoff, Banana scored higher by two.
    assert counts(after) == {"Apple": 5, "Banana": 9, "Cherry": 6}
    assert (after["voter_count"], after["winners"]) == (3, ["Banana"])
    tally = shown(server, poll["id"])["tally"]
    assert tally["scores"] == {"Apple": 5, "Banana": 9, "Cherry": 6}
    assert tally["runoff"] == {"finalists": ["Banana", "Cherry"], "preferred": {"Banana": 2, "Cherry": 1},
                               "equal": 0}

    by_total = created(server, "Juice?", kind="score", method="score")
    voted(server, by_total["id"], "ann", options=["Apple=5"])  # the command line's form
    after = voted(server, by_total["id"], "bob", scores={"Apple": 1, "Cherry": 5})
    assert (counts(after), after["winners"]) == ({"Apple": 6, "Banana": 0, "Cherry": 5}, ["Apple"])
    assert shown(server, by_total["id"])["tally"] == {"counts": {"Apple": 6, "Banana": 0, "Cherry": 5}}


# Bodies POST /api/polls refuses with 400: (extra fields, a word the error must contain).
BAD_NEW_POLLS = [
    ({"kind": 1}, "kind"), ({"kind": ""}, "kind"), ({"kind": "Ranked"}, "kind"), ({"kind": "approval"}, "kind"),
    ({"kind": True}, "kind"), ({"kind": ["ranked"]}, "kind"),
    ({"method": "borda"}, "method"), ({"method": 3}, "method"), ({"method": ""}, "method"),
    ({"method": "irv"}, "method"), ({"kind": "ranked", "method": "approval"}, "method"),
    ({"kind": "score", "method": "plurality"}, "method"),
    ({"kind": "multiple", "min_choices": True}, "min_choices"),
    ({"kind": "multiple", "min_choices": "2"}, "min_choices"),
    ({"kind": "multiple", "min_choices": 2.5}, "min_choices"),
    ({"kind": "multiple", "min_choices": 2.0}, "min_choices"),
    ({"kind": "multiple", "min_choices": 0}, "min_choices"),
    ({"kind": "multiple", "max_choices": -1}, "max_choices"),
    ({"kind": "multiple", "max_choices": [2]}, "max_choices"),
    ({"kind": "multiple", "max_choices": 4}, ""),
    ({"kind": "ranked", "min_choices": 10 ** 30}, ""),
    ({"kind": "ranked", "min_choices": 3, "max_choices": 2}, ""),
    ({"min_choices": 1}, ""), ({"kind": "single", "max_choices": 1}, ""),
    ({"kind": "score", "max_choices": 3}, ""),
]


def test_a_bad_kind_method_or_bound_is_400_and_creates_nothing(server):
    for extra, word in BAD_NEW_POLLS:
        refused = create(server, "Never", **extra)
        assert refused.status_code == 400, (extra, refused.text)
        assert word in refused.json()["error"], (extra, refused.json())
    assert server.get("/api/polls").json() == {"Polls": []}
    assert server.get("/api/polls/options").json() == []


# Ballots PATCH /api/poll/vote refuses, per poll kind: (choice fields, status).
BAD_BALLOTS = {
    "single": [({"options": ["Apple", "Banana"]}, 400), ({"scores": {"Apple": 5}}, 400),
               ({"options": []}, 400), ({"option": "Durian"}, 404)],
    "multiple": [({"options": ["Apple", "Banana", "Cherry"]}, 400), ({"options": ["Apple", "apple"]}, 400),
                 ({"options": []}, 400), ({"scores": {"Apple": 1}}, 400), ({"options": ["Apple", "Durian"]}, 404)],
    "ranked": [({"options": ["Banana", "Banana"]}, 400), ({"scores": {"Apple": 1}}, 400),
               ({"options": ["Durian"]}, 404)],
    "score": [({"option": "Apple"}, 400), ({"options": ["Apple"]}, 400), ({"scores": {}}, 400),
              ({"scores": {"Apple": 5, "apple": 4}}, 400), ({"scores": {"Durian": 3}}, 404),
              ({"scores": {"Apple": 2, "Durian": 3}}, 404)],
}
# Refused by the body's own model, whatever the poll: (choice fields, words of the error).
BAD_CHOICES = [
    ({}, "exactly one of option, options or scores"), ({"option": None, "options": None}, "none was given"),
    ({"option": "Apple", "options": ["Apple"]}, "not option and options"),
    ({"option": "", "scores": {"Apple": 1}}, "not option and scores"),
    ({"options": ["Apple"], "scores": {"Apple": 1}}, "not options and scores"),
    ({"option": ""}, "value for option is empty"), ({"option": 3}, "option must be a string"),
    ({"options": "Apple"}, "options must be a list of strings"),
    ({"options": ["Apple", 2]}, "options must be a list of strings"),
    ({"options": {"Apple": 1}}, "options must be a list of strings"),
    ({"scores": ["Apple"]}, "scores must be an object"), ({"scores": 5}, "scores must be an object"),
    ({"scores": {"Apple": "3"}}, "the score of 'Apple' must be an integer from 0 to 5, not '3'"),
    ({"scores": {"Apple": True}}, "not True"), ({"scores": {"Apple": 6}}, "not 6"),
    ({"scores": {"Apple": -1}}, "not -1"), ({"scores": {"Apple": 2.5}}, "not 2.5"),
    ({"scores": {"Apple": 3.0}}, "not 3.0"), ({"scores": {"Apple": None}}, "not None"),
    ({"scores": {"Apple": 10 ** 400}}, "must be an integer from 0 to 5"),
]


@pytest.fixture
def one_poll_of_each_kind(server) -> dict[str, str]:
    return {"single": created(server, "Single")["id"],
            "multiple": created(server, "Multiple", kind="multiple", max_choices=2)["id"],
            "ranked": created(server, "Ranked", kind="ranked")["id"],
            "score": created(server, "Score", kind="score")["id"]}


def test_a_ballot_that_does_not_fit_is_refused_and_nothing_is_written(server, one_poll_of_each_kind):
    for kind, poll_id in one_poll_of_each_kind.items():
        for choice, status in BAD_BALLOTS[kind]:
            refused = vote(server, poll_id, "ann", **choice)
            assert refused.status_code == status, (kind, choice, refused.text)
            assert refused.json()["error"], (kind, choice)
        for choice, words in BAD_CHOICES:
            refused = vote(server, poll_id, "ann", **choice)
            assert refused.status_code == 400, (kind, choice, refused.text)
            assert words in refused.json()["error"], (kind, choice, refused.json())
        poll = shown(server, poll_id)
        assert (poll["voter_count"], poll["total_vote_count"], poll["winners"]) == (0, 0, []), kind
    # Nothing was written for ann: she can still vote in each.
    good = {"single": {"option": "Apple"}, "multiple": {"options": ["Apple"]},
            "ranked": {"options": ["Apple"]}, "score": {"scores": {"Apple": 4}}}
    for kind, poll_id in one_poll_of_each_kind.items():
        assert voted(server, poll_id, "ann", **good[kind])["voter_count"] == 1, kind


def test_closed_polls_and_second_ballots_are_409_in_every_kind(server, one_poll_of_each_kind):
    good = {"single": {"option": "Apple"}, "multiple": {"options": ["Apple", "Cherry"]},
            "ranked": {"options": ["Cherry", "Apple"]}, "score": {"scores": {"Cherry": 2}}}
    for kind, poll_id in one_poll_of_each_kind.items():
        voted(server, poll_id, "ann", **good[kind])
        again = vote(server, poll_id, "ANN", **good[kind])
        assert again.status_code == 409, (kind, again.text)
        assert again.json()["error"].startswith("Sorry! multiple votes are not allowed")
        assert server.post(f"/api/poll/{poll_id}/close").status_code == 200
        closed = vote(server, poll_id, "bob", **good[kind])
        assert closed.status_code == 409, (kind, closed.text)
        assert "closed" in closed.json()["error"]
        assert shown(server, poll_id)["voter_count"] == 1, kind


def test_the_cli_and_http_show_the_same_poll_and_tally(server, votr_proc):
    poll_id = created(server, "Ranked both ways", kind="ranked", method="schulze")["id"]
    voted(server, poll_id, "ann", options=["Cherry", "Apple"])
    assert votr_proc("vote", poll_id, "Apple", "Banana", "--voter", "bob").exit_code == 0
    # One rule for both: the voter who voted over HTTP is refused by the CLI.
    assert votr_proc("vote", poll_id, "Banana", "--voter", "Ann").exit_code == 4
    cli_view = votr_proc("show", poll_id, "--json").json()["Polls"][0]
    assert cli_view == shown(server, poll_id)
    assert cli_view["voter_count"] == 2 and "pairwise" in cli_view["tally"]
