"""Invites: who may vote in an invite-only poll, and the secret links that sign them in.

`invite` gives each voter a new random token (core/invites.new_token) and stores only its
SHA-256; the caller turns each token into a link (core/invites.invite_url) and hands it
to its voter. The token itself is never stored, so it cannot be shown again: inviting a
voter again gives them a new one and revokes the old. `vote` (service/polls.py) refuses
the voters an invite-only poll has not invited; `voter_for_token` is how a web page
finds who an invite link belongs to.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, delete, insert, select
from sqlalchemy.exc import IntegrityError

from votr_cli.core import invites as invite_rules
from votr_cli.core import text
from votr_cli.core.errors import InvalidInput
from votr_cli.core.when import iso_utc, utcnow
from votr_cli.db.database import Database, WriteConflict
from votr_cli.db.tables import ballots, invites, poll_voters
from votr_cli.service.polls import _find_topic, _poll_by_topic_id

MAX_VOTERS_PER_CALL = 10_000
# Tokens are 43 characters; anything much longer is not one and is not even hashed.
MAX_TOKEN_LENGTH = 200


def _voters(voters: Sequence[str]) -> list[tuple[str, str]]:
    """The voters to invite as (normalised name, display name), each checked as `vote`
    checks a voter; a voter named twice is refused."""
    if isinstance(voters, str):
        voters = [voters]
    if not voters:
        raise text.empty("voter")
    if len(voters) > MAX_VOTERS_PER_CALL:
        raise InvalidInput(f"at most {MAX_VOTERS_PER_CALL} voters can be invited at once, not {len(voters)}")
    found: dict[str, str] = {}
    for voter in voters:
        if not isinstance(voter, str):
            raise InvalidInput(f"a voter must be text, not {type(voter).__name__}")
        key = text.voter_name(voter)
        if key in found:
            raise InvalidInput(f"voter {key!r} is listed twice")
        found[key] = text.clean(voter, "voter", text.MAX_VOTER)
    return list(found.items())


def invite(db: Database, ref: str, voters: Sequence[str]) -> list[dict]:
    """Invite each voter to poll `ref` with a new secret token: [{"voter", "token",
    "poll"}] in the order given (`voter`: the name as typed, `poll`: the poll's id). A
    voter invited before gets a new token, and their old one stops working. Any poll
    takes invites, open or closed, invite-only or not."""
    wanted = _voters(voters)

    def work(conn: Connection) -> list[dict]:
        topic = _find_topic(conn, ref)
        now = utcnow()
        tokens = [invite_rules.new_token() for _ in wanted]
        keys = [key for key, _ in wanted]
        for start in range(0, len(keys), 500):
            conn.execute(delete(invites).where(invites.c.topic_id == topic.id,
                                               invites.c.voter.in_(keys[start:start + 500])))
        rows = [{"topic_id": topic.id, "voter": key, "voter_name": display,
                 "token_hash": invite_rules.token_hash(token), "invited_at": now}
                for (key, display), token in zip(wanted, tokens)]
        try:
            conn.execute(insert(invites), rows)
        except IntegrityError:
            # A concurrent `invite` of the same voter committed first (servers only):
            # run again, which revokes that invite in turn.
            raise WriteConflict("another invite of the same voter was being written; run it again") from None
        return [{"voter": display, "token": token, "poll": topic.public_id}
                for (_, display), token in zip(wanted, tokens)]

    return db.write(work)


def list_invites(db: Database, ref: str) -> list[dict]:
    """The voters invited to poll `ref`, in the order they were invited: [{"voter",
    "invited_at", "voted"}]. Never a token or its hash. In a secret poll `voted` comes from
    who voted (poll_voters), which is known; what they chose is not."""
    with db.reading() as conn:
        topic = _find_topic(conn, ref)
        rows = conn.execute(select(invites.c.voter, invites.c.voter_name, invites.c.invited_at)
                            .where(invites.c.topic_id == topic.id)
                            .order_by(invites.c.invited_at, invites.c.id)).all()
        table = poll_voters if topic.secret else ballots
        voted = set(conn.execute(select(table.c.voter).where(table.c.topic_id == topic.id)).scalars())
        return [{"voter": row.voter_name, "invited_at": iso_utc(row.invited_at), "voted": row.voter in voted}
                for row in rows]


def uninvite(db: Database, ref: str, voter: str) -> dict:
    """Revoke the voter's invite to poll `ref` (NotFound when they have none). A ballot
    they cast stays. {"message", "voter", "poll"}."""
    voter_key = text.voter_name(voter)

    def work(conn: Connection) -> dict:
        topic = _find_topic(conn, ref)
        row = conn.execute(select(invites.c.id, invites.c.voter_name)
                           .where(invites.c.topic_id == topic.id, invites.c.voter == voter_key)).one_or_none()
        if row is None:
            raise invite_rules.no_invite(topic.title, voter_key)
        conn.execute(delete(invites).where(invites.c.id == row.id))
        return {"message": invite_rules.MSG_UNINVITED, "voter": row.voter_name,
                "poll": _poll_by_topic_id(conn, topic.id, utcnow())}

    return db.write(work)


def voter_for_token(db: Database, ref: str, token: str) -> str:
    """The display name of the voter whose invite link to poll `ref` holds `token`.

    A forged token, a revoked one, another poll's and anything that is not a token all
    raise the same NotInvited (core/invites.MSG_INVALID_LINK): the answer never says
    whether a token exists. The token is found by its hash, through the unique index,
    and the hashes are compared again in constant time."""
    usable = isinstance(token, str) and 0 < len(token) <= MAX_TOKEN_LENGTH
    wanted = invite_rules.token_hash(token) if usable else None
    with db.reading() as conn:
        topic = _find_topic(conn, ref)
        if wanted is None:
            raise invite_rules.invalid_link()
        row = conn.execute(select(invites.c.topic_id, invites.c.voter_name, invites.c.token_hash)
                           .where(invites.c.token_hash == wanted)).one_or_none()
        stored = row.token_hash if row is not None else "0" * invite_rules.HASH_LENGTH
        matches = invite_rules.same_hash(stored, wanted)
        if row is None or not matches or row.topic_id != topic.id:
            raise invite_rules.invalid_link()
        return row.voter_name
