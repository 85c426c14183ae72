"""The differences between the backends votr runs on, in one place.

Everything else asks this module which family a connection belongs to, or has it do the
one thing each backend does its own way: insert while ignoring duplicates, serialise
schema changes between processes, move id sequences past rows inserted with their ids,
hand many rows to the driver's executemany, and make room for long aggregated strings.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator, Sequence

from sqlalchemy import Column, Connection, Engine, Table, insert, inspect, text
from sqlalchemy.exc import DBAPIError

from votr_cli.core.errors import DatabaseProblem
from votr_cli.db.prepared import Prepared

SQLITE = "sqlite"
POSTGRESQL = "postgresql"
MYSQL = "mysql"
# SQLAlchemy names MariaDB apart from MySQL; to votr they are one family.
MYSQL_NAMES = ("mysql", "mariadb")
SCHEMA_LOCK_SECONDS = 30


def family(of: Connection | Engine | str) -> str:
    """'sqlite', 'postgresql' or 'mysql' (MariaDB included); any other name as it is."""
    name = of if isinstance(of, str) else of.dialect.name
    return MYSQL if name in MYSQL_NAMES else name


def is_sqlite(of: Connection | Engine | str) -> bool:
    return family(of) == SQLITE


def is_postgresql(of: Connection | Engine | str) -> bool:
    return family(of) == POSTGRESQL


def is_mysql(of: Connection | Engine | str) -> bool:
    return family(of) == MYSQL


def needs_row_locks(of: Connection | Engine | str) -> bool:
    """Whether a write must lock the rows it reads to keep out concurrent writers: on the
    servers, yes (SELECT … FOR SHARE/UPDATE); SQLite's BEGIN IMMEDIATE already lets only
    one writer in at a time."""
    return not is_sqlite(of)


def insert_ignoring_duplicates(conn: Connection, table: Table, rows: list[dict] | dict) -> int:
    """Insert, leaving out rows that would break a unique constraint; return rows added.

    Each dialect's own conflict handling does this atomically, so two writers racing for
    the same key cannot both get in, and neither fails.
    """
    which = family(conn)
    if isinstance(rows, dict):  # one row, as a vote inserts: compiled once (db/prepared.py)
        prepared = _prepared_ignoring_insert(which, table, tuple(rows))
        if which == MYSQL:
            return prepared.run(conn, rows)
        return len(prepared.rows(conn, rows))
    statement = _ignoring_insert(which, table)
    if which == MYSQL:
        # MySQL's affected-rows count leaves out the ignored rows.
        return conn.execute(statement, rows).rowcount
    # Count the rows RETURNING gives back: psycopg reports no rowcount (-1) for an INSERT
    # that returns rows, and -1 would read as "added".
    return len(conn.execute(statement, rows).all())


@functools.lru_cache(maxsize=64)
def _prepared_ignoring_insert(which: str, table: Table, columns: tuple[str, ...]) -> Prepared:
    return Prepared(_ignoring_insert(which, table), column_keys=columns)


@functools.lru_cache(maxsize=64)
def _ignoring_insert(which: str, table: Table):
    """insert_ignoring_duplicates's statement for a backend family, built once per table."""
    if which in (SQLITE, POSTGRESQL):
        if which == SQLITE:
            from sqlalchemy.dialects.sqlite import insert as dialect_insert
        else:
            from sqlalchemy.dialects.postgresql import insert as dialect_insert
        return dialect_insert(table).on_conflict_do_nothing().returning(*table.primary_key.columns)
    if which == MYSQL:
        return insert(table).prefix_with("IGNORE")
    raise DatabaseProblem(f"votr does not support {which} databases")


@contextlib.contextmanager
def schema_change_transaction(conn: Connection) -> Iterator[Connection]:
    """A transaction that holds the schema lock: schema changes (creation, adoption) in
    it are serialised between processes on server backends.

    PostgreSQL's advisory lock ends with the transaction. MySQL's named lock belongs to
    the session, which the pool keeps open, so it is released once the transaction has
    ended. SQLite needs no lock: a write transaction's BEGIN IMMEDIATE serialises.
    """
    try:
        with conn.begin():
            if is_postgresql(conn):
                conn.execute(text("SELECT pg_advisory_xact_lock(7263418)"))
            elif is_mysql(conn):
                conn.execute(text("SELECT GET_LOCK('votr_schema', :timeout)"), {"timeout": SCHEMA_LOCK_SECONDS})
            yield conn
    finally:
        if is_mysql(conn):
            _release_mysql_schema_lock(conn)


def _release_mysql_schema_lock(conn: Connection) -> None:
    """Release MySQL's named lock after the transaction that held it has ended."""
    try:
        conn.execute(text("DO RELEASE_LOCK('votr_schema')"))
        conn.commit()
    except DBAPIError:
        conn.invalidate()  # a session that broke has lost its lock with it


def reset_id_sequences(conn: Connection, tables: Sequence[Table]) -> None:
    """After rows went in with ids of their own, make new rows' ids follow the largest.

    Only PostgreSQL needs this: its sequences do not look at the table, while SQLite and
    MySQL take the next id from the rows themselves.
    """
    if not is_postgresql(conn):
        return
    for table in tables:
        conn.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
            f"COALESCE((SELECT max(id) FROM {table.name}), 0) + 1, false)"))


def rename_tables(conn: Connection, renames: dict[str, str]) -> None:
    """Rename tables (old name -> new), each id sequence with its table.

    MySQL and MariaDB commit every ALTER TABLE at once, but one RENAME TABLE statement is
    atomic, so a crash cannot leave half the tables renamed. PostgreSQL keeps a renamed
    table's sequence name; it is renamed too, so that new tables under the old names get
    the usual sequence names (topics_id_seq, not topics_id_seq1).
    """
    if not renames:
        return
    quote = conn.dialect.identifier_preparer.quote
    if is_mysql(conn):
        pairs = ", ".join(f"{quote(old)} TO {quote(new)}" for old, new in renames.items())
        conn.execute(text(f"RENAME TABLE {pairs}"))
        return
    for old, new in renames.items():
        conn.execute(text(f"ALTER TABLE {quote(old)} RENAME TO {quote(new)}"))
        if is_postgresql(conn) and "id" in {column["name"] for column in inspect(conn).get_columns(new)}:
            sequence = conn.execute(text("SELECT pg_get_serial_sequence(:table, 'id')"), {"table": new}).scalar()
            if sequence:
                conn.execute(text(f"ALTER SEQUENCE {sequence} RENAME TO {quote(new + '_id_seq')}"))


def insert_many(conn: Connection, table: Table, columns: Sequence[str], rows: list[tuple]) -> None:
    """Insert many rows, given as tuples in the order of `columns`, through the driver's
    executemany.

    The statement is compiled from the table by SQLAlchemy for this dialect; only the
    per-row parameter handling is skipped, which costs more than the inserts themselves
    at a hundred thousand rows. Values must therefore already be what the driver takes
    (see `driver_value`). A row that breaks a constraint fails with IntegrityError, as
    any insert's would.
    """
    columns = list(columns)
    compiled = insert(table).inline().compile(dialect=conn.dialect, column_keys=columns)
    if not compiled.positional:
        parameters = [dict(zip(columns, row)) for row in rows]
    elif list(compiled.positiontup) == columns:
        parameters = rows
    else:
        order = [columns.index(name) for name in compiled.positiontup]
        parameters = [tuple(row[i] for i in order) for row in rows]
    conn.exec_driver_sql(str(compiled), parameters)


def driver_value(conn: Connection, column: Column, value):
    """`value` as this dialect hands it to its driver for `column` (SQLite: dates as text)."""
    to_driver = column.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
    return to_driver(value) if to_driver else value


LONGEST_AGGREGATE_BYTES = 64 * 2**20


def prepare_string_aggregation(conn: Connection) -> int:
    """Let this connection's string aggregates (SQLAlchemy's `func.aggregate_strings`:
    group_concat, string_agg, GROUP_CONCAT) return that many bytes; return how many.

    MariaDB cuts GROUP_CONCAT's result at the session's group_concat_max_len (1 MiB by
    default), with only a warning, and a result row must fit in max_allowed_packet
    (16 MiB by default, a server setting): the limit is raised to a little under the
    packet size. SQLite and PostgreSQL take strings of hundreds of megabytes; votr asks
    for no more than LONGEST_AGGREGATE_BYTES, to bound the memory one string takes.
    """
    if not is_mysql(conn):
        return LONGEST_AGGREGATE_BYTES
    # Once per session: the setting lasts as long as the driver's connection, as does `info`.
    limit = conn.info.get("votr_aggregate_bytes")
    if limit is None:
        packet = conn.execute(text("SELECT @@max_allowed_packet")).scalar_one()
        limit = max(1024, min(LONGEST_AGGREGATE_BYTES, int(packet) - 4096))
        conn.execute(text(f"SET SESSION group_concat_max_len = {limit}"))
        conn.info["votr_aggregate_bytes"] = limit
    return limit

