"""Migrations to trust, on the selected backend.

pytest-alembic's built-in tests run against a fresh database of the backend, through the
same env.py and the same engine set-up `votr db-upgrade` uses. Then: Alembic's own
command line builds the schema votr builds, SCHEMA_HEAD agrees with the scripts, and a
revision that fails halfway leaves the database at the revision before it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from pytest_alembic.tests import (  # noqa: F401 - collected as this module's tests
    test_model_definitions_match_ddl,
    test_single_head_revision,
    test_up_down_consistency,
    test_upgrade,
)

from votr_cli.db import migrations

from votr_cli.frontends import settings
from votr_cli.db.tables import SCHEMA_HEAD

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def alembic_config():
    return {"script_location": migrations.script_location()}


@pytest.fixture
def alembic_engine(database_url):
    """The engine `votr db-upgrade` migrates with (on SQLite: BEGIN handling, no FK cascade)."""
    database = settings.database(database_url)
    engine = database.migration_engine()
    yield engine
    engine.dispose()


def schema_of(url: str) -> dict:
    """Tables, columns, keys and indexes as the database reports them."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            inspector = sa.inspect(conn)
            schema = {}
            for table in sorted(inspector.get_table_names()):
                schema[table] = {
                    "columns": [(c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(table)],
                    "primary_key": inspector.get_pk_constraint(table)["constrained_columns"],
                    "unique": sorted((u["name"], tuple(u["column_names"]))
                                     for u in inspector.get_unique_constraints(table)),
                    "indexes": sorted((i["name"], tuple(i["column_names"]), bool(i["unique"]))
                                      for i in inspector.get_indexes(table)),
                    "foreign_keys": sorted((f["name"], tuple(f["constrained_columns"]), f["referred_table"],
                                            tuple(f["referred_columns"]))
                                           for f in inspector.get_foreign_keys(table)),
                }
            return schema
    finally:
        engine.dispose()


def revisions_in(url: str) -> list[str]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars())
    finally:
        engine.dispose()


def test_schema_head_matches_the_scripts():
    assert ScriptDirectory.from_config(migrations.alembic_config()).get_heads() == [SCHEMA_HEAD]
    assert migrations.head() == SCHEMA_HEAD


def test_every_revision_is_a_script_votr_ships():
    location = Path(migrations.script_location())
    assert (location / "env.py").is_file() and (location / "script.py.mako").is_file()
    assert {rev["revision"] for rev in migrations.history()} == migrations.known_revisions()


def test_alembic_upgrade_head_from_the_repository_builds_the_schema_votr_builds(votr, database_url, tmp_path):
    assert votr("db-upgrade").exit_code == 0
    built_by_votr = schema_of(database_url)

    assert votr("db-downgrade", "base").exit_code == 0
    assert set(schema_of(database_url)) == {"alembic_version"}
    alembic = Path(sys.executable).with_name("alembic")
    done = subprocess.run([str(alembic) if alembic.exists() else "alembic", "upgrade", "head"], cwd=REPO,
                          env={**os.environ, "VOTR_DATABASE_URL": database_url, "VOTR_HOME": str(tmp_path)},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert schema_of(database_url) == built_by_votr
    assert revisions_in(database_url) == [SCHEMA_HEAD]
    assert votr("list", "--json").json() == {"Polls": []}


def test_a_schema_created_on_first_use_equals_one_built_by_the_migrations(votr, database_url):
    """First use creates the tables from the models; db-upgrade runs the scripts."""
    assert votr("list").exit_code == 0
    created_from_models = schema_of(database_url)
    assert votr("db-downgrade", "base").exit_code == 0
    assert votr("db-upgrade").exit_code == 0
    assert schema_of(database_url) == created_from_models


# -- a revision that fails halfway -----------------------------------------------------

FAILING_REVISION = '''\
"""fails halfway: some DDL and a data change, then an error"""
from alembic import op
import sqlalchemy as sa

revision = "fail0001"
down_revision = {head!r}
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("half_done", sa.Column("id", sa.Integer, primary_key=True))
    with op.batch_alter_table("topics") as batch_op:
        batch_op.add_column(sa.Column("half_done_flag", sa.Integer, nullable=True))
    op.execute("UPDATE topics SET title = 'changed by a broken revision'")
    op.execute("DELETE FROM ballots")
    raise RuntimeError("this revision fails halfway")


def downgrade() -> None:
    pass
'''


@pytest.fixture
def scripts_with_a_failing_revision(tmp_path) -> Config:
    folder = tmp_path / "scripts"
    shutil.copytree(migrations.script_location(), folder, ignore=shutil.ignore_patterns("__pycache__"))
    (folder / "versions" / "fail0001_fails_halfway.py").write_text(
        textwrap.dedent(FAILING_REVISION.format(head=SCHEMA_HEAD)))
    config = Config()
    config.set_main_option("script_location", str(folder))
    return config


def _upgrade_with(database_url: str, config: Config) -> None:
    """What `votr db-upgrade` does (admin._run), with another script folder."""
    database = settings.database(database_url)
    engine = database.migration_engine()
    try:
        with engine.connect() as conn:
            config.attributes["connection"] = conn.execution_options(votr_write=True)
            command.upgrade(config, "head")
            conn.commit()
    finally:
        engine.dispose()


def _contents(votr) -> list:
    return votr("list", "--json").json()["Polls"]


def test_a_revision_that_fails_halfway_leaves_the_previous_revision_and_the_data(
        votr, database_url, backend, scripts_with_a_failing_revision):
    poll = votr("create", "Kept", "a", "b", "--json").json()["poll"]
    assert votr("vote", poll["id"], "a", "--voter", "ann").exit_code == 0
    before_data, before_schema = _contents(votr), schema_of(database_url)

    with pytest.raises(RuntimeError, match="fails halfway"):
        _upgrade_with(database_url, scripts_with_a_failing_revision)

    assert revisions_in(database_url) == [SCHEMA_HEAD]
    assert _contents(votr) == before_data
    if backend == "mysql":
        # MariaDB commits each DDL statement at once: the table and the column stay made
        # (only the data changes after them roll back). The README's guard is the backup.
        assert "half_done" in schema_of(database_url)
        return
    assert schema_of(database_url) == before_schema
    assert votr("vote", poll["id"], "b", "--voter", "ann").exit_code == 4  # the ballot is still there

