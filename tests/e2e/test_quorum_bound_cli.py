"""`votr create --quorum N` past what the database stores is exit 1, not a traceback:
the rule bounds the quorum before anything is written (on SQLite a 20-digit one was an
OverflowError, exit 70; on the servers, anything past a 32-bit INTEGER)."""

import pytest

# Tests of what votr does with its tables, not of how it creates them (tests/conftest.py).
pytestmark = pytest.mark.schema_at_head


@pytest.mark.parametrize("quorum", ["2147483648", "99999999999999999999", "0"])
def test_a_quorum_out_of_range_is_exit_1_and_nothing_is_created(votr, quorum):
    refused = votr("create", "Q", "a", "b", "--quorum", quorum, "--json")
    assert refused.exit_code == 1, refused
    assert "quorum must be a whole number of voters from 1 to 2147483647" in refused.error()
    assert votr("list", "--json").json() == {"Polls": []}


def test_the_largest_quorum_is_stored(votr):
    made = votr("create", "Q", "a", "b", "--quorum", "2147483647", "--json")
    assert made.exit_code == 0, made
    assert made.json()["poll"]["quorum"] == 2147483647
