"""Ballot policies under concurrency: 16 real OS processes on one database, every backend.

Each process is tests/e2e/cli_loop.py: one interpreter that imports votr once and then
runs its commands one after another through votr's own command line, each with its own
engine and connection (starting the `votr` executable for each of some 200 commands
would take a minute on this machine). Every process is started and has votr imported
before any of them runs a command, so their commands really run at once.

What must hold, whatever the interleaving: every command exits 0, 3 or 4 as the contract
says (never 5, never 70); one voter changing and withdrawing their vote from 16 processes
ends with at most one ballot, which is one of the ballots they cast, and counters and
voter_count equal to it; votes cast minus votes withdrawn equals the ballots left; in a
secret poll, the voters, the secret ballots and voter_count are equal, and the counters
are what the secret ballots give. `votr db-check` passes at the end.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa

WORKER = Path(__file__).with_name("cli_loop.py")
PROCESSES = 16
PATIENCE = 180  # seconds a test waits for its processes before it calls itself failed
# 16 processes take turns at one poll's row lock; on a shared 2-CPU machine under the load
# of other suites (load average 14), one command has taken up to 14 s in all, lock waits
# included, against a default busy timeout of 10 s per wait. The tests are about what the
# interleavings leave, not about speed: a lock wait past this many seconds is still exit
# 5, and fails the test.
BUSY_TIMEOUT = "30"

VOTED = "Thank you for voting"
CHANGED = "Your vote was changed"
WITHDRAWN = "Your vote was withdrawn"


def run_workers(votr_env: dict, command_lists: list[list[list[str]]]) -> list[list[dict]]:
    """Start one worker per command list, let them all import votr, then start them at once.
    Returns each worker's outcomes, in order."""
    env = {**os.environ, **votr_env, "VOTR_BUSY_TIMEOUT": BUSY_TIMEOUT}
    env.pop("VOTR_DEBUG", None)
    workers = [subprocess.Popen([sys.executable, str(WORKER), json.dumps(commands)], env=env,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for commands in command_lists]
    try:
        for worker in workers:
            ready = worker.stdout.readline()
            assert ready == "ready\n", (ready, worker.stderr.read())
        for worker in workers:  # the starting signal, as close together as it gets
            worker.stdin.write("go\n")
            worker.stdin.flush()
        outcomes = []
        for worker in workers:
            stdout, stderr = worker.communicate(timeout=PATIENCE)
            assert worker.returncode == 0, stderr
            outcomes.append(json.loads(stdout))
        return outcomes
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.communicate()


def every(outcomes: list[list[dict]]) -> list[dict]:
    return [outcome for worker in outcomes for outcome in worker]


def message(outcome: dict) -> str:
    return json.loads(outcome["stdout"])["message"]


def created(votr, *args: str) -> dict:
    outcome = votr("create", *args, "--json")
    assert outcome.exit_code == 0, outcome.stderr
    return outcome.json()["poll"]


def shown(votr, poll_id: str) -> dict:
    outcome = votr("show", poll_id, "--json")
    assert outcome.exit_code == 0, outcome.stderr
    return outcome.json()["Polls"][0]


def assert_database_is_clean(votr) -> None:
    check = votr("db-check", "--json")
    assert check.exit_code == 0, check.stdout + check.stderr
    assert check.json()["ok"] is True


class Stored:
    """The rows of a poll, read straight from the tables."""

    def __init__(self, url: str):
        self.engine = sa.create_engine(url)

    def close(self) -> None:
        self.engine.dispose()

    def rows(self, sql: str, **params) -> list:
        with self.engine.connect() as conn:
            return conn.execute(sa.text(sql), params).all()

    def topic_id(self, public_id: str) -> int:
        return self.rows("SELECT id FROM topics WHERE public_id = :id", id=public_id)[0][0]

    def option_ids(self, topic_id: int) -> dict[int, str]:
        return dict(self.rows("SELECT options.id, options.name FROM polls JOIN options ON options.id = polls.option_id "
                              "WHERE polls.topic_id = :t", t=topic_id))


@pytest.fixture
def stored(database_url):
    stored = Stored(database_url)
    yield stored
    stored.close()


# -- one voter, changing and withdrawing from 16 processes -----------------------------------

# Per kind: the poll's options and extra create flags, and the two ballots the voter keeps
# switching between, as `vote` arguments and as what each adds to the counters.
KINDS = {
    "single": (["a", "b", "c"], [], (["a"], {"a": 1}), (["b"], {"b": 1})),
    "ranked": (["a", "b", "c"], ["--kind", "ranked"], (["a", "b"], {"a": 1}), (["c", "a", "b"], {"c": 1})),
    "multiple": (["a", "b", "c"], ["--kind", "multiple", "--max", "2"], (["a", "b"], {"a": 1, "b": 1}),
                 (["c"], {"c": 1})),
    "score": (["a", "b", "c"], ["--kind", "score"], (["a=5", "b=1"], {"a": 5, "b": 1}),
              (["c=3", "a=2"], {"c": 3, "a": 2})),
}
ROUNDS = 2
VOTER = "Switcher"


def _kinds_of(index: int) -> tuple[str, ...]:
    """Every process switches in the single and the ranked poll; a quarter of them also in
    the multiple poll, another quarter in the score poll (the machine is shared and slow)."""
    return ("single", "ranked", *{0: ("multiple",), 1: ("score",)}.get(index % 4, ()))


def _switching_commands(polls: dict[str, str], index: int) -> list[list[str]]:
    """One process's loop: in each round, ballot A, ballot B, withdraw, in each of its
    polls in turn. Half the processes end with one more ballot (A or B), so that the last
    command is sometimes a vote and sometimes a withdrawal."""
    kinds = _kinds_of(index)
    commands = []
    for _round in range(ROUNDS):
        for step in ("A", "B", "unvote"):
            for kind in kinds:
                _, _, first, second = KINDS[kind]
                if step == "unvote":
                    commands.append(["unvote", polls[kind], "--voter", VOTER, "--json"])
                else:
                    ballot = first if step == "A" else second
                    commands.append(["vote", polls[kind], *ballot[0], "--voter", VOTER, "--json"])
    if index % 8 >= 4:
        for kind in kinds:
            ballot = KINDS[kind][2 + index % 2]
            commands.append(["vote", polls[kind], *ballot[0], "--voter", VOTER, "--json"])
    return commands


@pytest.mark.slow
def test_one_voter_changing_and_withdrawing_from_16_processes_keeps_one_ballot_and_true_counters(
        votr, votr_env, stored):
    polls = {kind: created(votr, f"Switching {kind}", *names, *flags, "--allow-change")["id"]
             for kind, (names, flags, _, _) in KINDS.items()}
    outcomes = every(run_workers(votr_env, [_switching_commands(polls, index) for index in range(PROCESSES)]))

    codes = Counter((outcome["args"][0], outcome["code"]) for outcome in outcomes)
    unexpected = [outcome for outcome in outcomes
                  if (outcome["args"][0], outcome["code"]) not in {("vote", 0), ("unvote", 0), ("unvote", 3)}]
    assert unexpected == [], (codes, unexpected[:5])
    titles = {poll_id: f"Switching {kind}" for kind, poll_id in polls.items()}
    for outcome in outcomes:
        if outcome["code"] == 3:
            title = titles[outcome["args"][1]]
            assert json.loads(outcome["stderr"])["error"] == f"{VOTER.lower()!r} has no vote in poll {title!r}"
    for kind, poll_id in polls.items():
        mine = [outcome for outcome in outcomes if outcome["args"][1] == poll_id and outcome["code"] == 0]
        said = Counter(message(outcome).split(":")[0] for outcome in mine)
        assert set(said) <= {VOTED, CHANGED, WITHDRAWN}, said
        # Each first ballot adds one, each withdrawal removes one, a change neither.
        left = said[VOTED] - said[WITHDRAWN]
        topic_id = stored.topic_id(poll_id)
        ballots = stored.rows("SELECT voter, option_id, choices FROM ballots WHERE topic_id = :t", t=topic_id)
        assert len(ballots) == left and left in (0, 1), (kind, said, ballots)
        document = shown(votr, poll_id)
        counters = {option["name"]: option["vote_count"] for option in document["options"]}
        names, _, first, second = KINDS[kind]
        if not ballots:
            assert counters == dict.fromkeys(names, 0), kind
            assert document["voter_count"] == 0
            continue
        (voter, option_id, choices), = ballots
        assert voter == VOTER.lower()
        cast = {"single": lambda: [stored.option_ids(topic_id)[option_id]],
                "multiple": lambda: [names["ABC".index(code)] for code in choices],
                "ranked": lambda: [names["ABC".index(code)] for code in choices],
                "score": lambda: [f"{name}={score}" for name, score in zip(names, choices, strict=True)
                                  if score != "0"]}[kind]()
        matching = [ballot for ballot in (first, second) if sorted(ballot[0]) == sorted(cast)]
        assert len(matching) == 1, (kind, cast)
        assert counters == {name: matching[0][1].get(name, 0) for name in names}, (kind, cast, counters)
        assert document["voter_count"] == 1
    assert_database_is_clean(votr)


# -- many voters at once in a secret poll --------------------------------------------------

VOTERS_PER_PROCESS = 3


@pytest.mark.slow
def test_many_voters_at_once_in_secret_polls_are_each_one_voter_and_one_secret_ballot(votr, votr_env, stored):
    single = created(votr, "Secret single", "red", "green", "blue", "--secret")["id"]
    ranked = created(votr, "Secret ranked", "red", "green", "blue", "--kind", "ranked", "--secret")["id"]
    rankings = [["red", "green"], ["green", "blue", "red"], ["blue"]]
    command_lists = []
    expected_single, expected_ranked = Counter(), Counter()
    for index in range(PROCESSES):
        commands = []
        for number in range(VOTERS_PER_PROCESS):
            voter = f"voter-{index}-{number}"
            colour = ("red", "green", "blue")[(index + number) % 3]
            ranking = rankings[(index * number) % 3]
            commands.append(["vote", single, colour, "--voter", voter, "--json"])
            commands.append(["vote", ranked, *ranking, "--voter", voter, "--json"])
            expected_single[colour] += 1
            expected_ranked[ranking[0]] += 1
        # One voter of another process again, racing that process's own vote: exit 4 for one of them.
        rival = f"voter-{(index + 1) % PROCESSES}-0"
        commands.append(["vote", single, "red", "--voter", rival, "--json"])
        command_lists.append(commands)
    outcomes = every(run_workers(votr_env, command_lists))

    codes = Counter(outcome["code"] for outcome in outcomes)
    assert set(codes) <= {0, 4}, [(o["args"], o["code"], o["stderr"]) for o in outcomes if o["code"] not in (0, 4)][:5]
    refused = [outcome for outcome in outcomes if outcome["code"] == 4]
    assert len(refused) == PROCESSES, codes  # each rival voter: exactly one of their two votes
    assert all("multiple votes are not allowed" in outcome["stderr"] for outcome in refused)
    # When the rival's vote won, the process's own vote was refused: the counts move by what won.
    for outcome in refused:
        if outcome["args"][2] != "red":  # the process's own vote for voter-N-0 lost to a red one
            expected_single[outcome["args"][2]] -= 1
            expected_single["red"] += 1

    voters = PROCESSES * VOTERS_PER_PROCESS
    for poll_id, expected in ((single, expected_single), (ranked, expected_ranked)):
        topic_id = stored.topic_id(poll_id)
        poll_voters = stored.rows("SELECT voter FROM poll_voters WHERE topic_id = :t", t=topic_id)
        secret = stored.rows("SELECT option_id, choices FROM secret_ballots WHERE topic_id = :t", t=topic_id)
        assert sorted(voter for voter, in poll_voters) == sorted(
            f"voter-{index}-{number}" for index in range(PROCESSES) for number in range(VOTERS_PER_PROCESS))
        assert len(secret) == voters
        assert stored.rows("SELECT count(*) FROM ballots WHERE topic_id = :t", t=topic_id)[0][0] == 0
        document = shown(votr, poll_id)
        assert document["voter_count"] == voters
        counters = {option["name"]: option["vote_count"] for option in document["options"]}
        if poll_id == single:
            names = stored.option_ids(topic_id)
            from_ballots = Counter(names[option_id] for option_id, _ in secret)
        else:
            from_ballots = Counter(("red", "green", "blue")["ABC".index(choices[0])] for _, choices in secret)
        colours = ("red", "green", "blue")
        assert counters == {name: from_ballots[name] for name in colours} == {name: expected[name] for name in colours}
    assert_database_is_clean(votr)
