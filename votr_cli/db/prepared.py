"""Statements compiled once and run on the driver's cursor: the hot path of a vote.

SQLAlchemy spends far more time around a small statement than SQLite spends running it:
each `Connection.execute` makes a cache key, an execution context and a result object
(about 0.1 ms, several times the statement itself). `votr serve` runs a vote's handful of
statements for every request, so they are compiled here once per dialect, by SQLAlchemy,
with its own type conversions (bind and result processors: SQLite's dates as text, its
booleans as integers), and run on the connection's driver cursor, inside the
transaction the Connection began. A driver error is raised as SQLAlchemy's DBAPIError,
as `Connection.execute` raises it, so the retry policy and the error messages
(db/driver_errors.py) see no difference.
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError


class _Compiled:
    def __init__(self, statement, dialect, column_keys: Sequence[str] | None):
        compiled = statement.compile(dialect=dialect, column_keys=list(column_keys) if column_keys else None)
        self.sql = compiled.string
        self.names = list(compiled.positiontup) if compiled.positional else None
        self.binds = {}
        for name, bind in compiled.binds.items():
            self.binds[compiled.bind_names.get(bind, name)] = bind.type.dialect_impl(dialect).bind_processor(dialect)
        selected = getattr(statement, "selected_columns", None) or []
        self.results = [column.type.dialect_impl(dialect).result_processor(dialect, None) for column in selected]
        self.convert_results = any(self.results)
        self.error = dialect.loaded_dbapi.Error

    def parameters(self, values: dict) -> Any:
        processed = {}
        for name, value in values.items():
            processor = self.binds.get(name)
            processed[name] = value if processor is None or value is None else processor(value)
        if self.names is None:
            return processed
        return tuple([processed[name] for name in self.names])

    def row(self, raw: tuple) -> tuple:
        if not self.convert_results:
            return raw
        return tuple([value if process is None else process(value) for process, value in zip(self.results, raw)])


class Prepared:
    """A Core statement, compiled on first use for each dialect. `row_type`: a callable
    that makes each result row (a namedtuple class, say) from its values."""

    def __init__(self, statement, *, column_keys: Sequence[str] | None = None,
                 row_type: Callable[..., Any] | None = None):
        self.statement = statement
        self.column_keys = column_keys
        self.row_type = row_type
        self._compiled: dict[str, _Compiled] = {}
        self._lock = threading.Lock()

    def _for(self, conn: Connection) -> _Compiled:
        dialect = conn.dialect
        key = f"{dialect.name}+{dialect.driver}"
        compiled = self._compiled.get(key)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.get(key) or _Compiled(self.statement, dialect, self.column_keys)
                self._compiled[key] = compiled
        return compiled

    def _run(self, conn: Connection, values: dict, many: Sequence[dict] | None = None):
        compiled = self._for(conn)
        cursor = conn.connection.dbapi_connection.cursor()
        try:
            if many is None:
                parameters = compiled.parameters(values)
                cursor.execute(compiled.sql, parameters)
            else:
                parameters = [compiled.parameters(each) for each in many]
                cursor.executemany(compiled.sql, parameters)
        except compiled.error as exc:
            cursor.close()
            raise DBAPIError.instance(compiled.sql, parameters, exc, compiled.error) from exc
        return compiled, cursor

    def rows(self, conn: Connection, values: dict) -> list:
        """The statement's result rows (made by row_type, if given)."""
        compiled, cursor = self._run(conn, values)
        try:
            raw = cursor.fetchall()
        except compiled.error as exc:
            raise DBAPIError.instance(compiled.sql, None, exc, compiled.error) from exc
        finally:
            cursor.close()
        made = [compiled.row(row) for row in raw]
        return made if self.row_type is None else [self.row_type(*row) for row in made]

    def run(self, conn: Connection, values: dict) -> int:
        """Run a statement that returns no rows; the driver's count of rows it changed."""
        _, cursor = self._run(conn, values)
        count = cursor.rowcount
        cursor.close()
        return count

    def run_many(self, conn: Connection, values: Sequence[dict]) -> None:
        """Run the statement once for each set of values (the driver's executemany)."""
        _, cursor = self._run(conn, {}, values)
        cursor.close()


def row_type(name: str, columns: Sequence) -> type:
    """A namedtuple class whose fields are the columns' names, for Prepared's rows."""
    return collections.namedtuple(name, [column.name for column in columns])


def run_driver_sql(conn: Connection, sql: str) -> None:
    """Run a statement of no parameters and no rows (BEGIN IMMEDIATE, say) on the driver's
    cursor, its error raised as DBAPIError as Connection.exec_driver_sql would raise it."""
    error = conn.dialect.loaded_dbapi.Error
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        cursor.execute(sql)
    except error as exc:
        raise DBAPIError.instance(sql, None, exc, error) from exc
    finally:
        cursor.close()
