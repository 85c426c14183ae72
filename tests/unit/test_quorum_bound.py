"""A quorum is a whole number of voters that every backend can store: the rule refuses
anything else as invalid input (exit 1, HTTP 400) before it reaches the database."""

import pytest

from votr_cli.core.errors import InvalidInput
from votr_cli.core.polls import MAX_QUORUM, ballot_policy


def test_the_largest_quorum_fits_a_32_bit_integer():
    assert MAX_QUORUM == 2_147_483_647
    assert ballot_policy(quorum=1).quorum == 1
    assert ballot_policy(quorum=MAX_QUORUM).quorum == MAX_QUORUM


@pytest.mark.parametrize("quorum", [0, -1, MAX_QUORUM + 1, 10 ** 400, 10 ** 5000, True, 2.0, "3"],
                         ids=["0", "-1", "max+1", "1e400", "1e5000", "True", "2.0", "'3'"])
def test_any_other_quorum_is_invalid_input(quorum):
    with pytest.raises(InvalidInput, match="quorum must be a whole number of voters from 1 to 2147483647"):
        ballot_policy(quorum=quorum)
