"""Statements in pieces: a list of keys can be longer than a statement may carry."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

# Keys per IN (…) list, well under every backend's limit on a statement's parameters
# (SQLite allows 32766, PostgreSQL 65535).
KEYS_PER_QUERY = 1000


def batched(items: Sequence, size: int) -> Iterator[Sequence]:
    """`items` in consecutive slices of at most `size`."""
    for start in range(0, len(items), size):
        yield items[start:start + size]
