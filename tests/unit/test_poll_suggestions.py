"""The closest polls an unknown poll reference is told about (core/polls.closest_polls)."""

from __future__ import annotations

from votr_cli.core import polls as rules

POLLS = [("k3v9x2ab", "Lunch today?"), ("m4n5p6q7", "Best editor"), ("r8s9t2u3", "Lunch tomorrow"),
         ("w4x5y6z7", "Board election")]


def test_titles_are_compared_folded_and_given_as_stored():
    assert rules.closest_polls("LNCH TODAY?", POLLS)[0] == "Lunch today?"


def test_nothing_close_gives_nothing():
    assert rules.closest_polls("Quarterly budget", POLLS) == []


def test_a_reference_that_looks_like_an_id_gets_ids_first():
    assert rules.closest_polls("k3v9x2ac", POLLS) == ["k3v9x2ab"]


def test_a_title_never_gets_an_id():
    assert all(" " in found for found in rules.closest_polls("Lunch tday", POLLS))


def test_at_most_a_few():
    many = [(f"id{number:06d}", f"Lunch {number}") for number in range(50)]
    assert len(rules.closest_polls("Lunch", many)) == rules.SUGGESTIONS


def test_the_message_names_them():
    assert rules.no_poll("Lnch", ["Lunch today?", "Lunch"]).message == (
        "no poll with id or title 'Lnch'; did you mean 'Lunch today?' or 'Lunch'?")
    assert rules.no_poll("Lnch").message == "no poll with id or title 'Lnch'"


def test_a_long_suggestion_is_cut_short():
    message = rules.no_poll("x" * 10, ["y" * 500]).message
    assert len(message) < 150 and message.endswith("…?")


def test_candidates_begin_as_the_reference_does_in_either_case():
    assert rules.suggestion_prefixes("lunch") == {"l", "L"}
