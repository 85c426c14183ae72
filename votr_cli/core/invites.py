"""Invites: the rules of an invite-only poll's secret links that need no database.

An invite is a random token, given to one voter as a link; the database keeps only the
token's SHA-256 digest. A plain hash, with no salt and no slow key-derivation function,
is enough here: the token is 256 random bits (secrets.token_urlsafe(32)), not a password
a person chose, so nobody can guess it or find it in a dictionary, and trying 2**256
candidates against a stolen digest is out of reach however fast the hash. Salts and slow
KDFs exist to protect low-entropy secrets, which a token is not.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from urllib.parse import quote, urlsplit

from votr_cli.core import text
from votr_cli.core.errors import InvalidInput, NotFound, NotInvited

TOKEN_BYTES = 32  # 256 random bits
HASH_LENGTH = 64  # a sha256 hex digest
HASH_SHAPE = re.compile(r"[0-9a-f]{64}")
# The base URL of an invite link when neither --base-url nor VOTR_BASE_URL gives one:
# where `votr serve` listens by default.
DEFAULT_BASE_URL = "http://127.0.0.1:5000"
MAX_BASE_URL = 2000

# The one answer to every invite link that does not sign a voter in: forged, revoked,
# another poll's, malformed. It never says which, so it tells nothing about which tokens
# exist.
MSG_INVALID_LINK = "this invite link is not valid (it may have been revoked)"
MSG_INVITED = "Invited"
MSG_UNINVITED = "Invite revoked"


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """What the database keeps of a token: its SHA-256, in lowercase hex."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def same_hash(stored: str, given: str) -> bool:
    """Compare two digests in constant time, so that how long the comparison takes
    says nothing about how much of a stored digest a guess matched."""
    return hmac.compare_digest(stored.encode("ascii", "replace"), given.encode("ascii", "replace"))


def invalid_link() -> NotInvited:
    return NotInvited(MSG_INVALID_LINK)


def not_invited(poll_title: str, voter_key: str) -> NotInvited:
    return NotInvited(f"poll {poll_title!r} is invite-only and {voter_key!r} is not invited")


def unproven_voter(poll_title: str) -> NotInvited:
    """A ballot in an invite-only poll from a caller who only names its voter (an API
    client without a token): anyone could name an invited voter."""
    return NotInvited(f"poll {poll_title!r} is invite-only: a ballot in it needs the voter's invite token")


def no_invite(poll_title: str, voter_key: str) -> NotFound:
    return NotFound(f"{voter_key!r} has no invite to poll {poll_title!r}")


def base_url(value: str) -> str:
    """A base URL for invite links, checked: http or https, a host, no query or
    fragment (the link adds its own). Returned without a trailing slash."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("the base URL is empty")
    value = value.strip()
    if len(value) > MAX_BASE_URL:
        raise InvalidInput(f"the base URL is longer than {MAX_BASE_URL} characters")
    if re.search(r"[\x00-\x20\x7f-\x9f]", value):
        raise InvalidInput(f"the base URL {text.quoted(value)} contains a space or a control character")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        raise InvalidInput(f"the base URL {text.quoted(value)} is not a valid URL") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise InvalidInput(f"the base URL must start with http:// or https://, not {text.quoted(value)}")
    if not parts.hostname:
        raise InvalidInput(f"the base URL {text.quoted(value)} has no host")
    if parts.query or parts.fragment or "?" in value or "#" in value:
        raise InvalidInput(f"the base URL {text.quoted(value)} must not have a query or a fragment")
    return value.rstrip("/")


def invite_url(base: str, poll_id: str, token: str) -> str:
    """The link that signs a voter in to a poll's page: BASE/p/<poll id>?invite=<token>."""
    return f"{base_url(base)}/p/{quote(poll_id, safe='')}?invite={quote(token, safe='')}"


def invite_links(base: str, made: list[dict]) -> list[dict]:
    """The invites the service made ({"voter", "token", "poll"}) as `votr invite --json`
    and the API give them: {"voter", "token", "url"}, in the same order."""
    return [{"voter": entry["voter"], "token": entry["token"],
             "url": invite_url(base, entry["poll"], entry["token"])} for entry in made]
