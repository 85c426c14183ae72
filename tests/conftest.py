"""Shared fixtures. Every test gets its own VOTR_HOME and a database of its own: empty,
or with votr's tables already made in a test marked `schema_at_head` (see database_url).

The backend comes from `--backend` or VOTR_TEST_BACKEND: sqlite (default), postgresql or
mysql (MariaDB). Server backends use the real servers on loopback; a test's database is
emptied and handed to a later test, or dropped (see ServerDatabases). A requested server
that cannot be reached fails the run: it is never skipped.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

# scripts/test runs each backend's pass in the background, and a shell starts background
# jobs with SIGINT ignored; processes inherit that, and a Python that starts with SIGINT
# ignored keeps ignoring it. The tests that press Ctrl-C need votr to hear it, as it does
# in a terminal: a handler here (a handler, unlike "ignore", is not inherited across exec)
# gives every process the tests start SIGINT's default again.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

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
    SQLite pass (the README's test command runs it too) rather than running them
    once per backend. Asked for alone, they run on any backend."""
    elsewhere = [item for item in items
                 if (mark := item.get_closest_marker("backends")) and config.votr_backend not in mark.args]
    if elsewhere:  # @pytest.mark.backends("sqlite"): a test of one backend's own behaviour
        config.hook.pytest_deselected(items=elsewhere)
        items[:] = [item for item in items if item not in elsewhere]
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
    """Hands each test a database of its own on a server backend, and takes it back.

    Making and dropping a database per test was a large share of a server pass
    (PostgreSQL's DROP DATABASE alone took longer than most tests), and so was votr
    creating its tables in each.
    So a database a test gives back is looked at: if its schema is exactly what votr
    creates (SCHEMA_HEAD, the same tables, columns, indexes, constraints, and no
    trigger, function, view or other object) or exactly nothing, its rows are deleted,
    its id counters reset, its leftover sessions ended, and it goes back to a pool for
    the next test that wants a database in that state. Anything else (a downgrade, an
    adoption, a planted trigger) is dropped as before. A database at head that no test
    has given back is copied from a template votr itself created once per run.
    """

    POOL_SIZE = 8  # databases kept in each state, beyond which they are dropped

    def __init__(self, backend: str):
        from sqlalchemy import create_engine
        from sqlalchemy.engine import make_url

        self.backend = backend
        self.base_url = make_url(SERVER_URLS[backend])
        self.admin = create_engine(self.base_url, isolation_level="AUTOCOMMIT",
                                   connect_args={"ssl_disabled": True} if backend == "mysql" else {})
        self.pools: dict[str, list[str]] = {"empty": [], "head": []}
        self._fingerprints: dict[str, str] = {}
        self._template: str | None = None
        self._template_ddl: list[str] = []
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
                self._drop_name(name)

    def url(self, name: str) -> str:
        url = self.base_url.set(database=name)
        if self.backend == "mysql":
            # The loopback server has TLS off, but PyMySQL would still build an SSL
            # context (loading the system's CA certificates) for every connection.
            url = url.update_query_dict({"charset": "utf8mb4", "ssl_disabled": "true"})
        return url.render_as_string(hide_password=False)

    def _new_name(self) -> str:
        return f"votr_t{os.getpid()}_{next(_counter)}_{uuid.uuid4().hex[:6]}"

    def _create_empty(self) -> str:
        return self._create_empty_named(self._new_name())

    def _create_empty_named(self, name: str) -> str:
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {name}")
        return name

    def create(self) -> str:
        """An empty database: no table at all, as a new install finds it."""
        if self.pools["empty"]:
            return self.url(self.pools["empty"].pop())
        if self.backend == "postgresql" and self.pools["head"]:
            # Dropping a few tables is much cheaper than DROP DATABASE there.
            name = self.pools["head"].pop()
            try:
                self._drop_tables(name)
                if self._fingerprint(name) == self._fingerprints["empty"]:
                    return self.url(name)
            except Exception:  # noqa: BLE001 - then a new one, as below
                pass
            self._drop_name(name)
        return self.url(self._create_empty())

    def _drop_tables(self, name: str) -> None:
        with self._inside(name) as run:
            tables = [row[0] for row in run("SELECT quote_ident(relname) FROM pg_class WHERE relkind = 'r' "
                                             "AND relnamespace = 'public'::regnamespace")]
            if tables:
                run(f"DROP TABLE {', '.join(tables)} CASCADE")

    def create_at_head(self) -> str:
        """A database with votr's tables at SCHEMA_HEAD and no rows, as votr's first
        command leaves a new database."""
        if self.pools["head"]:
            return self.url(self.pools["head"].pop())
        template = self._head_template()
        name = self._new_name()
        if self.backend == "postgresql":
            with self.admin.connect() as conn:
                conn.exec_driver_sql(f"CREATE DATABASE {name} TEMPLATE {template}")
            return self.url(name)
        # MariaDB has no template databases: run the template's own DDL in a new one.
        self._create_empty_named(name)
        with self._inside(name) as run:
            run("SET foreign_key_checks = 0")
            for statement in self._template_ddl:
                run(statement)
            run("SET foreign_key_checks = 1")
            run(f"INSERT INTO alembic_version SELECT * FROM {template}.alembic_version")
        return self.url(name)

    def _head_template(self) -> str:
        """The run's template database, its tables created by votr itself, once."""
        if self._template is None:
            from votr_cli.frontends import settings

            name = self._create_empty()
            database = settings.database(self.url(name))
            try:
                database._ensure_schema()
            finally:
                database.dispose()
            if self.backend == "mysql":
                with self._inside(name) as run:
                    self._template_ddl = [run(f"SHOW CREATE TABLE `{table}`")[0][1]
                                          for (table,) in run("SHOW TABLES")]
            self._template = name
            self._fingerprints["head"] = self._fingerprint(name)
        return self._template

    @contextlib.contextmanager
    def _inside(self, name: str):
        """`run(sql)` → rows, on one plain driver connection to database `name` in
        autocommit mode (a SQLAlchemy engine's first connection asks the server a dozen
        questions first, which cost more than the work here)."""
        url = self.base_url
        if self.backend == "postgresql":
            import psycopg

            with psycopg.connect(host=url.host, port=url.port or 5432, user=url.username,
                                 password=url.password or None, dbname=name, autocommit=True) as conn:
                def run(sql: str) -> list:
                    cursor = conn.execute(sql)
                    return cursor.fetchall() if cursor.description else []

                yield run
        else:
            import pymysql

            conn = pymysql.connect(host=url.host, port=url.port or 3306, user=url.username,
                                   password=url.password or "", database=name, autocommit=True, charset="utf8mb4",
                                   ssl_disabled=True)
            try:
                def run(sql: str) -> list:
                    with conn.cursor() as cursor:
                        cursor.execute(sql)
                        return list(cursor.fetchall()) if cursor.description else []

                yield run
            finally:
                conn.close()

    def release(self, url: str) -> None:
        """Take back a test's database: to a pool when it is exactly empty or exactly at
        head once its rows are gone, else dropped."""
        from sqlalchemy.engine import make_url

        name = make_url(url).database
        state = None
        try:
            self._end_sessions(name)
            self._known_fingerprints()
            with self._inside(name) as run:
                found = self._fingerprint_with(run)
                state = next((state for state, fingerprint in self._fingerprints.items() if found == fingerprint), None)
                if state == "head":
                    self._clear(run)
        except Exception:  # noqa: BLE001 - a database in a state not understood is dropped
            state = None
        if state is None or len(self.pools[state]) >= self.POOL_SIZE:
            self._drop_name(name)
        else:
            self.pools[state].append(name)

    def _known_fingerprints(self) -> None:
        if "empty" not in self._fingerprints:
            probe = self._create_empty()
            self._fingerprints["empty"] = self._fingerprint(probe)
            self._drop_name(probe)
        self._head_template()

    def _fingerprint(self, name: str) -> str:
        with self._inside(name) as run:
            return self._fingerprint_with(run)

    def _fingerprint_with(self, run) -> str:
        """Everything in a database's schema that a test could have changed, and the
        Alembic revision it is stamped with; no row counts or id counters."""
        if self.backend == "postgresql":
            lines = [row[0] for row in run(_PG_FINGERPRINT)]
            tables = [row[0] for row in run(
                "SELECT relname FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace")]
        else:
            lines = [f"{row[0]} {row[1]}" for row in run(_MYSQL_FINGERPRINT)]
            tables = [row[0] for row in run("SHOW TABLES")]
            for table in tables:
                ddl = run(f"SHOW CREATE TABLE `{table}`")[0][1]
                lines.append(re.sub(r" AUTO_INCREMENT=\d+", "", ddl))
        if "alembic_version" in tables:
            lines += [f"revision {row[0]}" for row in run("SELECT version_num FROM alembic_version")]
        return "\n".join(sorted(str(line) for line in lines))

    def _end_sessions(self, name: str) -> None:
        """End the sessions a test's processes left on its database (DROP DATABASE …
        WITH (FORCE) did as much)."""
        with self.admin.connect() as conn:
            if self.backend == "postgresql":
                conn.exec_driver_sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                     f"WHERE datname = '{name}' AND pid <> pg_backend_pid()")
            else:
                ids = conn.exec_driver_sql("SELECT id FROM information_schema.processlist "
                                           f"WHERE db = '{name}' AND id <> CONNECTION_ID()").scalars()
                for session in list(ids):
                    try:
                        conn.exec_driver_sql(f"KILL {int(session)}")
                    except Exception:  # noqa: BLE001 - it ended by itself meanwhile
                        pass

    def _clear(self, run) -> None:
        """Delete every row but the Alembic revision, and reset the id counters, so the
        next test's first row gets id 1 as in a new database. Few rows are deleted in one
        transaction (children first); a big table is truncated."""
        from votr_cli.db.tables import metadata

        children_first = [table.name for table in reversed(metadata.sorted_tables) if table.name != "alembic_version"]
        quote = (lambda table: f'"{table}"') if self.backend == "postgresql" else (lambda table: f"`{table}`")
        sizes = {table: run(f"SELECT count(*) FROM (SELECT 1 FROM {quote(table)} LIMIT 1001) AS t")[0][0]
                 for table in children_first}
        big = [table for table in children_first if sizes[table] > 1000]
        small = [table for table in children_first if 0 < sizes[table] <= 1000]
        if self.backend == "postgresql":
            run("SET lock_timeout = '10s'")
            if big:
                run(f"TRUNCATE {', '.join(quote(table) for table in big)} CASCADE")
            if small:
                run("BEGIN")
                for table in small:
                    run(f"DELETE FROM {quote(table)}")
                run("COMMIT")
            run("SELECT setval(c.oid, 1, false) FROM pg_class c "
                "WHERE c.relkind = 'S' AND c.relnamespace = 'public'::regnamespace")
        else:
            run("SET SESSION lock_wait_timeout = 10")
            counters = {row[0] for row in run(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = DATABASE() AND auto_increment > 1")}
            run("SET foreign_key_checks = 0")
            for table in big:
                run(f"TRUNCATE TABLE {quote(table)}")  # which resets its counter
                counters.discard(table)
            if small:
                run("START TRANSACTION")
                for table in small:
                    run(f"DELETE FROM {quote(table)}")
                run("COMMIT")
            run("SET foreign_key_checks = 1")
            for table in counters:
                run(f"ALTER TABLE {quote(table)} AUTO_INCREMENT = 1")

    def drop(self, url: str) -> None:
        from sqlalchemy.engine import make_url

        self._drop_name(make_url(url).database)

    def _drop_name(self, name: str) -> None:
        with self.admin.connect() as conn:
            if self.backend == "postgresql":
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            else:
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")

    def close(self) -> None:
        """Drop the pooled databases and the template at the end of the run."""
        for name in [*self.pools["empty"], *self.pools["head"], *([self._template] if self._template else [])]:
            self._drop_name(name)
        self.admin.dispose()


# Every object in the public schema and the database, with its definition.
_PG_FINGERPRINT = """
SELECT 'rel ' || c.relname || ' ' || c.relkind::text || ' ' || coalesce(c.relacl::text, '')
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
UNION ALL
SELECT 'col ' || c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
       || ' ' || a.attnotnull::text || ' ' || coalesce(pg_get_expr(d.adbin, d.adrelid), '')
       || ' ' || coalesce(a.attcollation::regcollation::text, '')
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
 WHERE n.nspname = 'public' AND a.attnum > 0 AND NOT a.attisdropped
UNION ALL
SELECT 'idx ' || indexdef FROM pg_indexes WHERE schemaname = 'public'
UNION ALL
SELECT 'con ' || conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid)
  FROM pg_constraint WHERE connamespace = 'public'::regnamespace
UNION ALL
SELECT 'ns ' || nspname || ' ' || coalesce(nspacl::text, '') FROM pg_namespace
 WHERE left(nspname, 3) <> 'pg_' AND nspname <> 'information_schema'
UNION ALL
SELECT 'fn ' || n.nspname || '.' || p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
UNION ALL
SELECT 'trigger ' || tgname FROM pg_trigger WHERE NOT tgisinternal
UNION ALL
SELECT 'type ' || t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
 WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
UNION ALL
SELECT 'extension ' || extname FROM pg_extension
UNION ALL
SELECT 'setting ' || array_to_string(setconfig, ',') FROM pg_db_role_setting
 WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())
UNION ALL
SELECT 'database ' || datallowconn::text || ' ' || datconnlimit::text || ' ' || coalesce(datacl::text, '')
  FROM pg_database WHERE datname = current_database()
"""

_MYSQL_FINGERPRINT = """
SELECT 'schema', CONCAT(default_character_set_name, ' ', default_collation_name)
  FROM information_schema.schemata WHERE schema_name = DATABASE()
UNION ALL
SELECT 'table', CONCAT(table_name, ' ', table_type, ' ', coalesce(engine, '')) FROM information_schema.tables
 WHERE table_schema = DATABASE()
UNION ALL
SELECT 'trigger', trigger_name FROM information_schema.triggers WHERE trigger_schema = DATABASE()
UNION ALL
SELECT 'routine', routine_name FROM information_schema.routines WHERE routine_schema = DATABASE()
UNION ALL
SELECT 'event', event_name FROM information_schema.events WHERE event_schema = DATABASE()
"""


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
    servers.close()


@pytest.fixture(scope="session")
def sqlite_head_template(tmp_path_factory) -> Path:
    """A SQLite file whose tables votr itself created, once per run, to copy."""
    from votr_cli.frontends import settings

    path = tmp_path_factory.mktemp("template") / "votr.db"
    database = settings.database(f"sqlite:///{path}")
    try:
        database._ensure_schema()
    finally:
        database.dispose()
    return path


def _database(request, backend: str, server_databases, sqlite_file: Path, *, at_head: bool):
    """A URL for a database of the backend of the test's own, empty or at head, taken
    back when the generator ends."""
    if backend == "sqlite":
        if at_head:
            shutil.copyfile(request.getfixturevalue("sqlite_head_template"), sqlite_file)
        yield f"sqlite:///{sqlite_file}"
        return
    url = server_databases.create_at_head() if at_head else server_databases.create()
    yield url
    server_databases.release(url)


@pytest.fixture
def database_url(request, backend, server_databases, tmp_path) -> str:
    """A URL for an empty database of the selected backend, the test's own.

    In a test marked `schema_at_head` (a module can say `pytestmark =
    pytest.mark.schema_at_head`), the database already has votr's tables at SCHEMA_HEAD
    and no rows, as votr's first command leaves a new database: the same as far as the
    test can tell, but it skips creating the tables. Tests of how votr creates,
    migrates or adopts a database, or of what it does with an empty one, keep the
    empty database (no mark)."""
    at_head = request.node.get_closest_marker("schema_at_head") is not None
    yield from _database(request, backend, server_databases, tmp_path / "votr.db", at_head=at_head)


@pytest.fixture
def ready_database_url(request, backend, server_databases, tmp_path) -> str:
    """A database with votr's tables at SCHEMA_HEAD and no rows, whatever the marks."""
    yield from _database(request, backend, server_databases, tmp_path / "ready.db", at_head=True)


@pytest.fixture
def second_database(request, backend, server_databases, tmp_path) -> str:
    """Another empty database on the selected backend."""
    yield from _database(request, backend, server_databases, tmp_path / "second.db", at_head=False)


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
