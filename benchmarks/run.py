"""votr's benchmark: each figure against a plain-Python reference measured in the same run.

    python benchmarks/run.py            # the full run (about two minutes)
    python benchmarks/run.py --smoke    # tiny data, one run: checks that it works

Every data set is built in a temporary folder: the schema by votr itself (its first
command creates the database), the rows by raw sqlite3 in bulk. Each figure is the median
of several runs, votr and its reference taking turns so that both see the same load. The
script prints every figure with its ratio and target and exits 1 when a ratio misses it.

| work | reference | target |
| --- | --- | --- |
| votr --help, votr --version | python -c "import click" | <= 1.5x time |
| one votr vote, one votr create (10,000 polls) | python -c "import sqlalchemy" | <= 1.3x time |
| votr vote --batch, 100,000 votes over 1,000 polls | sqlite3: insert + counter update per vote, one transaction | >= 0.5x throughput |
| votr vote --batch, 100,000 ranked ballots over 1,000 polls | sqlite3: insert with choices + counter updates per ballot, one transaction | >= 0.5x throughput |
| votr list --json, 100,000 polls x 5 options | sqlite3 + json.dumps per poll, streamed, the same document | <= 1.5x time |
| votr show, a poll with 1,000,000 ballots | votr show, the same poll with 10 ballots | <= 1.2x time |
| votr show, irv / schulze / star, 1,000,000 ballots x 10 options | votr show, a single-choice poll with 1,000,000 ballots | <= 8x time |
| votr show, irv, 1,000,000 ballots | votelib's IRV on the same ballots, in memory (the count alone) | <= 1x time |
| votr serve, PATCH /api/poll/vote, 16 keep-alive clients x 250 votes, one poll / 8 polls | a plain WSGI app on waitress (same threads and settings): sqlite3, the same transaction | >= 0.5x throughput |

    python benchmarks/run.py --only http   # one section (see --help for their names)
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import random
import re
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

PYTHON = sys.executable
OPTIONS_PER_POLL = 5
OPTION_NAMES = 50  # option names are shared between polls, as votr links equal names
BATCH_VOTERS = 100  # every batch voter votes once in every batch poll
COUNTED_OPTIONS = 10  # the options of the polls whose million ballots are counted
HTTP_CLIENTS = 16  # concurrent keep-alive clients of votr serve
HTTP_POLLS = 8  # the second HTTP row spreads the votes over this many polls


# -- measuring ------------------------------------------------------------------------


@dataclass
class Run:
    seconds: float
    peak_kib: int
    cpu_seconds: float  # user + system: what the process computed, whatever else ran


def run_once(command: list[str], env: dict, stdout=subprocess.DEVNULL, stdin=None) -> Run:
    """Wall time and peak resident memory of one process, which must succeed."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=stdout, stdin=stdin, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    stderr = process.stderr.read().decode(errors="replace")
    process.stderr.close()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"benchmark command failed (exit {process.returncode}): {' '.join(command)}\n{stderr}")
    return Run(seconds, usage.ru_maxrss, usage.ru_utime + usage.ru_stime)


@dataclass
class Figure:
    name: str
    votr: float
    reference: float
    unit: str
    ratio: float
    target: str
    passed: bool
    cpu_ratio: float | None = None


class Report:
    def __init__(self) -> None:
        self.figures: list[Figure] = []
        self.notes: list[str] = []

    def time_at_most(self, name: str, votr_runs: list[Run], reference_runs: list[Run], limit: float) -> None:
        """Judged on wall time; the CPU-time ratio is shown beside it, as a machine busy with
        other work stretches wall times far more than CPU times."""
        votr_s, reference_s = median_seconds(votr_runs), median_seconds(reference_runs)
        ratio = votr_s / reference_s
        cpu_ratio = (statistics.median(run.cpu_seconds for run in votr_runs)
                     / statistics.median(run.cpu_seconds for run in reference_runs))
        self._add(Figure(name, votr_s, reference_s, "s", ratio, f"<= {limit:g}x", ratio <= limit, cpu_ratio))

    def throughput_at_least(self, name: str, votr_per_s: float, reference_per_s: float, limit: float) -> None:
        ratio = votr_per_s / reference_per_s
        self._add(Figure(name, votr_per_s, reference_per_s, "votes/s", ratio, f">= {limit:g}x",
                         ratio >= limit))

    def _add(self, figure: Figure) -> None:
        self.figures.append(figure)
        verdict = "ok" if figure.passed else "MISSED"
        cpu = f", CPU-time ratio {figure.cpu_ratio:.2f}" if figure.cpu_ratio is not None else ""
        print(f"  {figure.name}: votr {_number(figure.votr)} {figure.unit}, reference "
              f"{_number(figure.reference)} {figure.unit}, ratio {figure.ratio:.2f} "
              f"(target {figure.target}) {verdict}{cpu}", flush=True)

    def note(self, line: str) -> None:
        self.notes.append(line)
        print(f"  {line}", flush=True)

    def table(self) -> str:
        rows = ["| work | votr | reference | ratio | target | | CPU-time ratio |",
                "| --- | ---: | ---: | ---: | --- | --- | ---: |"]
        for f in self.figures:
            cpu = f"{f.cpu_ratio:.2f}" if f.cpu_ratio is not None else ""
            rows.append(f"| {f.name} | {_number(f.votr)} {f.unit} | {_number(f.reference)} {f.unit} "
                        f"| {f.ratio:.2f} | {f.target} | {'ok' if f.passed else 'MISSED'} | {cpu} |")
        return "\n".join(rows)


def _number(value: float) -> str:
    if value >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3f}" if value < 10 else f"{value:.1f}"


WARM_UP = True


def median_pair(runs: int, votr_run, reference_run) -> tuple[list[Run], list[Run]]:
    """Run votr and its reference in turn `runs` times, after one unmeasured warm-up each."""
    if WARM_UP:
        votr_run(-1)
        reference_run(-1)
    votr_runs, reference_runs = [], []
    for attempt in range(runs):
        votr_runs.append(votr_run(attempt))
        reference_runs.append(reference_run(attempt))
    return votr_runs, reference_runs


def median_seconds(runs: list[Run]) -> float:
    return statistics.median(run.seconds for run in runs)


def median_peak(runs: list[Run]) -> float:
    return statistics.median(run.peak_kib for run in runs)


# -- building data with raw sqlite3 ---------------------------------------------------


def title_key(display: str) -> str:
    """votr's normalised key (votr_cli.core.text.key): sha256 of the case-folded NFC text."""
    return hashlib.sha256(unicodedata.normalize("NFC", display.casefold()).encode()).hexdigest()


NOW = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None).isoformat(" ")


class Bench:
    def __init__(self, folder: Path, scale: float, runs: int, quick_runs: int):
        self.folder = folder
        self.scale = scale
        self.runs = runs
        self.quick_runs = quick_runs  # for commands that take a fraction of a second
        self.report = Report()
        self.votr = str(Path(PYTHON).parent / "votr")
        if not Path(self.votr).exists():
            self.votr = shutil.which("votr") or sys.exit("the votr command is not installed")
        self.env = {key: value for key, value in os.environ.items()
                    if not key.startswith("VOTR_") and key not in ("NO_COLOR", "PYTHONDONTWRITEBYTECODE")}
        # Byte-code caching on, as in an installed votr (pip compiles it), even from an
        # editable install; the cache goes to the temporary folder, not the source tree.
        self.env.update({"VOTR_HOME": str(folder / "home"), "VOTR_VOTER": "bench",
                         "PYTHONPYCACHEPREFIX": str(folder / "pycache")})

    def scaled(self, count: int, least: int = 2) -> int:
        return max(least, round(count * self.scale))

    def votr_command(self, database: Path, *args: str) -> list[str]:
        return [self.votr, "--db", str(database), *args]

    def new_database(self, name: str) -> Path:
        """An empty database at votr's schema, made by votr itself."""
        path = self.folder / name
        run_once(self.votr_command(path, "list", "--json"), self.env)
        return path

    def fill(self, path: Path, poll_count: int, *, votes: bool = True, prefix: str = "Poll",
             kind: str = "single") -> None:
        """poll_count open polls of OPTIONS_PER_POLL options each, with random counts
        (single-choice polls) or none; `kind` single or ranked (counted by irv)."""
        randomness = random.Random(poll_count)
        counts = [[randomness.randrange(100) if votes else 0 for _ in range(OPTIONS_PER_POLL)]
                  for _ in range(poll_count)]
        method, most = ("irv", OPTIONS_PER_POLL) if kind == "ranked" else ("plurality", 1)
        connection = sqlite3.connect(path)
        with connection:
            connection.executemany(
                "INSERT INTO options (id, public_id, name, name_key, date_created) VALUES (?, ?, ?, ?, ?)",
                [(n, f"00000000-0000-4000-8000-{n:012d}", f"Option {n}", title_key(f"Option {n}"), NOW)
                 for n in range(1, OPTION_NAMES + 1)])
            connection.executemany(
                "INSERT INTO topics (id, public_id, title, title_key, status, close_date, date_created, "
                "kind, method, min_choices, max_choices, voter_count) "
                "VALUES (?, ?, ?, ?, 1, NULL, ?, ?, ?, 1, ?, ?)",
                ((n, f"p{n:07d}", f"{prefix} {n}", title_key(f"{prefix} {n}"), NOW, kind, method, most,
                  sum(counts[n - 1])) for n in range(1, poll_count + 1)))
            connection.executemany(
                "INSERT INTO polls (topic_id, option_id, position, vote_count) VALUES (?, ?, ?, ?)",
                ((topic, (topic + position) % OPTION_NAMES + 1, position, counts[topic - 1][position])
                 for topic in range(1, poll_count + 1) for position in range(OPTIONS_PER_POLL)))
        connection.close()

    def python(self, code: str) -> list[str]:
        return [PYTHON, "-c", code]

    # -- 1. start-up --------------------------------------------------------------------

    def startup(self) -> None:
        print("start-up", flush=True)
        runs = self.quick_runs
        click_runs = [run_once(self.python("import click"), self.env) for _ in range(runs)]
        for args in (["--help"], ["--version"]):
            votr_runs, reference_runs = median_pair(
                runs, lambda _: run_once([self.votr, *args], self.env),
                lambda _: run_once(self.python("import click"), self.env))
            reference_runs += click_runs
            self.report.time_at_most(f"votr {' '.join(args)}", votr_runs,
                                     reference_runs, 1.5)

    # -- 2. one vote, one create on 10,000 polls ----------------------------------------

    def single_commands(self) -> None:
        polls = self.scaled(10_000)
        print(f"one vote, one create on {polls:,} polls", flush=True)
        database = self.new_database("single.db")
        self.fill(database, polls)
        runs = self.quick_runs
        # Each run is a new voter (the warm-up is "voter -1"), so every vote is recorded.
        votr_runs, reference_runs = median_pair(
            runs, lambda n: run_once(self.votr_command(database, "vote", f"p{polls // 2:07d}",
                                                       f"Option {(polls // 2) % OPTION_NAMES + 1}",
                                                       "--voter", f"voter {n}"), self.env),
            lambda _: run_once(self.python("import sqlalchemy"), self.env))
        self.report.time_at_most(f"votr vote ({polls:,} polls)", votr_runs,
                                 reference_runs, 1.3)
        votr_runs, reference_runs = median_pair(
            runs, lambda n: run_once(self.votr_command(database, "create", f"New poll {n}", "yes", "no"), self.env),
            lambda _: run_once(self.python("import sqlalchemy"), self.env))
        self.report.time_at_most(f"votr create ({polls:,} polls)", votr_runs,
                                 reference_runs, 1.3)
        # The old web app took 35 s to list 10,000 polls (one query per poll and option).
        listing = [run_once(self.votr_command(database, "list", "--json"), self.env) for _ in range(self.runs)]
        plain = [run_once(self.votr_command(database, "list"), self.env) for _ in range(self.runs)]
        self.report.note(f"votr list --json on {polls:,} polls: {median_seconds(listing):.2f} s, "
                         f"votr list (plain text): {median_seconds(plain):.2f} s "
                         f"(the old web app: 35 s for 10,000 polls)")

    # -- 3. batch voting ----------------------------------------------------------------

    def batch(self, kind: str = "single") -> None:
        """100 voters x 1,000 polls from a JSON Lines file: single-choice votes
        {"poll", "option", "voter"}, or ranked ballots {"poll", "options", "voter"} (each
        a random ordering of 1 to 5 of the poll's options)."""
        polls = self.scaled(1_000)
        voters = BATCH_VOTERS if self.scale >= 1 else max(2, round(BATCH_VOTERS * self.scale ** 0.5))
        ranked = kind == "ranked"
        what = "ranked ballots" if ranked else "votes"
        print(f"vote --batch: {polls * voters:,} {what} over {polls:,} polls", flush=True)
        template = self.new_database(f"batch-{kind}-template.db")
        self.fill(template, polls, votes=False, kind=kind)
        votes_file = self.folder / f"votes-{kind}.jsonl"
        randomness = random.Random(7)
        with votes_file.open("w") as out:
            for voter in range(voters):
                for topic in range(1, polls + 1):
                    names = [f"Option {(topic + position) % OPTION_NAMES + 1}" for position in range(OPTIONS_PER_POLL)]
                    if ranked:
                        chosen = {"options": randomness.sample(names, randomness.randint(1, OPTIONS_PER_POLL))}
                    else:
                        chosen = {"option": names[randomness.randrange(OPTIONS_PER_POLL)]}
                    out.write(json.dumps({"poll": f"p{topic:07d}", **chosen, "voter": f"voter {voter}"}) + "\n")
        vote_count = polls * voters
        reference = self.folder / f"batch_{kind}_reference.py"
        reference.write_text(RANKED_BATCH_REFERENCE if ranked else BATCH_REFERENCE)

        def fresh_copy(name: str) -> Path:
            copy = self.folder / name
            for suffix in ("", "-wal", "-shm"):
                Path(f"{copy}{suffix}").unlink(missing_ok=True)
            shutil.copyfile(template, copy)
            return copy

        def votr_run(_):
            database = fresh_copy(f"batch-{kind}-votr.db")
            with (self.folder / "batch-output.json").open("wb") as output:
                result = run_once(self.votr_command(database, "vote", "--batch", str(votes_file), "--json"),
                                  self.env, stdout=output)
            self.check_batch(database, vote_count)
            return result

        def reference_run(_):
            database = fresh_copy(f"batch-{kind}-reference.db")
            result = run_once([PYTHON, str(reference), str(database), str(votes_file)], self.env)
            self.check_batch(database, vote_count)
            return result

        votr_runs, reference_runs = median_pair(self.runs, votr_run, reference_run)
        if ballot_digest(self.folder / f"batch-{kind}-votr.db") != ballot_digest(self.folder / f"batch-{kind}-reference.db"):
            raise SystemExit(f"votr vote --batch and its reference stored different {what}")
        name = "votr vote --batch, ranked" if ranked else "votr vote --batch"
        self.report.throughput_at_least(f"{name} ({vote_count:,} {what})",
                                        vote_count / median_seconds(votr_runs),
                                        vote_count / median_seconds(reference_runs), 0.5)

    @staticmethod
    def check_batch(database: Path, expected: int) -> None:
        """Every ballot recorded, and counted: ranked polls count first preferences."""
        connection = sqlite3.connect(database)
        ballots, counted, voters = connection.execute(
            "SELECT (SELECT count(*) FROM ballots), (SELECT sum(vote_count) FROM polls), "
            "(SELECT sum(voter_count) FROM topics)").fetchone()
        connection.close()
        if ballots != expected or counted != expected or voters != expected:
            raise SystemExit(f"batch recorded {ballots} ballots, counted {counted} votes and {voters} voters, "
                             f"not {expected}")

    def batch_ranked(self) -> None:
        self.batch("ranked")

    # -- 4. big listing -----------------------------------------------------------------

    def listing(self) -> None:
        polls = self.scaled(100_000)
        print(f"list --json: {polls:,} polls x {OPTIONS_PER_POLL} options", flush=True)
        database = self.new_database("list.db")
        self.fill(database, polls)
        reference = self.folder / "list_reference.py"
        reference.write_text(LIST_REFERENCE)
        votr_out, reference_out = self.folder / "list-votr.json", self.folder / "list-reference.json"

        def votr_run(_):
            with votr_out.open("wb") as out:
                return run_once(self.votr_command(database, "list", "--json"), self.env, stdout=out)

        def reference_run(_):
            with reference_out.open("wb") as out:
                return run_once([PYTHON, str(reference), str(database)], self.env, stdout=out)

        votr_runs, reference_runs = median_pair(self.runs, votr_run, reference_run)
        if json.loads(votr_out.read_text()) != json.loads(reference_out.read_text()):
            raise SystemExit("votr list --json and the reference produced different documents")
        self.report.time_at_most(f"votr list --json ({polls:,} polls)", votr_runs, reference_runs, 1.5)
        self.report.note(f"votr list --json ({polls:,} polls), peak memory: votr {median_peak(votr_runs) / 1024:.1f} MiB, "
                         f"the streaming reference {median_peak(reference_runs) / 1024:.1f} MiB")

    # -- 5. show on a poll with many ballots ----------------------------------------------

    def show(self) -> None:
        ballots = self.scaled(1_000_000, least=100)
        print(f"show: a poll with {ballots:,} ballots against one with 10", flush=True)
        results = {}
        for count in (10, ballots):
            database = self.new_database(f"show-{count}.db")
            self.fill(database, 1, votes=False)
            connection = sqlite3.connect(database)
            with connection:
                option_ids = [row[0] for row in connection.execute(
                    "SELECT option_id FROM polls WHERE topic_id = 1 ORDER BY position")]
                connection.executemany(
                    "INSERT INTO ballots (topic_id, voter, option_id, date_created) VALUES (1, ?, ?, ?)",
                    ((f"voter {n}", option_ids[n % OPTIONS_PER_POLL], NOW) for n in range(count)))
                connection.executemany(
                    "UPDATE polls SET vote_count = ? WHERE topic_id = 1 AND option_id = ?",
                    [(len(range(position, count, OPTIONS_PER_POLL)), option_id)
                     for position, option_id in enumerate(option_ids)])
            connection.close()
            results[count] = database
        big, small = median_pair(
            self.quick_runs, lambda _: run_once(self.votr_command(results[ballots], "show", "p0000001"), self.env),
            lambda _: run_once(self.votr_command(results[10], "show", "p0000001"), self.env))
        self.report.time_at_most(f"votr show ({ballots:,} ballots vs 10)", big,
                                 small, 1.2)
        self.single_million = results[ballots]

    # -- 6. counting a million ranked and score ballots -----------------------------------

    def counted_poll(self, name: str, ballots: int, kind: str, method: str) -> Path:
        """One poll of COUNTED_OPTIONS options with `ballots` random ballots: ranked, each a
        random ordering of 1 to all the options (about half of a million are distinct);
        score, a random score 0-5 for every option. Its counters are kept as votes keep them."""
        database = self.new_database(name)
        n = COUNTED_OPTIONS
        randomness = random.Random(11)
        codes = [chr(0x41 + position) for position in range(n)]  # core/ballots.py: code(position)
        if kind == "ranked":
            choices = ["".join(randomness.sample(codes, randomness.randint(1, n))) for _ in range(ballots)]
            counts = [0] * n
            for ballot in choices:
                counts[ord(ballot[0]) - 0x41] += 1
        else:
            digits = "012345"
            choices = ["".join(randomness.choice(digits) for _ in range(n)) for _ in range(ballots)]
            counts = [sum(int(ballot[position]) for ballot in choices) for position in range(n)]
        connection = sqlite3.connect(database)
        with connection:
            connection.executemany(
                "INSERT INTO options (id, public_id, name, name_key, date_created) VALUES (?, ?, ?, ?, ?)",
                [(k, f"00000000-0000-4000-8000-{k:012d}", f"Option {k}", title_key(f"Option {k}"), NOW)
                 for k in range(1, n + 1)])
            connection.execute(
                "INSERT INTO topics (id, public_id, title, title_key, status, close_date, date_created, kind, "
                "method, min_choices, max_choices, voter_count) VALUES (1, 'p0000001', 'Counted', ?, 1, NULL, ?, "
                "?, ?, 1, ?, ?)", (title_key("Counted"), NOW, kind, method, n, ballots))
            connection.executemany(
                "INSERT INTO polls (topic_id, option_id, position, vote_count) VALUES (1, ?, ?, ?)",
                [(position + 1, position, counts[position]) for position in range(n)])
            connection.executemany(
                "INSERT INTO ballots (topic_id, voter, option_id, choices, date_created) VALUES (1, ?, NULL, ?, ?)",
                ((f"voter {k}", ballot, NOW) for k, ballot in enumerate(choices)))
        connection.close()
        return database

    def counting(self) -> None:
        ballots = self.scaled(1_000_000, least=100)
        print(f"show: {ballots:,} ballots over {COUNTED_OPTIONS} options counted by irv, schulze and star, "
              f"against a single-choice poll with {ballots:,}", flush=True)
        ranked = self.counted_poll("counted-irv.db", ballots, "ranked", "irv")
        schulze = self.folder / "counted-schulze.db"
        shutil.copyfile(ranked, schulze)
        connection = sqlite3.connect(schulze)
        with connection:
            connection.execute("UPDATE topics SET method = 'schulze'")
        connection.close()
        star = self.counted_poll("counted-star.db", ballots, "score", "star")
        runs = self.runs if self.runs == 1 else max(5, self.runs)
        single = self.single_million
        for method, database in (("irv", ranked), ("schulze", schulze), ("star", star)):
            counted, reference = median_pair(
                runs, lambda _: run_once(self.votr_command(database, "show", "p0000001"), self.env),
                lambda _: run_once(self.votr_command(single, "show", "p0000001"), self.env))
            self.report.time_at_most(f"votr show, {method} ({ballots:,} ballots vs single-choice)", counted,
                                     reference, 8)
            if method == "irv":
                irv_runs = counted
        self.versus_votelib(ranked, ballots, irv_runs)

    def versus_votelib(self, database: Path, ballots: int, votr_runs: list[Run]) -> None:
        """votr's whole `show` (start, read, count) against votelib's IRV count alone, on
        the same ballots already in memory (aggregated, as votelib takes them)."""
        reference = self.folder / "votelib_reference.py"
        reference.write_text(VOTELIB_REFERENCE)
        shown = self.folder / "counted-irv.json"
        with shown.open("wb") as out:
            run_once(self.votr_command(database, "show", "p0000001", "--json"), self.env, stdout=out)
        winners = json.loads(shown.read_text())["Polls"][0]["winners"]
        counts = []
        for _ in range(self.runs):
            done = subprocess.run([PYTHON, str(reference), str(database)], env=self.env, capture_output=True,
                                  text=True)
            if done.returncode != 0:
                raise SystemExit(f"the votelib reference failed (is votelib installed? pip install -e "
                                 f"'.[test]'):\n{done.stderr[-2000:]}")
            counts.append(json.loads(done.stdout))
            if counts[-1]["winners"] != winners:
                raise SystemExit(f"votelib elects {counts[-1]['winners']}, votr {winners}")
        self.report.time_at_most(f"votr show, irv ({ballots:,} ballots) vs votelib's count alone", votr_runs,
                                 [Run(c["seconds"], 0, c["cpu_seconds"]) for c in counts], 1)

    # -- 7. votr serve under load -----------------------------------------------------------

    def start_server(self, command: list[str], log: Path) -> tuple[subprocess.Popen, str]:
        """A server process and its URL, read from its "listening on URL" line on stderr."""
        with log.open("w") as log_file:
            process = subprocess.Popen(command, env=self.env, stdin=subprocess.DEVNULL,
                                       stdout=subprocess.DEVNULL, stderr=log_file)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            found = re.search(r"listening on (http://\S+)", log.read_text())
            if found:
                return process, found.group(1)
            if process.poll() is not None:
                break
            time.sleep(0.05)
        process.kill()
        process.wait()
        raise SystemExit(f"the server did not start: {' '.join(command)}\n{log.read_text()[-2000:]}")

    @staticmethod
    def stop_server(process: subprocess.Popen, log: Path) -> None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.returncode != 0:
            raise SystemExit(f"the server failed (exit {process.returncode}):\n{log.read_text()[-2000:]}")

    def load(self, client: Path, url: str, votes_each: int, polls: int, tag: str) -> dict:
        """One run of HTTP_CLIENTS keep-alive clients, each sending votes_each votes."""
        done = subprocess.run([PYTHON, str(client), url, str(HTTP_CLIENTS), str(votes_each), str(polls), tag],
                              env=self.env, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"the HTTP client failed against {url}:\n{done.stderr[-2000:]}")
        return json.loads(done.stdout)

    def http(self) -> None:
        """votr serve against a minimal WSGI app doing the same vote with sqlite3, on the
        same server (waitress, the same threads and settings), both as real processes,
        loaded by the same client: HTTP_CLIENTS threads, each with one keep-alive
        connection (http.client), sending distinct voters' votes one after another."""
        from votr_cli.frontends import http as api

        votes_each = self.scaled(250, least=5)
        client, reference = self.folder / "http_client.py", self.folder / "http_reference.py"
        client.write_text(HTTP_CLIENT)
        reference.write_text(HTTP_REFERENCE)
        waitress_settings = json.dumps({
            "threads": api.WORKER_THREADS, "connection_limit": api.CONNECTION_LIMIT,
            "channel_timeout": api.IDLE_TIMEOUT_SECONDS, "cleanup_interval": 1,
            "max_request_body_size": api.MAX_BODY_BYTES + 1, "clear_untrusted_proxy_headers": True})
        busy_timeout = "10"  # votr's default (VOTR_BUSY_TIMEOUT)
        self.env.pop("VOTR_BUSY_TIMEOUT", None)

        # The client alone: against a WSGI app that answers a constant, on the same server.
        log = self.folder / "http-constant.log"
        process, url = self.start_server([PYTHON, str(reference), "constant", "", busy_timeout, waitress_settings],
                                         log)
        try:
            self.load(client, url, votes_each, 1, "warm-up")
            constant = [self.load(client, url, votes_each, 1, f"run {n}") for n in range(self.runs)]
        finally:
            self.stop_server(process, log)
        self.report.note(f"HTTP client alone ({HTTP_CLIENTS} keep-alive clients) against a WSGI app answering a "
                         f"constant on waitress: {statistics.median(r['per_second'] for r in constant):,.0f} "
                         f"requests/s, p50 {statistics.median(r['p50_ms'] for r in constant):.1f} ms")
        for polls in (1, HTTP_POLLS):
            self.http_row(client, reference, votes_each, polls, busy_timeout, waitress_settings)

    def http_row(self, client: Path, reference: Path, votes_each: int, polls: int, busy_timeout: str,
                 waitress_settings: str) -> None:
        total = HTTP_CLIENTS * votes_each
        where = "one poll" if polls == 1 else f"{polls} polls"
        print(f"votr serve: {HTTP_CLIENTS} keep-alive clients x {votes_each:,} votes on {where}", flush=True)
        databases = {}
        for side in ("votr", "reference"):
            databases[side] = self.new_database(f"http-{side}-{polls}.db")
            self.fill(databases[side], polls, votes=False)
        servers = {}
        try:
            servers["votr"] = self.start_server(self.votr_command(databases["votr"], "serve", "--port", "0"),
                                                self.folder / f"http-votr-{polls}.log")
            servers["reference"] = self.start_server(
                [PYTHON, str(reference), "vote", str(databases["reference"]), busy_timeout, waitress_settings],
                self.folder / f"http-reference-{polls}.log")
            results: dict[str, list[dict]] = {"votr": [], "reference": []}

            def side_run(side):
                def run(attempt):
                    result = self.load(client, servers[side][1], votes_each, polls, f"run {attempt}")
                    if result["failures"]:
                        raise SystemExit(f"{side}: {len(result['failures'])} votes failed, the first: "
                                         f"{result['failures'][0]}")
                    results[side].append(result)
                    return result
                return run

            median_pair(self.runs, side_run("votr"), side_run("reference"))
        finally:
            for side, (process, _) in servers.items():
                self.stop_server(process, self.folder / f"http-{side}-{polls}.log")
        sent = total * (self.runs + (1 if WARM_UP else 0))
        for side, database in databases.items():
            self.check_batch(database, sent)
        run_once(self.votr_command(databases["votr"], "db-check"), self.env)
        measured = {side: runs[-self.runs:] for side, runs in results.items()}
        per_second = {side: statistics.median(r["per_second"] for r in runs) for side, runs in measured.items()}
        self.report.throughput_at_least(f"votr serve, PATCH /api/poll/vote ({HTTP_CLIENTS} clients, {where})",
                                        per_second["votr"], per_second["reference"], 0.5)
        latency = {side: (statistics.median(r["p50_ms"] for r in runs), statistics.median(r["p99_ms"] for r in runs))
                   for side, runs in measured.items()}
        self.report.note(f"votr serve ({where}) latency: p50 {latency['votr'][0]:.1f} ms, p99 "
                         f"{latency['votr'][1]:.1f} ms; reference p50 {latency['reference'][0]:.1f} ms, "
                         f"p99 {latency['reference'][1]:.1f} ms; {sent:,} votes each, all counted, db-check clean")


# The references: plain Python and sqlite3 doing the same work, run as their own processes
# like votr, so that both pay for starting Python.

BATCH_REFERENCE = textwrap.dedent('''
    import datetime, json, sqlite3, sys

    connection = sqlite3.connect(sys.argv[1], isolation_level=None)
    connection.execute("PRAGMA foreign_keys=ON")
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None).isoformat(" ")
    connection.execute("BEGIN IMMEDIATE")
    topic_ids = dict(connection.execute("SELECT public_id, id FROM topics"))
    option_ids = dict(connection.execute("SELECT name, id FROM options"))
    with open(sys.argv[2]) as lines:
        for line in lines:
            vote = json.loads(line)
            topic_id, option_id = topic_ids[vote["poll"]], option_ids[vote["option"]]
            added = connection.execute(
                "INSERT INTO ballots (topic_id, voter, option_id, date_created) VALUES (?, ?, ?, ?) "
                "ON CONFLICT DO NOTHING", (topic_id, vote["voter"], option_id, now)).rowcount
            if added:
                connection.execute("UPDATE polls SET vote_count = vote_count + 1 "
                                   "WHERE topic_id = ? AND option_id = ?", (topic_id, option_id))
                connection.execute("UPDATE topics SET voter_count = voter_count + 1 WHERE id = ?", (topic_id,))
    connection.execute("COMMIT")
''')

# A ranked ballot: the chosen options' codes, most preferred first (core/ballots.py: "A"
# for the first option of the poll, "B" for the second…); it counts for its first choice.
RANKED_BATCH_REFERENCE = textwrap.dedent('''
    import datetime, json, sqlite3, sys

    connection = sqlite3.connect(sys.argv[1], isolation_level=None)
    connection.execute("PRAGMA foreign_keys=ON")
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None).isoformat(" ")
    connection.execute("BEGIN IMMEDIATE")
    topic_ids = dict(connection.execute("SELECT public_id, id FROM topics"))
    choices = {(topic_id, name): (chr(0x41 + position), row_id) for topic_id, name, position, row_id in connection.execute(
        "SELECT polls.topic_id, options.name, polls.position, polls.id FROM polls "
        "JOIN options ON options.id = polls.option_id")}
    with open(sys.argv[2]) as lines:
        for line in lines:
            vote = json.loads(line)
            topic_id = topic_ids[vote["poll"]]
            chosen = [choices[topic_id, name] for name in vote["options"]]
            added = connection.execute(
                "INSERT INTO ballots (topic_id, voter, option_id, choices, date_created) VALUES (?, ?, NULL, ?, ?) "
                "ON CONFLICT DO NOTHING", (topic_id, vote["voter"], "".join(code for code, _ in chosen), now)).rowcount
            if added:
                connection.execute("UPDATE polls SET vote_count = vote_count + 1 WHERE id = ?", (chosen[0][1],))
                connection.execute("UPDATE topics SET voter_count = voter_count + 1 WHERE id = ?", (topic_id,))
    connection.execute("COMMIT")
''')

# Streamed as votr streams: one poll's JSON written as soon as its rows are read.
LIST_REFERENCE = textwrap.dedent('''
    import json, sqlite3, sys

    connection = sqlite3.connect(sys.argv[1])
    rows = connection.execute(
        "SELECT topics.id, topics.public_id, topics.title, topics.status, topics.close_date, topics.kind, "
        "topics.method, topics.min_choices, topics.max_choices, topics.voter_count, topics.allow_change, "
        "topics.results, topics.secret, topics.quorum, topics.invite_only, options.name, polls.vote_count "
        "FROM topics LEFT JOIN polls ON polls.topic_id = topics.id LEFT JOIN options ON options.id = polls.option_id "
        "ORDER BY topics.id, polls.position")
    write = sys.stdout.write
    separator = ""

    def emit(poll, counts):
        global separator
        top = max(counts.values(), default=0)
        poll["total_vote_count"] = sum(counts.values())
        if poll["quorum_reached"]:
            poll["winners"] = [name for name, votes in counts.items() if votes == top] if top > 0 else []
        write(separator + json.dumps(poll, ensure_ascii=False))
        separator = ", "

    write('{"Polls": [')
    current, counts, topic = None, None, None
    for (topic_id, public_id, title, status, close_date, kind, method, least, most, voters, allow_change,
         results, secret, quorum, invite_only, name, vote_count) in rows:
        if topic_id != topic:
            if current is not None:
                emit(current, counts)
            if results != "always":  # the benchmark's polls show their results to everyone
                sys.exit(f"the reference does not hide results ({results})")
            topic, counts = topic_id, {}
            current = {"id": public_id, "title": title, "status": bool(status), "options": [],
                       "close_date": close_date, "total_vote_count": 0, "kind": kind, "method": method,
                       "min_choices": least, "max_choices": most, "voter_count": voters, "winners": [],
                       "allow_change": bool(allow_change), "results": results, "secret": bool(secret),
                       "quorum": quorum, "quorum_reached": quorum is None or voters >= quorum,
                       "results_hidden": False, "invite_only": bool(invite_only)}
        if name is not None:
            current["options"].append({"name": name, "vote_count": vote_count})
            counts[name] = vote_count
    if current is not None:
        emit(current, counts)
    write("]}")
''')

# The HTTP client: HTTP_CLIENTS threads, each with one keep-alive connection, each sending
# its votes one after another (distinct voters, spread over the polls "Poll 1"...). All
# connect first; the clock runs from the first request to the last answer.
HTTP_CLIENT = textwrap.dedent('''
    import http.client, json, sys, threading, time
    from urllib.parse import urlsplit

    url, clients, each, polls, tag = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    parts = urlsplit(url)
    headers = {"Content-Type": "application/json"}
    latencies, failures = [], []
    ready = threading.Barrier(clients + 1)

    def client(n):
        bodies = []
        for i in range(each):
            topic = (n * each + i) % polls + 1
            bodies.append(json.dumps({"poll_title": f"Poll {topic}", "option": f"Option {(topic + i % 5) % 50 + 1}",
                                      "voter": f"{tag} client {n} voter {i}"}).encode())
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=300)
        connection.connect()
        mine = []
        ready.wait()
        clock = time.perf_counter
        for body in bodies:
            started = clock()
            connection.request("PATCH", "/api/poll/vote", body, headers)
            response = connection.getresponse()
            answer = response.read()
            mine.append(clock() - started)
            if response.status != 200:
                failures.append(f"{response.status} {answer[:300]!r}")
        connection.close()
        latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    ready.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    latencies.sort()
    print(json.dumps({"seconds": seconds, "per_second": len(latencies) / seconds, "failures": failures,
                      "p50_ms": latencies[len(latencies) // 2] * 1000,
                      "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000}))
''')

# The reference server: a WSGI app on waitress with votr serve's threads and settings
# (given as JSON), doing a vote's work with sqlite3 on the connection settings votr uses
# (WAL in the file, the busy timeout, foreign keys and secure_delete on, BEGIN IMMEDIATE,
# the process's writers queued on a lock): one connection per worker thread; the poll and option found by their keys in one query,
# the poll checked open, the ballot inserted (the unique (poll, voter) index refuses a
# second), the two counters incremented, committed, a small JSON answer. "constant"
# answers a constant without touching a database, to measure the client alone.
HTTP_REFERENCE = textwrap.dedent('''
    import datetime, hashlib, json, signal, sqlite3, sys, threading, unicodedata
    import waitress

    mode, path, busy_timeout, settings = sys.argv[1], sys.argv[2], float(sys.argv[3]), json.loads(sys.argv[4])
    local = threading.local()
    writer = threading.Lock()
    FIND = ("SELECT topics.id, topics.status, topics.close_date, polls.id, polls.option_id FROM topics "
            "JOIN polls ON polls.topic_id = topics.id JOIN options ON options.id = polls.option_id "
            "WHERE topics.title_key = ? AND options.name_key = ?")

    def key(text):
        return hashlib.sha256(unicodedata.normalize("NFC", text.casefold()).encode()).hexdigest()

    def connection():
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = sqlite3.connect(path, timeout=busy_timeout, isolation_level=None)
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA secure_delete=ON")
        return conn

    def answer(start_response, status, payload):
        body = json.dumps(payload).encode()
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    def vote(environ, start_response):
        if environ["REQUEST_METHOD"] != "PATCH" or environ["PATH_INFO"] != "/api/poll/vote":
            return answer(start_response, "404 Not Found", {"error": "no such endpoint"})
        try:
            body = json.loads(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)))
            title, option, voter = body["poll_title"], body["option"], body["voter"]
            if not all(isinstance(value, str) and value.strip() for value in (title, option, voter)):
                raise ValueError
        except (ValueError, KeyError, TypeError):
            return answer(start_response, "400 Bad Request", {"error": "poll_title, option and voter are needed"})
        now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None).isoformat(" ")
        conn = connection()
        with writer:  # one writer at a time, queued in the process, as votr does
            return write(conn, start_response, now, title, option, voter)

    def write(conn, start_response, now, title, option, voter):
        conn.execute("BEGIN IMMEDIATE")
        try:
            found = conn.execute(FIND, (key(title.strip()), key(option.strip()))).fetchone()
            if found is None:
                conn.execute("ROLLBACK")
                return answer(start_response, "404 Not Found", {"error": "no such poll or option"})
            topic_id, status, close_date, choice_id, option_id = found
            if not status or (close_date is not None and close_date <= now):
                conn.execute("ROLLBACK")
                return answer(start_response, "409 Conflict", {"error": "the poll is closed"})
            added = conn.execute("INSERT INTO ballots (topic_id, voter, option_id, date_created) "
                                 "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                                 (topic_id, unicodedata.normalize("NFC", voter.strip()).casefold(), option_id,
                                  now)).rowcount
            if not added:
                conn.execute("ROLLBACK")
                return answer(start_response, "409 Conflict", {"error": "already voted"})
            conn.execute("UPDATE polls SET vote_count = vote_count + 1 WHERE id = ?", (choice_id,))
            conn.execute("UPDATE topics SET voter_count = voter_count + 1 WHERE id = ?", (topic_id,))
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return answer(start_response, "200 OK", {"message": "Vote recorded", "poll": title})

    CONSTANT = b'{"message": "Vote recorded"}'

    def constant(environ, start_response):
        environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(CONSTANT)))])
        return [CONSTANT]

    def stop(signum, frame):
        raise SystemExit(0)  # waitress's run() ends on SystemExit, as in votr serve

    server = waitress.create_server(vote if mode == "vote" else constant, host="127.0.0.1", port=0, ident="votr",
                                    **settings)
    signal.signal(signal.SIGTERM, stop)
    print(f"listening on http://127.0.0.1:{server.effective_port}", file=sys.stderr, flush=True)
    server.run()
''')


# votelib's instant-runoff count of the same ballots: read and aggregated first (not timed).
VOTELIB_REFERENCE = textwrap.dedent('''
    import json, sqlite3, sys, time

    from votelib.evaluate.sequential import TransferableVoteSelector

    connection = sqlite3.connect(sys.argv[1])
    names = [name for (name,) in connection.execute(
        "SELECT options.name FROM polls JOIN options ON options.id = polls.option_id "
        "WHERE polls.topic_id = 1 ORDER BY polls.position")]
    ballots = {}
    for (choices,) in connection.execute("SELECT choices FROM ballots WHERE topic_id = 1"):
        ballot = tuple(names[ord(code) - 0x41] for code in choices)
        ballots[ballot] = ballots.get(ballot, 0) + 1
    started, cpu = time.perf_counter(), time.process_time()
    winners = TransferableVoteSelector().evaluate(ballots, 1)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    print(json.dumps({"seconds": seconds, "cpu_seconds": cpu_seconds, "winners": [str(w) for w in winners]}))
''')


def ballot_digest(database: Path) -> str:
    """What a database's ballots say (poll, voter, option, choices) and its counters, as one hash."""
    connection = sqlite3.connect(database)
    digest = hashlib.sha256()
    for query in ("SELECT topic_id, voter, option_id, choices FROM ballots ORDER BY topic_id, voter",
                  "SELECT topic_id, position, vote_count FROM polls ORDER BY topic_id, position",
                  "SELECT id, voter_count FROM topics ORDER BY id"):
        for row in connection.execute(query):
            digest.update(repr(row).encode())
    connection.close()
    return digest.hexdigest()


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return (f"{os.cpu_count()} CPUs ({model}), Python {platform.python_version()}, "
            f"SQLite {sqlite3.sqlite_version}, load average {load}")


SECTIONS = ("startup", "single_commands", "batch", "batch_ranked", "listing", "show", "counting", "http")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0,
                        help="multiply every data size by this (0.01 for a quick check; default 1)")
    parser.add_argument("--runs", type=int, default=3,
                        help="measured runs per figure; quick commands run five times as often (default 3)")
    parser.add_argument("--keep", metavar="FOLDER", help="build the data sets in FOLDER and keep them")
    parser.add_argument("--smoke", action="store_true",
                        help="tiny data, one run of each, no warm-up: checks that the benchmark works "
                             "(its figures mean nothing)")
    parser.add_argument("--only", action="append", choices=SECTIONS, metavar="SECTION",
                        help=f"run only this section (repeatable): {', '.join(SECTIONS)}")
    args = parser.parse_args(argv)
    if args.scale <= 0 or args.runs < 1:
        parser.error("--scale must be above 0 and --runs at least 1")
    quick_runs = args.runs * 5
    if args.smoke:
        global WARM_UP
        WARM_UP = False
        args.scale, args.runs, quick_runs = min(args.scale, 0.001), 1, 1

    print(f"machine: {machine()}", flush=True)
    started = time.perf_counter()
    if args.keep:
        folder = Path(args.keep)
        folder.mkdir(parents=True, exist_ok=True)
        cleanup = None
    else:
        cleanup = tempfile.TemporaryDirectory(prefix="votr-bench-")
        folder = Path(cleanup.name)
    try:
        bench = Bench(folder, args.scale, args.runs, quick_runs)
        only = set(args.only or SECTIONS)
        if "counting" in only:
            only.add("show")  # counting compares with show's poll of a million ballots
        for section in SECTIONS:
            if section in only:
                getattr(bench, section)()
    finally:
        if cleanup is not None:
            cleanup.cleanup()
    report = bench.report
    print()
    print(report.table())
    missed = [figure.name for figure in report.figures if not figure.passed]
    print(f"\n{len(report.figures) - len(missed)} of {len(report.figures)} targets met "
          f"in {time.perf_counter() - started:.0f} s; load average now "
          f"{', '.join(f'{value:.2f}' for value in os.getloadavg())}")
    if missed:
        print(f"missed: {'; '.join(missed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
