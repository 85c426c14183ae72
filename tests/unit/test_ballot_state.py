"""The interactive ballot's state (frontends/ballot_prompt.py): keys in, ballot out, no terminal."""

import pytest

from votr_cli.frontends.ballot_prompt import BallotState, state_for


def test_single_the_highlighted_option_is_the_ballot():
    state = BallotState("single", ["pizza", "sushi", "tacos"])
    assert state.submit() == ["pizza"]
    state.down()
    state.down()
    assert state.ballot() == ["tacos"]
    state.down()  # wraps round
    assert state.ballot() == ["pizza"]
    state.up()
    assert state.ballot() == ["tacos"]
    assert [mark for _, mark, _ in state.rows()] == ["( ) 1.", "( ) 2.", "(•) 3."]


def test_single_typing_a_number_picks_that_option():
    state = BallotState("single", [f"o{n}" for n in range(1, 13)])
    state.digit("3")
    assert state.ballot() == ["o3"]
    state.digit("1")  # "31" is no option: a new number, 1
    assert state.ballot() == ["o1"]
    state.digit("2")  # "12" is an option
    assert state.ballot() == ["o12"]
    state.down()  # a move ends the number
    state.digit("2")
    assert state.ballot() == ["o2"]


def test_single_a_number_past_the_options_is_refused_in_the_prompt():
    state = BallotState("single", ["a", "b"])
    state.digit("7")
    assert state.ballot() == ["a"]
    assert "no option number 7" in state.message
    state.digit("0")
    assert state.message and state.ballot() == ["a"]


def test_multiple_space_toggles_and_the_ballot_keeps_the_polls_order():
    state = BallotState("multiple", ["pizza", "sushi", "tacos"], 1, 3)
    state.last()
    state.toggle()
    state.first()
    state.toggle()
    assert state.ballot() == ["pizza", "tacos"]
    state.toggle()
    assert state.ballot() == ["tacos"]
    assert [mark for _, mark, _ in state.rows()] == ["[ ] 1.", "[ ] 2.", "[x] 3."]
    assert state.status() == "1 chosen"


def test_multiple_bounds_are_refused_at_submit_then_accepted():
    state = BallotState("multiple", ["a", "b", "c", "d"], 2, 3)
    state.toggle()
    assert state.submit() is None
    assert state.message == "choose at least 2 (now 1)"
    for _ in range(3):
        state.down()
        state.toggle()
    assert state.submit() is None
    assert state.message == "choose at most 3 (now 4)"
    state.toggle()  # unchecks d
    assert state.submit() == ["a", "b", "c"]
    assert state.message == ""


def test_ranked_space_ranks_in_the_order_pressed():
    state = BallotState("ranked", ["Memphis", "Nashville", "Chattanooga", "Knoxville"], 1, 4)
    state.last()
    state.toggle()  # Knoxville first: it moves to the top row, the highlight stays on row 4
    assert state.order() == [3, 0, 1, 2]
    assert state.highlighted() == 2
    state.toggle()  # Chattanooga second
    state.first()
    state.down()
    assert state.highlighted() == 2
    assert [mark for _, mark, _ in state.rows()] == [" 1.", " 2.", "  -", "  -"]
    assert state.submit() == ["Knoxville", "Chattanooga"]


def test_ranked_moving_up_and_down_the_ranking():
    state = BallotState("ranked", ["a", "b", "c"], 3, 3)
    for _ in range(3):
        state.toggle()  # the row keeps its place, so the next unranked option comes to it
        state.down()
    assert state.ballot() == ["a", "b", "c"]
    state.last()
    state.raise_rank()  # c above b; the highlight follows c
    assert state.ballot() == ["a", "c", "b"]
    assert state.highlighted() == 2
    state.raise_rank()
    state.raise_rank()  # already first: nothing
    assert state.ballot() == ["c", "a", "b"]
    state.lower_rank()
    assert state.ballot() == ["a", "c", "b"]
    assert state.cursor == 1


def test_ranked_digits_do_nothing():
    state = BallotState("ranked", ["a", "b", "c"], 1, 3)
    state.digit("2")
    assert (state.cursor, state.ballot(), state.message) == (0, [], "")


def test_ranked_moving_an_unranked_option_says_to_rank_it():
    state = BallotState("ranked", ["a", "b", "c"], 1, 3)
    state.raise_rank()
    assert state.ballot() == []
    assert "space" in state.message


def test_ranked_unranking_an_option_renumbers_the_rest():
    state = BallotState("ranked", ["a", "b", "c"], 1, 3)
    state.last()
    state.toggle()  # c first
    state.last()
    state.toggle()  # b second
    state.first()
    state.toggle()  # c out
    assert state.ballot() == ["b"]
    assert state.order() == [1, 0, 2]


def test_ranked_bounds():
    state = BallotState("ranked", ["a", "b", "c", "d"], 2, 3)
    assert state.submit() is None
    assert state.message == "rank at least 2 (now 0)"
    for _ in range(4):
        state.toggle()
        state.down()
    assert state.submit() is None
    assert state.message == "rank at most 3 (now 4)"
    state.up()
    state.toggle()
    assert state.submit() == ["a", "b", "c"]


def test_score_arrows_and_digits():
    state = BallotState("score", ["red", "blue=green", "grey"], 3, 3)
    state.score_up()
    state.score_up()
    state.down()
    state.digit("5")
    state.score_up()  # at most 5
    state.down()
    state.score_down()  # at least 0
    assert state.submit() == ["red=2", "blue=green=5", "grey=0"]
    state.digit("7")
    assert state.message == "a score is from 0 to 5"
    assert state.ballot()[2] == "grey=0"
    assert [mark for _, mark, _ in state.rows()][:2] == ["●●○○○ 2", "●●●●● 5"]


def test_names_are_shown_printable():
    state = BallotState("single", ["[bold]x", "bad\x1bname"])
    names = [name for _, _, name in state.rows()]
    assert names[0] == "[bold]x"
    assert "\x1b" not in names[1]


def test_state_for_a_ballot_paper():
    state = state_for({"id": "k3v9x2ab", "title": "t", "kind": "multiple", "min_choices": 1, "max_choices": 2,
                       "options": ["a", "b", "c"], "voted": False})
    assert (state.kind, state.min_choices, state.max_choices, state.options) == ("multiple", 1, 2, ["a", "b", "c"])
    assert state.instruction() == "Choose 1 to 2 options."


@pytest.mark.parametrize("kind", ["single", "multiple", "ranked", "score"])
def test_every_kind_has_an_instruction(kind):
    assert BallotState(kind, ["a", "b"], 1, 2).instruction()
