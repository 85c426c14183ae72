"""votr's own errors. Each carries the exit code the command-line contract gives it.

This module imports nothing heavy: the CLI catches these errors without paying for
SQLAlchemy at start-up.
"""


class VotrError(Exception):
    exit_code = 1

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InvalidInput(VotrError):
    exit_code = 1


class NotFound(VotrError):
    exit_code = 3


class Refused(VotrError):
    """The request is well-formed but the poll's state forbids it."""

    exit_code = 4


class DatabaseProblem(VotrError):
    exit_code = 5


class SchemaMismatch(DatabaseProblem):
    """The database exists but its schema is not the one this votr expects."""


class DatabaseBusy(DatabaseProblem):
    pass


class OutputFailed(VotrError):
    """The command did its work (committed), but its output could not be written:
    EX_IOERR, as sysexits.h numbers it."""

    exit_code = 74
