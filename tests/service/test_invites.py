"""Invites at the service, on every backend: inviting makes one token per voter and
stores only its hash; inviting again revokes the old token; uninvite revokes; a token
finds its voter only in its own poll, and every bad token gets the same answer; an
invite-only poll refuses uninvited voters in `vote`, `ballot_paper` and `vote_batch`.
"""

from __future__ import annotations

import hashlib

import pytest
import sqlalchemy as sa

from votr_cli.core import invites as invite_rules
from votr_cli.core.errors import InvalidInput, NotFound, NotInvited, Refused
from votr_cli.db.tables import invites, topics
from votr_cli.service import invites as service
from votr_cli.service import polls
from votr_cli.service.polls import BatchLine

BAD_LINK = "this invite link is not valid (it may have been revoked)"


def stored(db) -> list:
    with db.engine.connect() as conn:
        return conn.execute(sa.select(invites).order_by(invites.c.id)).all()


def test_a_poll_is_open_to_everybody_unless_created_invite_only(db):
    assert polls.create_poll(db, "Open", ["a", "b"])["poll"]["invite_only"] is False
    made = polls.create_poll(db, "Closed door", ["a", "b"], invite_only=True)["poll"]
    assert made["invite_only"] is True
    assert list(made)[-1] == "invite_only"  # a key added after the others
    assert [poll["invite_only"] for poll in polls.list_polls(db)] == [False, True]
    assert polls.show_poll(db, "Closed door")["invite_only"] is True


def test_invite_makes_one_random_token_per_voter_and_stores_only_its_hash(db):
    made = polls.create_poll(db, "Venue", ["lake", "city"], invite_only=True)["poll"]

    given = service.invite(db, "Venue", ["Ann", "bob"])

    assert [entry["voter"] for entry in given] == ["Ann", "bob"]
    assert {entry["poll"] for entry in given} == {made["id"]}
    tokens = [entry["token"] for entry in given]
    assert len(set(tokens)) == 2 and all(len(token) == 43 for token in tokens)  # 256 bits, base64url
    rows = stored(db)
    assert [(row.voter, row.voter_name) for row in rows] == [("ann", "Ann"), ("bob", "bob")]
    assert [row.token_hash for row in rows] == [hashlib.sha256(token.encode()).hexdigest() for token in tokens]
    for row in rows:
        assert not any(token in str(value) for token in tokens for value in row)


def test_inviting_again_gives_a_new_token_and_revokes_the_old_one(db):
    polls.create_poll(db, "Venue", ["lake", "city"], invite_only=True)
    [first] = service.invite(db, "Venue", ["ann"])
    [second] = service.invite(db, "Venue", ["ANN"])

    assert first["token"] != second["token"]
    assert len(stored(db)) == 1
    assert service.voter_for_token(db, "Venue", second["token"]) == "ANN"
    with pytest.raises(NotInvited) as raised:
        service.voter_for_token(db, "Venue", first["token"])
    assert raised.value.message == BAD_LINK


def test_bad_voter_lists_are_refused_and_nothing_is_stored(db):
    polls.create_poll(db, "Venue", ["lake", "city"])
    for voters, message in (([], "value for voter is empty"),
                            (["ann", "Ann"], "voter 'ann' is listed twice"),
                            (["ann", "b\x1bc"], "voter contains a control character (U+001B)")):
        with pytest.raises(InvalidInput) as raised:
            service.invite(db, "Venue", voters)
        assert raised.value.message == message
    assert stored(db) == []
    with pytest.raises(NotFound):
        service.invite(db, "No such poll", ["ann"])


def test_every_bad_token_gets_the_same_answer(db):
    polls.create_poll(db, "Venue", ["lake", "city"], invite_only=True)
    polls.create_poll(db, "Other", ["a", "b"], invite_only=True)
    [ann] = service.invite(db, "Venue", ["ann"])
    [bob] = service.invite(db, "Venue", ["bob"])
    [other] = service.invite(db, "Other", ["cy"])
    service.uninvite(db, "Venue", "bob")

    assert service.voter_for_token(db, "Venue", ann["token"]) == "ann"
    assert service.voter_for_token(db, ann["poll"], ann["token"]) == "ann"
    forged = invite_rules.new_token()
    for token in (forged, bob["token"], other["token"], "", "x" * 10_000, ann["token"] + "x",
                  ann["token"].upper(), invite_rules.token_hash(ann["token"]), None, 42):
        with pytest.raises(NotInvited) as raised:
            service.voter_for_token(db, "Venue", token)
        assert raised.value.message == BAD_LINK
    assert isinstance(raised.value, Refused)
    with pytest.raises(NotFound):
        service.voter_for_token(db, "No such poll", ann["token"])


def test_uninvite_revokes_and_a_vote_cast_stays(db):
    polls.create_poll(db, "Venue", ["lake", "city"], invite_only=True)
    service.invite(db, "Venue", ["ann", "bob"])
    polls.vote(db, "Venue", "lake", "ann")

    revoked = service.uninvite(db, "Venue", "ANN")

    assert revoked["message"] == "Invite revoked"
    assert revoked["voter"] == "ann"
    assert revoked["poll"]["options"][0]["vote_count"] == 1
    assert [row.voter for row in stored(db)] == ["bob"]
    with pytest.raises(NotFound) as raised:
        service.uninvite(db, "Venue", "ann")
    assert raised.value.message == "'ann' has no invite to poll 'Venue'"
    with pytest.raises(NotInvited):
        polls.vote(db, "Venue", "city", "cy")


def test_list_invites_says_who_voted_never_a_token(db):
    polls.create_poll(db, "Venue", ["lake", "city"], invite_only=True)
    given = service.invite(db, "Venue", ["ann", "Bob"])
    polls.vote(db, "Venue", "lake", "bob")

    listed = service.list_invites(db, "Venue")

    assert [(entry["voter"], entry["voted"]) for entry in listed] == [("ann", False), ("Bob", True)]
    assert all(set(entry) == {"voter", "invited_at", "voted"} for entry in listed)
    assert all(entry["invited_at"].endswith("Z") for entry in listed)
    assert not any(entry["token"] in repr(listed) or invite_rules.token_hash(entry["token"]) in repr(listed)
                   for entry in given)


def test_a_secret_polls_invites_know_who_voted_from_its_voters(db):
    polls.create_poll(db, "Ballot", ["a", "b"], secret=True, invite_only=True)
    service.invite(db, "Ballot", ["ann", "bob"])
    polls.vote(db, "Ballot", "a", "ann")
    assert [(entry["voter"], entry["voted"]) for entry in service.list_invites(db, "Ballot")] == [
        ("ann", True), ("bob", False)]


def test_an_invite_only_poll_refuses_uninvited_voters_and_changes_nothing(db):
    polls.create_poll(db, "Venue", ["lake", "city"], invite_only=True)
    service.invite(db, "Venue", ["ann"])

    with pytest.raises(NotInvited) as raised:
        polls.vote(db, "Venue", "lake", "bob")
    assert raised.value.message == "poll 'Venue' is invite-only and 'bob' is not invited"
    with pytest.raises(NotInvited):
        polls.ballot_paper(db, "Venue", "bob")
    assert polls.show_poll(db, "Venue")["voter_count"] == 0

    assert polls.ballot_paper(db, "Venue", "Ann")["voted"] is False
    assert polls.vote(db, "Venue", "lake", "Ann")["message"] == "Thank you for voting"


def test_an_invite_only_poll_refuses_a_voter_the_caller_only_names(db):
    """An API client without a token names its voter: in an invite-only poll that is not
    enough, even for an invited voter; in an ordinary poll it is."""
    polls.create_poll(db, "Venue", ["lake", "city"], invite_only=True, allow_change=True)
    polls.create_poll(db, "Open", ["a", "b"], allow_change=True)
    service.invite(db, "Venue", ["ann"])

    with pytest.raises(NotInvited) as raised:
        polls.vote(db, "Venue", "lake", "ann", voter_proven=False)
    assert raised.value.message == "poll 'Venue' is invite-only: a ballot in it needs the voter's invite token"
    assert polls.show_poll(db, "Venue")["voter_count"] == 0
    assert polls.vote(db, "Venue", "lake", "ann")["message"] == "Thank you for voting"
    with pytest.raises(NotInvited):
        polls.unvote(db, "Venue", "ann", voter_proven=False)
    assert polls.show_poll(db, "Venue")["voter_count"] == 1

    assert polls.vote(db, "Open", "a", "bob", voter_proven=False)["message"] == "Thank you for voting"
    assert polls.unvote(db, "Open", "bob", voter_proven=False)["message"] == "Your vote was withdrawn"


def test_invites_to_a_poll_that_is_not_invite_only_change_nothing_about_voting(db):
    polls.create_poll(db, "Open", ["a", "b"])
    service.invite(db, "Open", ["ann"])
    assert polls.vote(db, "Open", "a", "bob")["message"] == "Thank you for voting"


def test_a_closed_poll_takes_invites_for_when_it_reopens(db):
    polls.create_poll(db, "Later", ["a", "b"], invite_only=True)
    polls.close_poll(db, "Later")
    service.invite(db, "Later", ["ann"])
    polls.reopen_poll(db, "Later")
    assert polls.vote(db, "Later", "a", "ann")["message"] == "Thank you for voting"


@pytest.mark.parametrize("policy", [{}, {"secret": True}, {"allow_change": True}])
def test_a_batch_refuses_each_uninvited_voters_line(db, policy):
    polls.create_poll(db, "Venue", ["lake", "city"], invite_only=True, **policy)
    polls.create_poll(db, "Open", ["a", "b"])
    service.invite(db, "Venue", ["ann", "bob"])
    lines = [BatchLine(1, "Venue", "lake", "ann"), BatchLine(2, "Venue", "city", "cy"),
             BatchLine(3, "Open", "a", "cy"), BatchLine(4, "Venue", "city", "BOB"),
             BatchLine(5, "Venue", "city")]

    summary = polls.vote_batch(db, lines, lambda: "dee")

    assert summary["accepted"] == 3
    assert [(entry["line"], type(entry["error"]), entry["error"].message) for entry in summary["rejected"]] == [
        (2, NotInvited, "poll 'Venue' is invite-only and 'cy' is not invited"),
        (5, NotInvited, "poll 'Venue' is invite-only and 'dee' is not invited")]
    assert polls.show_poll(db, "Venue")["voter_count"] == 2


def test_a_polls_invites_go_with_it(db):
    """Invites belong to their poll: the foreign key cascades."""
    polls.create_poll(db, "Venue", ["lake", "city"])
    service.invite(db, "Venue", ["ann"])
    with db.engine.begin() as conn:
        conn.execute(sa.delete(topics))
    assert stored(db) == []

