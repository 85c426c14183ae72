"""Public poll ids: short, random, easy to read aloud, and of one fixed shape.

Ids that come from elsewhere (an import, an old Votr database) must have that shape
too, so that no id can carry markup, control characters or anything else a terminal
or a URL would act on.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable

PUBLIC_ID_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"  # no 0/o, 1/l/i: easy to read aloud
PUBLIC_ID_SIZE = 8
PUBLIC_ID_SHAPE = re.compile(f"[{PUBLIC_ID_ALPHABET}]{{{PUBLIC_ID_SIZE}}}")
# How a problem names the shape, for messages that refuse an id.
PUBLIC_ID_RULE = f"{PUBLIC_ID_SIZE} characters of {PUBLIC_ID_ALPHABET}"


def is_public_id(value: object) -> bool:
    """Whether `value` has the shape of a public id (PUBLIC_ID_SHAPE)."""
    return isinstance(value, str) and PUBLIC_ID_SHAPE.fullmatch(value) is not None


def new_public_id(is_taken: Callable[[str], bool]) -> str:
    """A random public id that `is_taken` says is free."""
    while True:
        candidate = "".join(secrets.choice(PUBLIC_ID_ALPHABET) for _ in range(PUBLIC_ID_SIZE))
        if not is_taken(candidate):
            return candidate
