"""Old Votr databases for the tests: ../shared/legacy-votr/make_legacy_db.py, beside the
repository as CI clones it, loaded as a module so that tests can add rows of their own."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import sqlalchemy as sa

LEGACY_SCRIPT = Path(__file__).resolve().parents[2].parent / "shared" / "legacy-votr" / "make_legacy_db.py"


@pytest.fixture(scope="session")
def legacy():
    if not LEGACY_SCRIPT.is_file():
        pytest.fail(f"{LEGACY_SCRIPT} is missing: the shared folder must sit beside the repository")
    spec = importlib.util.spec_from_file_location("make_legacy_db", LEGACY_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build(legacy, url: str, stage: str, clean: bool, *statements: str) -> None:
    """A legacy database as the app left it, plus any extra rows."""
    engine = sa.create_engine(url)
    try:
        tables = legacy.tables(stage)
        with engine.begin() as conn:
            tables.create_all(conn)
            legacy.fill(conn, tables, stage, clean)
            for statement in statements:
                conn.execute(sa.text(statement))
    finally:
        engine.dispose()


def check(url: str) -> dict:
    """What `votr db-check` finds: counters against ballots and adopted counts, orphans."""
    from votr_cli import admin, settings
    from votr_cli.db import Database

    database = Database(settings.DatabaseLocation(url, is_default=False))
    try:
        return admin.check(database)
    finally:
        database.dispose()
