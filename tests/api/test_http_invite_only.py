"""An invite-only poll over HTTP: PATCH and DELETE /api/poll/vote take its ballots only
from a caller who proves who votes, and only for a voter it invited: the voter's own
invite token, or the operator's admin token. A client that only names a voter, even an
invited one, is refused (NotInvited: 403) and nothing is written. Poll objects carry
invite_only."""

from __future__ import annotations

from tests.sql import query

ADMIN = "operator-token"


def invite_only_poll(votr, *voters: str, **poll) -> tuple[str, dict[str, str]]:
    made = votr("create", "Venue", "lake", "city", "--invite-only", *poll.get("flags", ()), "--json")
    assert made.exit_code == 0, made.stderr
    invited = votr("invite", "Venue", *voters, "--json")
    assert invited.exit_code == 0, invited.stderr
    return made.json()["poll"]["id"], {entry["voter"]: entry["token"] for entry in invited.json()["invites"]}


def test_a_client_without_a_token_cannot_vote_even_as_an_invited_voter(server, votr, database_url):
    poll_id, tokens = invite_only_poll(votr, "ann")

    for named in ("bob", "Ann"):
        refused = server.patch("/api/poll/vote", json={"poll_id": poll_id, "option": "lake", "voter": named})
        assert refused.status_code == 403, named
        assert "invite-only" in refused.json()["error"], named
    assert query(database_url, "SELECT COUNT(*) FROM ballots") == [(0,)]

    accepted = server.patch("/api/poll/vote", json={"poll_id": poll_id, "option": "lake"},
                            headers={"Authorization": f"Bearer {tokens['ann']}"})
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["poll"]["invite_only"] is True
    listed = server.get("/api/polls").json()["Polls"]
    assert [poll["invite_only"] for poll in listed] == [True]


def test_nobody_without_a_token_withdraws_an_invited_voters_ballot(server, votr, database_url):
    poll_id, tokens = invite_only_poll(votr, "ann", flags=["--allow-change"])
    ann = {"Authorization": f"Bearer {tokens['ann']}"}
    assert server.patch("/api/poll/vote", json={"poll_id": poll_id, "option": "lake"}, headers=ann).status_code == 200

    refused = server.delete("/api/poll/vote", json={"poll_id": poll_id, "voter": "ann"})
    assert refused.status_code == 403
    assert "invite-only" in refused.json()["error"]
    assert query(database_url, "SELECT COUNT(*) FROM ballots") == [(1,)]

    withdrawn = server.delete("/api/poll/vote", json={"poll_id": poll_id}, headers=ann)
    assert withdrawn.status_code == 200, withdrawn.text
    assert query(database_url, "SELECT COUNT(*) FROM ballots") == [(0,)]


def test_the_operator_may_vote_for_an_invited_voter_and_no_one_else(start_server, votr, database_url):
    server = start_server(token=ADMIN)
    poll_id, _ = invite_only_poll(votr, "ann")

    refused = server.patch("/api/poll/vote", json={"poll_id": poll_id, "option": "lake", "voter": "bob"})
    assert refused.status_code == 403
    assert refused.json()["error"] == "poll 'Venue' is invite-only and 'bob' is not invited"

    accepted = server.patch("/api/poll/vote", json={"poll_id": poll_id, "option": "city", "voter": "ANN"})
    assert accepted.status_code == 200, accepted.text
    assert query(database_url, "SELECT voter FROM ballots") == [("ann",)]
