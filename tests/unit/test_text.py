import pytest

from votr_cli.core import text
from votr_cli.core.errors import InvalidInput


@pytest.mark.parametrize("raw, display", [
    ("  Gareth   Bale ", "Gareth Bale"),
    ("Gareth\u00a0\u3000Bale", "Gareth Bale"),  # every Unicode space separator collapses
    ("Cafe\u0301", "Café"),  # NFC
    ("100%", "100%"),
    ("a_b", "a_b"),
    ("[bold]x[/]", "[bold]x[/]"),
])
def test_clean_normalises_for_display(raw, display):
    assert text.clean(raw, "option", 200) == display


def test_names_that_fold_alike_share_a_key():
    assert text.key("Gareth Bale") == text.key(text.clean("gareth  bale", "option", 200))
    assert text.key("STRASSE") == text.key("straße")
    assert text.key("Café") == text.key("CAFE\u0301".lower())


def test_wildcards_are_ordinary_characters():
    assert text.key("%") != text.key("Arsenal")
    assert text.key("a_c") != text.key("abc")


@pytest.mark.parametrize("raw", ["a\tb", "a\nb", "nul\x00", "esc\x1b[31m", "c1\x9b", "del\x7f",
                                 "rtl\u202eoverride", "isolate\u2066x"])
def test_control_characters_are_refused(raw):
    with pytest.raises(InvalidInput, match="control character"):
        text.clean(raw, "title", 500)


@pytest.mark.parametrize("raw", ["", "   ", "\u3000\u00a0"])
def test_empty_after_trimming_is_refused(raw):
    with pytest.raises(InvalidInput, match="value for title is empty"):
        text.clean(raw, "title", 500)


def test_length_limits_count_characters_after_normalisation():
    assert text.clean("x" * 500, "title", text.MAX_TITLE)
    assert text.clean(" " + "x" * 500 + " ", "title", text.MAX_TITLE)
    with pytest.raises(InvalidInput, match="longer than 500"):
        text.clean("x" * 501, "title", text.MAX_TITLE)


def test_voter_names_fold_case():
    assert text.voter_name("  Ann ") == text.voter_name("ann") == "ann"
    with pytest.raises(InvalidInput, match="longer than 100"):
        text.voter_name("v" * 101)


def test_printable_escapes_what_a_terminal_would_act_on():
    assert text.printable("a\x1b[2Jb") == "a\\x1b[2Jb"
    assert text.printable("x\u202ey") == "x\\u202ey"
    assert text.printable("ok [bold] ü 😀") == "ok [bold] ü 😀"


def test_json_escaping_keeps_the_value():
    import json

    document = json.dumps({"t": "a\u009bb\u202ec"}, ensure_ascii=False)
    escaped = text.escape_for_json(document)
    assert "\u009b" not in escaped and "\u202e" not in escaped
    assert json.loads(escaped) == {"t": "a\u009bb\u202ec"}


@pytest.mark.parametrize("number, shown", [(0, "0 votes"), (1, "1 vote"), (2, "2 votes"), (-1, "-1 votes")])
def test_counted_puts_the_noun_in_the_form_its_number_takes(number, shown):
    assert text.counted(number, "vote") == shown


def test_counted_takes_an_irregular_plural():
    assert [text.counted(n, "is", "are") for n in (1, 3)] == ["1 is", "3 are"]
    assert [text.noun_for(n, "option") for n in (1, 2)] == ["option", "options"]
