"""Shared fixtures. Every test gets its own VOTR_HOME and its own empty database.

The backend comes from `--backend` or VOTR_TEST_BACKEND: sqlite (default), postgresql or
mysql (MariaDB). Server backends use the real servers on loopback; each test gets a
database of its own that is dropped afterwards. A requested server that cannot be
reached fails the run: it is never skipped.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

BACKENDS = ("sqlite", "postgresql", "mysql")
SERVER_URLS = {
    "postgresql": os.environ.get("VOTR_TEST_POSTGRESQL_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
    "mysql": os.environ.get("VOTR_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/test"),
}
REPO = Path(__file__).resolve().parent.parent
_counter = itertools.count()


def pytest_addoption(parser):
    parser.addoption("--backend", choices=BACKENDS, default=None,
                     help="database backend for the whole suite (env: VOTR_TEST_BACKEND; default sqlite)")


def pytest_configure(config):
    backend = config.getoption("--backend") or os.environ.get("VOTR_TEST_BACKEND") or "sqlite"
    if backend not in BACKENDS:
        raise pytest.UsageError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    config.votr_backend = backend


# Tests that behave the same on every backend: tests/unit touch no database, and
# tests/terminal test what votr shows a terminal (formats, prompts, completion scripts).
# tests/browser drive the voting pages, which call the same service functions as the
# HTTP API (tested on every backend in tests/api): one pass keeps the suite fast.
SQLITE_PASS_ONLY = ("tests/unit/", "tests/terminal/", "tests/browser/")


def pytest_collection_modifyitems(config, items):
    """A run of the whole suite on a server backend leaves SQLITE_PASS_ONLY to the
    SQLite pass (the README's test command runs that first) rather than running them
    once per backend. Asked for alone, they run on any backend."""
    if config.votr_backend == "sqlite":
        return
    left = [item for item in items if item.nodeid.startswith(SQLITE_PASS_ONLY)]
    if left and len(left) < len(items):
        config.hook.pytest_deselected(items=left)
        items[:] = [item for item in items if not item.nodeid.startswith(SQLITE_PASS_ONLY)]


def pytest_report_header(config):
    return f"votr backend: {config.votr_backend}"


@pytest.fixture(scope="session")
def backend(pytestconfig) -> str:
    return pytestconfig.votr_backend


class ServerDatabases:
    """Creates and drops one database per test on a server backend."""

    def __init__(self, backend: str):
        from sqlalchemy import create_engine
        from sqlalchemy.engine import make_url

        self.backend = backend
        self.base_url = make_url(SERVER_URLS[backend])
        self.admin = create_engine(self.base_url, isolation_level="AUTOCOMMIT")
        try:
            with self.admin.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
        except Exception as exc:  # noqa: BLE001 - any failure to reach the server ends the run
            pytest.exit(f"backend {backend} requested but unreachable at "
                        f"{self.base_url.render_as_string(hide_password=True)}: {exc}", returncode=3)

    def drop_leftovers(self) -> None:
        """Drop the databases of test runs that were killed before they could clean up.

        A database's name carries the process id of the run that made it; runs still
        alive (other suites on this machine) keep theirs.
        """
        from sqlalchemy import text

        if self.backend == "postgresql":
            listing = text("SELECT datname FROM pg_database WHERE datname LIKE :pattern")
        else:
            listing = text("SHOW DATABASES LIKE :pattern")
        with self.admin.connect() as conn:
            names = list(conn.execute(listing, {"pattern": "votr\\_t%"}).scalars())
        for name in names:
            pid = name.split("_")[1][1:]
            if pid.isdigit() and not _process_alive(int(pid)):
                self.drop(self.base_url.set(database=name).render_as_string(hide_password=False))

    def create(self) -> str:
        name = f"votr_t{os.getpid()}_{next(_counter)}_{uuid.uuid4().hex[:6]}"
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {name}")
        url = self.base_url.set(database=name)
        if self.backend == "mysql":
            url = url.update_query_dict({"charset": "utf8mb4"})
        return url.render_as_string(hide_password=False)

    def drop(self, url: str) -> None:
        from sqlalchemy.engine import make_url

        name = make_url(url).database
        with self.admin.connect() as conn:
            if self.backend == "postgresql":
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            else:
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# autouse: a requested server that cannot be reached ends the run at once, whichever
# tests were selected, rather than passing the tests that happen not to need it.
@pytest.fixture(scope="session", autouse=True)
def server_databases(backend):
    if backend == "sqlite":
        yield None
        return
    servers = ServerDatabases(backend)
    servers.drop_leftovers()
    yield servers
    servers.admin.dispose()


def _empty_database(backend: str, server_databases, sqlite_file: Path):
    """A URL for an empty database of the backend, dropped when the generator ends."""
    if backend == "sqlite":
        yield f"sqlite:///{sqlite_file}"
        return
    url = server_databases.create()
    yield url
    server_databases.drop(url)


@pytest.fixture
def database_url(backend, server_databases, tmp_path) -> str:
    """A URL for an empty database of the selected backend, dropped after the test."""
    yield from _empty_database(backend, server_databases, tmp_path / "votr.db")


@pytest.fixture
def second_database(backend, server_databases, tmp_path) -> str:
    """Another empty database on the selected backend."""
    yield from _empty_database(backend, server_databases, tmp_path / "second.db")


@pytest.fixture
def votr_env(tmp_path, database_url, monkeypatch) -> dict:
    """Isolate votr from the user's machine: its own home, database and voter."""
    home = tmp_path / "home"
    monkeypatch.setenv("VOTR_HOME", str(home))
    monkeypatch.setenv("VOTR_DATABASE_URL", database_url)
    for name in ("VOTR_VOTER", "VOTR_BUSY_TIMEOUT", "VOTR_DEBUG", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("VOTR_VOTER", "tester")
    return {"VOTR_HOME": str(home), "VOTR_DATABASE_URL": database_url, "VOTR_VOTER": "tester"}


@dataclass
class Outcome:
    exit_code: int
    stdout: str
    stderr: str

    def json(self):
        return json.loads(self.stdout)

    def error(self):
        return json.loads(self.stderr)["error"]


@pytest.fixture
def votr(votr_env):
    """Run votr in-process through click's CliRunner: `votr("list", "--json")`."""
    from votr_cli.frontends.cli import main

    def run(*args: str, input: str | None = None, env: dict | None = None) -> Outcome:
        result = CliRunner().invoke(main, list(args), input=input, env=env, prog_name="votr",
                                    catch_exceptions=False)
        return Outcome(result.exit_code, result.stdout, result.stderr)

    return run


def votr_executable() -> str:
    """The installed `votr` entry point beside the running Python."""
    candidate = Path(sys.executable).parent / "votr"
    found = str(candidate) if candidate.exists() else shutil.which("votr")
    if not found:
        pytest.fail("the votr entry point is not installed: pip install -e '.[test]'")
    return found


@pytest.fixture
def votr_proc(votr_env):
    """Run the installed `votr` as a real OS process."""
    executable = votr_executable()

    def run(*args: str, input: str | bytes | None = None, env: dict | None = None, timeout: float = 60,
            cwd: str | Path | None = None) -> Outcome:
        full_env = {**os.environ, **votr_env, **(env or {})}
        raw = isinstance(input, bytes)  # bytes reach stdin as they are: a BOM, bytes that are not UTF-8
        done = subprocess.run([executable, *args], input=input, capture_output=True, text=not raw,
                              env=full_env, timeout=timeout, cwd=cwd)
        if raw:
            return Outcome(done.returncode, done.stdout.decode(), done.stderr.decode())
        return Outcome(done.returncode, done.stdout, done.stderr)

    return run
