"""MariaDB/MySQL: compare text byte for byte, as SQLite and PostgreSQL do

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24

A MariaDB database's default collation (utf8mb4_general_ci, say) ignores case and
accents, so `votr show K3V9X2AB` found poll k3v9x2ab there and nowhere else. votr does
its own folding where it wants it (title, option and voter keys); every other text
column must compare exactly. Other backends: nothing to do.

MariaDB commits each ALTER TABLE at once: back the database up before upgrading.
"""
from alembic import op

from votr_cli.db import dialect

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

TABLES = ("topics", "options", "polls", "ballots")


def _is_mysql() -> bool:
    return dialect.is_mysql(op.get_context().dialect.name)


def upgrade() -> None:
    if not _is_mysql():
        return
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")


def downgrade() -> None:
    if not _is_mysql():
        return
    for table in TABLES:
        # Back to the character set's default collation, as revision 0001 made them...
        op.execute(f"ALTER TABLE {table} CONVERT TO CHARACTER SET utf8mb4")
    # ...except voter names, which 0001 already made binary.
    op.execute("ALTER TABLE ballots MODIFY voter VARCHAR(300) CHARACTER SET utf8mb4 "
               "COLLATE utf8mb4_bin NOT NULL")
