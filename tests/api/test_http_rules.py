"""The HTTP layer's own decisions, without a server: statuses, loopback, tokens."""

from __future__ import annotations

import pytest

from votr_cli import api
from votr_cli.errors import DatabaseBusy, DatabaseProblem, InvalidInput, NotFound, Refused, SchemaMismatch


@pytest.mark.parametrize(("error", "status"), [
    (InvalidInput, 400), (NotFound, 404), (Refused, 409), (DatabaseBusy, 503),
    (SchemaMismatch, 500), (DatabaseProblem, 500),
])
def test_each_votr_error_has_its_status(error, status):
    assert api.status_for(error("x")) == status


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "localhost", "::1"])
def test_loopback_needs_no_token(host):
    api.check_token(None, host, 0)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", ""])
def test_any_other_address_needs_a_token(host):
    with pytest.raises(InvalidInput, match="without a token"):
        api.check_token(None, host, 0)
    api.check_token("a-token", host, 0)


@pytest.mark.parametrize("token", [" padded", "two words", "tab\there", "bell\a"])
def test_a_token_that_cannot_travel_in_a_header_is_refused(token):
    with pytest.raises(InvalidInput, match="token"):
        api.check_token(token, "127.0.0.1", 0)


def test_an_unresolvable_host_is_invalid_input():
    with pytest.raises(InvalidInput, match="cannot resolve host"):
        api.check_token(None, "no-such-host.invalid", 0)
