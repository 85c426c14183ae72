"""votr's domain errors: what went wrong, in words, and of which kind.

The kinds say nothing about exit codes or HTTP statuses: each front end maps them in a
table of its own (frontends/cli.py's EXIT_CODES, frontends/http.py's STATUS_BY_ERROR).
This module imports nothing heavy: the CLI catches these errors without paying for
SQLAlchemy at start-up.
"""


class VotrError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InvalidInput(VotrError):
    """The request itself is wrong: a bad value, a missing one, a malformed file."""


class NotFound(VotrError):
    """The poll or option the request names does not exist."""


class Refused(VotrError):
    """The request is well-formed but the poll's state forbids it."""


class DatabaseProblem(VotrError):
    """The database cannot be used: missing, unreachable, corrupt, full."""


class SchemaMismatch(DatabaseProblem):
    """The database exists but its schema is not the one this votr expects."""


class DatabaseBusy(DatabaseProblem):
    pass


class NotInvited(Refused):
    """An invite-only poll refuses a voter it has not invited, or an invite link that is
    not valid. Its own kind so that a front end can tell it apart (HTTP: 403)."""
