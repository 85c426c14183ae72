"""Validation and normalisation of user text: titles, option names and voter names.

Pure functions with no database: the service layer and the tests share them.
"""

import hashlib
import re
import unicodedata
from typing import Any

from votr_cli.core.errors import InvalidInput

MAX_TITLE = 500
MAX_OPTION = 200
MAX_VOTER = 100

# Control characters (category Cc is exactly C0, DEL and C1), and the bidirectional
# overrides and isolates, which make text display in an order other than it is stored in.
_FORBIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# Python hands over argument bytes that are not UTF-8 as lone surrogates; no database
# can store them.
_SURROGATE = re.compile("[\ud800-\udfff]")
# Every character of Unicode category Zs (space separators).
_SPACE_RUN = re.compile("[\u0020\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")


def _describe(char: str) -> str:
    return f"U+{ord(char):04X}"


def clean(value: str, what: str, limit: int) -> str:
    """Return the display form of `value`: NFC, trimmed, space runs collapsed.

    Raises InvalidInput for control characters, empty text or text over `limit`.
    """
    if _SURROGATE.search(value):
        raise InvalidInput(f"{what} is not valid UTF-8 text")
    bad = _FORBIDDEN.search(value)
    if bad is not None:
        raise InvalidInput(f"{what} contains a control character ({_describe(bad.group())})")
    # Only Unicode space separators (category Zs) are white space here: the others
    # (tab, newline, …) are control characters and were refused above.
    text = _SPACE_RUN.sub(" ", unicodedata.normalize("NFC", value)).strip(" ")
    if not text:
        raise empty(what)
    if len(text) > limit:
        raise InvalidInput(f"{what} is longer than {limit} characters ({len(text)})")
    return text


def empty(what: str) -> InvalidInput:
    """The refusal of a value that is missing or blank: the original app's words."""
    return InvalidInput(f"value for {what} is empty")


def stored_text(value: str | None) -> str:
    """The display form of text votr did not validate itself: as `clean` would store it,
    with control characters written out as escapes (`\x1b`), so that it obeys every
    rule of text typed into `create` (and an export of it imports). Empty once trimmed:
    "", for the caller to replace with a placeholder."""
    value = printable("" if value is None else str(value))
    try:
        return clean(value, "text", limit=max(len(value), 1))
    except InvalidInput:
        return ""


def fold(display: str) -> str:
    """The comparison form: two names that fold alike are the same name."""
    return unicodedata.normalize("NFC", display.casefold())


def key(display: str) -> str:
    """A fixed-width digest of the folded name, used for unique indexes.

    A digest fits every backend's index-size limit however long the folded text grows
    (case folding can triple its length), and needs no case-insensitive collation.
    """
    return hashlib.sha256(fold(display).encode("utf-8")).hexdigest()


def voter_name(value: str) -> str:
    """A voter is identified by the folded form of the name."""
    return fold(clean(value, "voter", MAX_VOTER))


_TERMINAL_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)


def _escape_char(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """Text that is safe to write to a terminal: control characters are escaped.

    Data written by other tools (an old database, say) can hold characters votr would
    refuse on input; they are shown escaped rather than acted on by the terminal.
    """
    return _TERMINAL_UNSAFE.sub(_escape_char, text)


def quoted(value: Any, limit: int = 40) -> str:
    """A refused value as an error message quotes it: its repr, cut short, so that a
    hostile input of a million characters gives a one-line message."""
    try:
        return shortened(repr(value), limit)
    except ValueError:  # an integer too long to convert to text
        return "a number too long to show"


def shortened(text: str, limit: int = 40) -> str:
    """`text` cut to `limit` characters, with an ellipsis when it was longer."""
    return text if len(text) <= limit else text[:limit] + "…"


def escape_for_json(document: str) -> str:
    """Escape C1 controls, line separators and bidi controls inside a JSON document.

    json.dumps(ensure_ascii=False) leaves them raw; \\u escapes keep the value intact for
    any JSON reader while keeping a terminal that shows the document safe.
    """
    return _TERMINAL_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", document)


def counted(number: int, noun: str, plural: str | None = None) -> str:
    """`number` and the noun in the form that number takes: "1 vote", "2 votes",
    "0 votes"; `plural` for a noun that does not just add an "s" ("1 is", "2 are")."""
    return f"{number} {noun_for(number, noun, plural)}"


def noun_for(number: int, noun: str, plural: str | None = None) -> str:
    """The noun alone in the form `number` takes: "option" for 1, "options" otherwise."""
    return noun if number == 1 else plural or noun + "s"
