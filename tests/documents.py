"""The poll object of a single-choice poll with the default ballot policies, as the
contract gives it, for exact comparison."""

from __future__ import annotations


def single_choice_keys(options: list[dict]) -> dict:
    """The keys every poll object has beyond the original app's, for a single poll whose
    `options` are [{"name", "vote_count"}]: each ballot is one vote, the most votes win."""
    counts = [option["vote_count"] for option in options]
    best = max(counts, default=0)
    return {"kind": "single", "method": "plurality", "min_choices": 1, "max_choices": 1,
            "voter_count": sum(counts),
            "winners": [option["name"] for option in options if best and option["vote_count"] == best],
            **DEFAULT_POLICY_KEYS}


DEFAULT_POLICY_KEYS = {"allow_change": False, "results": "always", "secret": False, "quorum": None,
                       "quorum_reached": True, "results_hidden": False, "invite_only": False}


def without_tally(poll: dict) -> dict:
    """A poll as `list` gives it, from what `show` gives."""
    return {key: value for key, value in poll.items() if key != "tally"}
