"""Ballot policies over HTTP: creating polls with allow_change, results, secret and
quorum; changing a vote (PATCH) and withdrawing it (DELETE); results hidden from a
viewer (`?voter=`); every refusal's status, with nothing written."""

from __future__ import annotations

import pytest

from tests.sql import query

# Tests of what votr does with its tables, not of how it creates them (tests/conftest.py).
pytestmark = pytest.mark.schema_at_head

ABC = ["Apple", "Banana", "Cherry"]
POLICY_KEYS = ["allow_change", "results", "secret", "quorum", "quorum_reached", "results_hidden"]
WITHDRAWN = "Your vote was withdrawn"


def create(server, title, options=ABC, **extra):
    return server.post("/api/polls", json={"title": title, "options": list(options), **extra})


def created(server, title, options=ABC, **extra) -> dict:
    response = create(server, title, options, **extra)
    assert response.status_code == 201, response.text
    return response.json()["poll"]


def vote(server, poll_id, voter, **choice):
    return server.patch("/api/poll/vote", json={"poll_id": poll_id, "voter": voter, **choice})


def voted(server, poll_id, voter, message="Thank you for voting", **choice) -> dict:
    response = vote(server, poll_id, voter, **choice)
    assert response.status_code == 200, response.text
    assert response.json()["message"] == message
    return response.json()["poll"]


def unvote(server, voter, **poll):
    return server.delete("/api/poll/vote", json={"voter": voter, **poll})


def shown(server, poll_id, **params) -> dict:
    response = server.get(f"/api/poll/{poll_id}", params=params)
    assert response.status_code == 200, response.text
    (poll,) = response.json()["Polls"]
    return poll


def listed(server, poll_id, **params) -> dict:
    response = server.get("/api/polls", params=params)
    assert response.status_code == 200, response.text
    return {poll["id"]: poll for poll in response.json()["Polls"]}[poll_id]


def counts(poll) -> dict[str, int | None]:
    return {option["name"]: option["vote_count"] for option in poll["options"]}


def policies(poll) -> dict:
    return {key: poll[key] for key in POLICY_KEYS}


def assert_hidden(poll) -> None:
    assert poll["results_hidden"] is True
    assert set(counts(poll).values()) == {None}
    assert (poll["total_vote_count"], poll["winners"], poll.get("tally")) == (None, None, None)


def assert_visible(poll) -> None:
    assert poll["results_hidden"] is False
    assert None not in counts(poll).values()
    assert poll["total_vote_count"] is not None and poll["winners"] is not None


# -- creating -------------------------------------------------------------------------


def test_each_policy_is_taken_and_shown(server):
    default = created(server, "Default")
    assert policies(default) == {"allow_change": False, "results": "always", "secret": False, "quorum": None,
                                 "quorum_reached": True, "results_hidden": False}
    # null reads as absent, as for the other fields: the defaults apply.
    nulls = created(server, "Nulls", allow_change=None, results=None, secret=None, quorum=None)
    assert policies(nulls) == policies(default)
    explicit = created(server, "Explicit", allow_change=False, results="always", secret=False)
    assert policies(explicit) == policies(default)

    assert created(server, "Change", allow_change=True)["allow_change"] is True
    assert created(server, "Secret", secret=True)["secret"] is True
    assert created(server, "Quorum", quorum=3)["quorum"] == 3
    assert created(server, "Largest quorum", quorum=2 ** 31 - 1)["quorum"] == 2 ** 31 - 1
    voted_only = created(server, "Voted", results="voted")
    assert (voted_only["results"], voted_only["results_hidden"]) == ("voted", True)
    closed_only = created(server, "Closed", results="closed", kind="ranked", allow_change=True, quorum=1)
    assert policies(closed_only) == {"allow_change": True, "results": "closed", "secret": False, "quorum": 1,
                                     "quorum_reached": False, "results_hidden": True}
    # The list and show say the same, and the CLI reads what HTTP wrote.
    assert listed(server, closed_only["id"]) == closed_only
    assert policies(shown(server, closed_only["id"])) == policies(closed_only)


BAD_POLICIES = [
    ({"allow_change": "true"}, "allow_change must be true or false, not 'true'"),
    ({"allow_change": 1}, "allow_change must be true or false, not 1"),
    ({"secret": 0}, "secret must be true or false, not 0"),
    ({"secret": []}, "secret must be true or false"),
    ({"results": "Voted"}, "results must be one of always, voted, closed, not 'Voted'"),
    ({"results": "never"}, "results must be one of always, voted, closed"),
    ({"results": True}, "results must be one of always, voted, closed"),
    ({"results": ""}, "results must be one of always, voted, closed"),
    ({"quorum": 0}, "quorum must be a whole number from 1 to 2147483647, not 0"),
    ({"quorum": -2}, "quorum must be a whole number from 1 to 2147483647"),
    ({"quorum": 2.0}, "quorum must be a whole number from 1 to 2147483647, not 2.0"),
    ({"quorum": "2"}, "quorum must be a whole number from 1 to 2147483647, not '2'"),
    ({"quorum": True}, "quorum must be a whole number from 1 to 2147483647, not True"),
    # Past the largest INTEGER of every backend, and past what Python turns into text.
    ({"quorum": 2 ** 31}, "quorum must be a whole number from 1 to 2147483647, not 2147483648"),
    ({"quorum": 10 ** 400}, "quorum must be a whole number from 1 to 2147483647, not 1000"),
    ('"quorum": 1' + "0" * 5000, "request body is not valid JSON"),  # too long for json.dumps
    ({"secret": True, "allow_change": True}, "a secret poll cannot allow vote changes"),
]


def test_a_policy_of_the_wrong_type_or_value_is_400_and_nothing_is_written(server):
    for extra, words in BAD_POLICIES:
        if isinstance(extra, str):  # a raw JSON member
            refused = server.post("/api/polls", data=f'{{"title": "Never", "options": ["a", "b"], {extra}}}')
        else:
            refused = create(server, "Never", **extra)
        assert refused.status_code == 400, (extra, refused.text)
        assert words in refused.json()["error"], (extra, refused.json())
    assert server.get("/api/polls").json() == {"Polls": []}
    assert server.get("/api/polls/options").json() == []


# -- changing and withdrawing a vote --------------------------------------------------


def test_a_vote_is_changed_and_withdrawn_where_the_poll_allows_it(server):
    poll = created(server, "Lunch?", allow_change=True)
    voted(server, poll["id"], "ann", option="Apple")
    voted(server, poll["id"], "bob", option="Apple")
    changed = voted(server, poll["id"], "ANN", "Your vote was changed", option="cherry")
    assert counts(changed) == {"Apple": 1, "Banana": 0, "Cherry": 1}
    assert (changed["voter_count"], changed["total_vote_count"]) == (2, 2)

    # DELETE names the poll as a vote does: by poll_title (the old app's way) or poll_id.
    withdrawn = unvote(server, "ann", poll_title="Lunch?")
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["message"] == WITHDRAWN
    after = withdrawn.json()["poll"]
    assert counts(after) == {"Apple": 1, "Banana": 0, "Cherry": 0}
    assert (after["voter_count"], after["total_vote_count"], after["winners"]) == (1, 1, ["Apple"])
    assert shown(server, poll["id"]) == {**after, "tally": {"counts": {"Apple": 1, "Banana": 0, "Cherry": 0}}}

    # No ballot left to withdraw: 404, nothing changed.
    again = unvote(server, "Ann", poll_id=poll["id"])
    assert again.status_code == 404, again.text
    assert "'ann' has no vote in poll 'Lunch?'" in again.json()["error"]
    assert shown(server, poll["id"])["voter_count"] == 1
    # Having withdrawn, she votes anew.
    assert voted(server, poll["id"], "ann", option="Banana")["voter_count"] == 2
    bob_out = unvote(server, "bob", poll_id=poll["id"])
    assert bob_out.status_code == 200
    assert counts(bob_out.json()["poll"]) == {"Apple": 0, "Banana": 1, "Cherry": 0}


@pytest.mark.parametrize(("kind", "first", "second", "expected"), [
    ("multiple", {"options": ["Apple", "Banana"]}, {"options": ["Cherry"]}, {"Apple": 1, "Banana": 0, "Cherry": 2}),
    ("ranked", {"options": ["Apple", "Banana"]}, {"options": ["Cherry", "Apple"]},
     {"Apple": 1, "Banana": 0, "Cherry": 1}),
    ("score", {"scores": {"Apple": 5, "Banana": 1}}, {"scores": {"Cherry": 4}}, {"Apple": 2, "Banana": 0, "Cherry": 7}),
])
def test_changing_and_withdrawing_in_every_kind_keeps_the_counts_right(server, kind, first, second, expected):
    poll = created(server, kind, kind=kind, allow_change=True)
    other = {"multiple": {"options": ["Apple", "Cherry"]}, "ranked": {"options": ["Apple"]},
             "score": {"scores": {"Apple": 2, "Cherry": 3}}}[kind]
    voted(server, poll["id"], "bob", **other)
    voted(server, poll["id"], "ann", **first)
    changed = voted(server, poll["id"], "ann", "Your vote was changed", **second)
    assert counts(changed) == expected
    assert changed["voter_count"] == 2
    withdrawn = unvote(server, "ann", poll_id=poll["id"]).json()["poll"]
    alone = voted(server, created(server, f"{kind} alone", kind=kind)["id"], "bob", **other)
    # Withdrawing leaves the poll as if ann had never voted.
    assert (counts(withdrawn), withdrawn["voter_count"], withdrawn["winners"]) == (
        counts(alone), 1, alone["winners"])
    tally = shown(server, poll["id"])["tally"]
    assert tally is not None


# -- refusals -------------------------------------------------------------------------


def test_every_refusal_of_a_change_or_withdrawal_has_its_status_and_writes_nothing(start_server):
    server = start_server(token="t0k3n")
    fixed = created(server, "Fixed")
    voted(server, fixed["id"], "ann", option="Apple")
    changeable = created(server, "Changeable", allow_change=True)
    voted(server, changeable["id"], "ann", option="Apple")
    before = {poll_id: shown(server, poll_id) for poll_id in (fixed["id"], changeable["id"])}

    # Without allow_change: a second vote and a withdrawal are 409.
    second = vote(server, fixed["id"], "ANN", option="Banana")
    assert second.status_code == 409
    assert second.json()["error"].startswith("Sorry! multiple votes are not allowed")
    no_unvote = unvote(server, "ann", poll_id=fixed["id"])
    assert no_unvote.status_code == 409
    assert "does not allow changing or withdrawing a vote" in no_unvote.json()["error"]
    # No such poll: 404; a voter without a ballot: 404.
    assert unvote(server, "ann", poll_id="nope").status_code == 404
    assert unvote(server, "ann", poll_title="No such poll").status_code == 404
    assert unvote(server, "zed", poll_id=changeable["id"]).status_code == 404
    # A body that is not one: 400, as for a vote.
    for body, words in [({"poll_id": changeable["id"]}, "value for voter is empty"),
                        ({"voter": "ann"}, "value for poll_id or poll_title is empty"),
                        ({"poll_id": changeable["id"], "voter": 5}, "voter must be a string"),
                        ({"poll_id": ["x"], "voter": "ann"}, "poll_id must be a string"),
                        ([changeable["id"], "ann"], "request body must be a JSON object")]:
        refused = server.delete("/api/poll/vote", json=body)
        assert refused.status_code == 400, (body, refused.text)
        assert words in refused.json()["error"], (body, refused.json())
    empty = server.delete("/api/poll/vote")
    assert (empty.status_code, empty.json()) == (400, {"error": "request body must be a JSON object"})
    # The guard: no token 401, no JSON content type 415.
    assert server.delete("/api/poll/vote", auth=False,
                         json={"poll_id": changeable["id"], "voter": "ann"}).status_code == 401
    assert server.delete("/api/poll/vote", data='{"poll_id": "%s", "voter": "ann"}' % changeable["id"],
                         headers={"Content-Type": "text/plain"}).status_code == 415

    # A closed poll: changing and withdrawing are 409 even where changes are allowed.
    assert server.post(f"/api/poll/{changeable['id']}/close").status_code == 200
    before[changeable["id"]].update(status=False, close_date=shown(server, changeable["id"])["close_date"])
    late_change = vote(server, changeable["id"], "ann", option="Banana")
    assert late_change.status_code == 409 and "closed" in late_change.json()["error"]
    late_unvote = unvote(server, "ann", poll_id=changeable["id"])
    assert late_unvote.status_code == 409 and "closed" in late_unvote.json()["error"]

    for poll_id, poll in before.items():
        assert shown(server, poll_id) == poll


# -- hidden results -------------------------------------------------------------------


def test_results_voted_are_shown_only_to_a_viewer_who_voted(server):
    poll = created(server, "Secret ballot?", results="voted")
    plain = created(server, "Plain")
    assert_hidden(poll)
    # The reply to a vote is the voter's view: she has voted, so she sees the counts.
    after_ann = voted(server, poll["id"], "ann", option="Apple")
    assert_visible(after_ann)
    assert counts(after_ann) == {"Apple": 1, "Banana": 0, "Cherry": 0}

    # Without ?voter= nobody has voted: hidden in show and list, voter_count still shown.
    for view in (shown(server, poll["id"]), listed(server, poll["id"])):
        assert_hidden(view)
        assert view["voter_count"] == 1
    # A viewer who voted (any case) sees them; one who did not, or an empty name, does not.
    for name in ("ann", "ANN", " Ann "):
        assert_visible(shown(server, poll["id"], voter=name))
        assert_visible(listed(server, poll["id"], voter=name))
    assert shown(server, poll["id"], voter="ann")["tally"] == {"counts": {"Apple": 1, "Banana": 0, "Cherry": 0}}
    for name in ("bob", "", "x" * 500, "\u0000"):
        assert_hidden(shown(server, poll["id"], voter=name))
        assert_hidden(listed(server, poll["id"], voter=name))
    # A poll whose results are always shown is unaffected by who looks.
    assert_visible(listed(server, plain["id"]))
    assert_visible(listed(server, plain["id"], voter="bob"))

    # Once closed, everybody sees them.
    closed = server.post(f"/api/poll/{poll['id']}/close").json()["poll"]
    assert_visible(closed)
    assert_visible(shown(server, poll["id"]))
    assert listed(server, poll["id"])["winners"] == ["Apple"]


def test_results_closed_are_hidden_even_from_voters_until_close(server, votr_proc):
    poll = created(server, "Jury?", kind="ranked", method="schulze", results="closed")
    assert_hidden(voted(server, poll["id"], "ann", options=["Banana", "Apple"]))
    assert_hidden(voted(server, poll["id"], "bob", options=["Banana"]))
    assert_hidden(shown(server, poll["id"], voter="ann"))
    assert_hidden(listed(server, poll["id"], voter="ann"))
    # The command line hides them too, for the same viewer.
    assert votr_proc("show", poll["id"], "--json", "--voter", "ann").json()["Polls"][0] == \
        shown(server, poll["id"], voter="ann")
    closed = server.post(f"/api/poll/{poll['id']}/close").json()["poll"]
    assert_visible(closed)
    assert (closed["winners"], closed["total_vote_count"]) == (["Banana"], 2)
    assert "pairwise" in shown(server, poll["id"])["tally"]


# -- quorum ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["single", "ranked"])
def test_no_winners_until_the_quorum_is_reached(server, kind):
    poll = created(server, f"Quorum {kind}", kind=kind, quorum=2)
    assert (poll["winners"], poll["quorum_reached"]) == ([], False)
    choice = {"option": "Cherry"} if kind == "single" else {"options": ["Cherry"]}
    one = voted(server, poll["id"], "ann", **choice)
    assert (one["winners"], one["quorum_reached"], one["voter_count"], one["total_vote_count"]) == ([], False, 1, 1)
    assert shown(server, poll["id"])["winners"] == []
    two = voted(server, poll["id"], "bob", **choice)
    assert (two["winners"], two["quorum_reached"]) == (["Cherry"], True)
    assert listed(server, poll["id"])["winners"] == ["Cherry"]


# -- secret polls ---------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "choice"), [("single", {"option": "Banana"}),
                                              ("ranked", {"options": ["Banana", "Apple"]})])
def test_a_secret_polls_votes_are_counted_and_kept_apart_from_their_voters(server, database_url, kind, choice):
    poll = created(server, f"Secret {kind}", kind=kind, secret=True)
    voted(server, poll["id"], "ann", **choice)
    after = voted(server, poll["id"], "bob", **choice)
    assert (after["voter_count"], after["winners"], counts(after)["Banana"]) == (2, ["Banana"], 2)
    # One ballot per voter, and no ballot to change or withdraw.
    second = vote(server, poll["id"], "ann", **choice)
    assert second.status_code == 409 and second.json()["error"].startswith("Sorry! multiple votes")
    no_unvote = unvote(server, "ann", poll_id=poll["id"])
    assert no_unvote.status_code == 409
    assert shown(server, poll["id"])["voter_count"] == 2

    topic = "(SELECT id FROM topics WHERE public_id = :poll)"
    assert query(database_url, f"SELECT count(*) FROM ballots WHERE topic_id = {topic}", poll=poll["id"]) == [(0,)]
    assert sorted(query(database_url, f"SELECT voter FROM poll_voters WHERE topic_id = {topic}",
                        poll=poll["id"])) == [("ann",), ("bob",)]
    assert query(database_url, f"SELECT count(*) FROM secret_ballots WHERE topic_id = {topic}",
                 poll=poll["id"]) == [(2,)]
