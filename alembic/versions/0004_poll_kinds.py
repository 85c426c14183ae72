"""Poll kinds: multiple choice, ranked and score polls, and their ballots' choices

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29

topics gains the poll's kind and counting method, the bounds of a ballot's number of
choices, and voter_count, the ballots cast (kept up to date by every vote, as the
options' counters are). ballots gains choices: a multiple, ranked or score ballot as one
character per option (votr_cli/core/ballots.py). Every existing poll becomes a `single`
poll counted by plurality; its voter_count is the sum of its options' counts, adopted
votes included, which is the number of votes it holds.

Downgrading is refused while a poll of another kind exists: revision 0003 can only hold
single-choice ballots, so it would lose them.
"""
from alembic import context, op
import sqlalchemy as sa

from votr_cli.core.errors import Refused
from votr_cli.db import dialect

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

# MEDIUMTEXT on MariaDB (a TEXT holds 64 KiB: a score ballot has a digit per option).
CHOICES_TEXT = sa.Text().with_variant(sa.Text(2**22 - 1), *dialect.MYSQL_NAMES)


def upgrade() -> None:
    with op.batch_alter_table('topics', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(16), nullable=False, server_default='single'))
        batch_op.add_column(sa.Column('method', sa.String(16), nullable=False, server_default='plurality'))
        batch_op.add_column(sa.Column('min_choices', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('max_choices', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('voter_count', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('ballots', schema=None) as batch_op:
        batch_op.add_column(sa.Column('choices', CHOICES_TEXT, nullable=True))
    op.execute(
        "UPDATE topics SET voter_count = "
        "(SELECT COALESCE(SUM(polls.vote_count), 0) FROM polls WHERE polls.topic_id = topics.id)"
    )


def downgrade_refusal(bind) -> str | None:
    """Why this downgrade would be refused now, or None. votr asks it before running a
    downgrade across several revisions (db/migrations.downgrade_refusal), so that none
    of them runs when this one would refuse."""
    others = bind.execute(
        sa.text("SELECT kind, COUNT(*) FROM topics WHERE kind <> 'single' GROUP BY kind ORDER BY kind")
    ).all()
    if not others:
        return None
    found = ", ".join(f"{count} {kind}" for kind, count in others)
    return (f"cannot downgrade below revision 0004 while polls of kinds other than single exist "
            f"({found}): earlier revisions can only store single-choice ballots, so theirs would be lost")


def downgrade() -> None:
    if context.is_offline_mode():
        raise Refused("revision 0004's downgrade first looks for polls of kinds other than single: "
                      "it cannot be written out as SQL")
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        # No poll of another kind may be created between the check and the DDL below
        # (SQLite's migration transaction holds the write lock from its BEGIN; MariaDB
        # commits DDL at once and has no such lock: stop writers while you downgrade).
        bind.exec_driver_sql("LOCK TABLE topics IN SHARE ROW EXCLUSIVE MODE")
    refusal = downgrade_refusal(bind)
    if refusal:
        raise Refused(refusal)
    with op.batch_alter_table('ballots', schema=None) as batch_op:
        batch_op.drop_column('choices')
    with op.batch_alter_table('topics', schema=None) as batch_op:
        for column in ('voter_count', 'max_choices', 'min_choices', 'method', 'kind'):
            batch_op.drop_column(column)
