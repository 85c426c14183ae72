"""An invite-only poll over HTTP: PATCH /api/poll/vote goes through the service's rule,
so a voter the poll has not invited is refused (NotInvited: 403) and nothing is
written; an invited voter votes; poll objects carry invite_only."""

from __future__ import annotations

from tests.sql import query


def test_an_uninvited_voter_is_refused_over_http_and_an_invited_one_votes(server, votr, database_url):
    made = votr("create", "Venue", "lake", "city", "--invite-only", "--json")
    assert made.exit_code == 0, made.stderr
    poll_id = made.json()["poll"]["id"]
    assert votr("invite", "Venue", "ann").exit_code == 0

    refused = server.patch("/api/poll/vote", json={"poll_id": poll_id, "option": "lake", "voter": "bob"})

    assert refused.status_code == 403
    assert "invite-only" in refused.json()["error"]
    assert query(database_url, "SELECT COUNT(*) FROM ballots") == [(0,)]

    accepted = server.patch("/api/poll/vote", json={"poll_id": poll_id, "option": "lake", "voter": "Ann"})
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["poll"]["invite_only"] is True
    listed = server.get("/api/polls").json()["Polls"]
    assert [poll["invite_only"] for poll in listed] == [True]
