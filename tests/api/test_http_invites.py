"""Invites over HTTP, on a real `votr serve`: the admin token invites, lists and revokes;
an invite token, sent as the bearer token of PATCH or DELETE /api/poll/vote, votes as its
own voter and does nothing else; every token that is not valid gets the one 403 message."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from votr_cli.core.invites import MSG_INVALID_LINK
from tests.sql import query

pytestmark = pytest.mark.schema_at_head

ADMIN = "admin-token-for-invites"


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def admin(start_server):
    return start_server(token=ADMIN)


def make_poll(server, title="Venue", **extra) -> str:
    made = server.post("/api/polls", json={"title": title, "options": ["lake", "city"], **extra})
    assert made.status_code == 201, made.text
    return made.json()["poll"]["id"]


def invite(server, poll: str, *voters: str, **extra) -> dict[str, str]:
    made = server.post(f"/api/poll/{poll}/invites", json={"voters": list(voters), **extra})
    assert made.status_code == 201, made.text
    return {entry["voter"]: entry for entry in made.json()["invites"]}


def test_the_admin_invites_lists_and_revokes(admin):
    poll = make_poll(admin, invite_only=True)
    assert admin.get(f"/api/poll/{poll}").json()["Polls"][0]["invite_only"] is True

    links = invite(admin, poll, "Ann", "bob")

    assert list(links) == ["Ann", "bob"]
    url = urlsplit(links["Ann"]["url"])
    # The server's own address, as the client reached it.
    assert f"{url.scheme}://{url.netloc}" == admin.url and url.path == f"/p/{poll}"
    assert parse_qs(url.query)["invite"] == [links["Ann"]["token"]]
    other = invite(admin, "Venue", "cy", base_url="https://polls.example.org/")
    assert other["cy"]["url"].startswith(f"https://polls.example.org/p/{poll}?invite=")

    listed = admin.get(f"/api/poll/{poll}/invites")
    assert listed.status_code == 200
    assert [(i["voter"], i["voted"]) for i in listed.json()["invites"]] == [("Ann", False), ("bob", False), ("cy", False)]
    assert "token" not in listed.text and links["Ann"]["token"] not in listed.text

    revoked = admin.delete(f"/api/poll/{poll}/invites/bob")
    assert revoked.status_code == 200 and revoked.json()["message"] == "Invite revoked"
    assert revoked.json()["voter"] == "bob"
    assert admin.delete(f"/api/poll/{poll}/invites/bob").status_code == 404
    assert admin.delete("/api/poll/nope/invites/bob").status_code == 404
    assert [i["voter"] for i in admin.get(f"/api/poll/{poll}/invites").json()["invites"]] == ["Ann", "cy"]


def test_invite_endpoints_need_the_admin_token(admin, start_server):
    poll = make_poll(admin)
    token = invite(admin, poll, "ann")["ann"]["token"]
    for credentials in ({}, bearer("wrong"), bearer(token)):
        assert admin.get(f"/api/poll/{poll}/invites", auth=False, headers=credentials).status_code == 401
        assert admin.post(f"/api/poll/{poll}/invites", auth=False, headers=credentials,
                          json={"voters": ["eve"]}).status_code == 401
        assert admin.delete(f"/api/poll/{poll}/invites/ann", auth=False, headers=credentials).status_code == 401
    # A server without an admin token has nobody who may manage invites.
    open_server = start_server()
    refused = open_server.post(f"/api/poll/{poll}/invites", json={"voters": ["eve"]})
    assert refused.status_code == 403 and "--token" in refused.json()["error"]
    assert open_server.get(f"/api/poll/{poll}/invites").status_code == 403
    assert [i["voter"] for i in admin.get(f"/api/poll/{poll}/invites").json()["invites"]] == ["ann"]


def test_an_invite_token_votes_as_its_voter(admin, database_url):
    poll = make_poll(admin, invite_only=True, allow_change=True)
    links = invite(admin, poll, "Ann", "bob")

    voted = admin.patch("/api/poll/vote", auth=False, headers=bearer(links["Ann"]["token"]),
                        json={"poll_id": poll, "option": "lake"})
    assert voted.status_code == 200, voted.text
    same = admin.patch("/api/poll/vote", auth=False, headers=bearer(links["bob"]["token"]),
                       json={"poll_title": "Venue", "option": "city", "voter": "BOB"})
    assert same.status_code == 200, same.text
    assert query(database_url, "SELECT voter FROM ballots ORDER BY voter") == [("ann",), ("bob",)]
    assert [i["voted"] for i in admin.get(f"/api/poll/{poll}/invites").json()["invites"]] == [True, True]

    withdrawn = admin.delete("/api/poll/vote", auth=False, headers=bearer(links["bob"]["token"]),
                             json={"poll_id": poll})
    assert withdrawn.status_code == 200, withdrawn.text
    assert query(database_url, "SELECT voter FROM ballots") == [("ann",)]


def test_an_invite_token_cannot_vote_as_another_or_do_anything_else(admin, database_url):
    poll = make_poll(admin, invite_only=True, allow_change=True)
    other = make_poll(admin, title="Other")
    token = invite(admin, poll, "ann", "bob")["ann"]["token"]

    as_bob = admin.patch("/api/poll/vote", auth=False, headers=bearer(token),
                         json={"poll_id": poll, "option": "lake", "voter": "bob"})
    assert as_bob.status_code == 403 and "invite token" in as_bob.json()["error"]
    withdraw_bob = admin.delete("/api/poll/vote", auth=False, headers=bearer(token),
                                json={"poll_id": poll, "voter": "bob"})
    assert withdraw_bob.status_code == 403
    # Another poll's vote: the token is this poll's only.
    elsewhere = admin.patch("/api/poll/vote", auth=False, headers=bearer(token),
                            json={"poll_id": other, "option": "lake"})
    assert elsewhere.status_code == 403 and elsewhere.json()["error"] == MSG_INVALID_LINK

    assert admin.post("/api/polls", auth=False, headers=bearer(token),
                      json={"title": "Mine", "options": ["a", "b"]}).status_code == 401
    assert admin.post(f"/api/poll/{poll}/close", auth=False, headers=bearer(token)).status_code == 401
    assert admin.post(f"/api/poll/{poll}/reopen", auth=False, headers=bearer(token)).status_code == 401
    assert query(database_url, "SELECT COUNT(*) FROM ballots") == [(0,)]
    assert [p["title"] for p in admin.get("/api/polls").json()["Polls"]] == ["Venue", "Other"]


def test_a_forged_or_revoked_token_gets_the_one_message(admin, database_url):
    poll = make_poll(admin, invite_only=True)
    token = invite(admin, poll, "ann")["ann"]["token"]
    assert admin.delete(f"/api/poll/{poll}/invites/ann").status_code == 200
    renewed = invite(admin, poll, "bob")["bob"]["token"]
    invite(admin, poll, "bob")  # a new invite revokes the old token

    for forged in (token, renewed, "x" * 43, "x" * 5000, token[:-1]):
        refused = admin.patch("/api/poll/vote", auth=False, headers=bearer(forged),
                              json={"poll_id": poll, "option": "lake"})
        assert refused.status_code == 403, forged
        assert refused.json() == {"error": MSG_INVALID_LINK}
    assert query(database_url, "SELECT COUNT(*) FROM ballots") == [(0,)]


def test_an_invite_only_poll_refuses_an_uninvited_voter_named_by_the_admin(admin, database_url):
    poll = make_poll(admin, invite_only=True)
    invite(admin, poll, "ann")

    refused = admin.patch("/api/poll/vote", json={"poll_id": poll, "option": "lake", "voter": "eve"})

    assert refused.status_code == 403 and "invite-only" in refused.json()["error"]
    assert admin.patch("/api/poll/vote", json={"poll_id": poll, "option": "lake"}).status_code == 400
    assert admin.patch("/api/poll/vote", json={"poll_id": poll, "option": "lake", "voter": "ann"}).status_code == 200
    assert query(database_url, "SELECT voter FROM ballots") == [("ann",)]


def test_invite_tokens_vote_on_a_server_without_an_admin_token(start_server, votr, database_url):
    server = start_server()
    poll = make_poll(server, invite_only=True)
    made = votr("invite", "Venue", "ann", "--json")  # invites come from the command line there
    assert made.exit_code == 0, made.stderr
    token = made.json()["invites"][0]["token"]

    assert server.patch("/api/poll/vote", headers=bearer("forged"),
                        json={"poll_id": poll, "option": "lake", "voter": "ann"}).status_code == 403
    voted = server.patch("/api/poll/vote", headers=bearer(token), json={"poll_id": poll, "option": "city"})
    assert voted.status_code == 200, voted.text
    assert query(database_url, "SELECT voter FROM ballots") == [("ann",)]


def test_an_invite_link_redirects_with_its_cookie_or_moves_on_from_a_page_when_opened_from_another_site(admin):
    poll = make_poll(admin, invite_only=True)
    link = invite(admin, poll, "ann")["ann"]["url"]
    path = urlsplit(link).path + "?" + urlsplit(link).query

    # A client that does not say where it comes from, or a browser opening it from this
    # site or from nowhere (a typed or pasted address): a 303 to the ballot.
    for came_from in ({}, {"Sec-Fetch-Site": "none"}, {"Sec-Fetch-Site": "same-origin"}):
        moved = admin.get(path, auth=False, headers=came_from, allow_redirects=False)
        assert moved.status_code == 303, came_from
        assert moved.headers["Location"] == f"/p/{poll}", came_from
        assert moved.headers["Referrer-Policy"] == "no-referrer"
        cookies = moved.raw.headers.getlist("Set-Cookie")
        invite_cookie, = [c for c in cookies if c.startswith("votr_invite=")]
        assert {"HttpOnly", "SameSite=Strict", f"Path=/p/{poll}"} <= {part.strip() for part in invite_cookie.split(";")}
    # From another site (a web mail): the page that moves on by itself, with the same cookie.
    page = admin.get(path, auth=False, headers={"Sec-Fetch-Site": "cross-site"}, allow_redirects=False)
    assert page.status_code == 200
    assert f'<meta http-equiv="refresh" content="0; url=/p/{poll}">' in page.text
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert any(c.startswith("votr_invite=") for c in page.raw.headers.getlist("Set-Cookie"))
    # A forged token is refused either way, with no cookie.
    for came_from in ({}, {"Sec-Fetch-Site": "cross-site"}):
        refused = admin.get(f"/p/{poll}?invite=forged", auth=False, headers=came_from, allow_redirects=False)
        assert refused.status_code == 403
        assert not any(c.startswith("votr_invite=") for c in refused.raw.headers.getlist("Set-Cookie"))
