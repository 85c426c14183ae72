"""Ballot policies: changing a vote, hidden results, secret ballots, quorum

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29

topics gains allow_change, results ('always', 'voted' or 'closed'), secret and quorum;
every existing poll gets the defaults (no change, results always shown, not secret, no
quorum), which is how it behaved. Two new tables hold a secret poll's ballots apart:
poll_voters (who voted) and secret_ballots (what was chosen, under a random key), both
stored in key order, so that neither lines up with the other.

Downgrading is refused while a secret poll exists (revision 0004 cannot hold its
ballots apart) or while a poll has another policy than the defaults (it would silently
change how the poll behaves).
"""
from alembic import context, op
import sqlalchemy as sa

from votr_cli.core.errors import Refused
from votr_cli.db import dialect

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

VOTER_NAME = sa.String(300).with_variant(sa.String(300, collation="utf8mb4_bin"), *dialect.MYSQL_NAMES)
CHOICES_TEXT = sa.Text().with_variant(sa.Text(2**22 - 1), *dialect.MYSQL_NAMES)
BINARY_TEXT = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}


def _table_options() -> dict:
    """Key-ordered storage on SQLite, and MariaDB's binary text, as tables.py makes them."""
    name = op.get_context().dialect.name
    return {"sqlite_with_rowid": False, **(BINARY_TEXT if dialect.is_mysql(name) else {})}


def upgrade() -> None:
    with op.batch_alter_table('topics', schema=None) as batch_op:
        batch_op.add_column(sa.Column('allow_change', sa.Boolean(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('results', sa.String(8), nullable=False, server_default='always'))
        batch_op.add_column(sa.Column('secret', sa.Boolean(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('quorum', sa.Integer(), nullable=True))
    op.create_table(
        'poll_voters',
        sa.Column('topic_id', sa.Integer(), nullable=False),
        sa.Column('voter', VOTER_NAME, nullable=False),
        sa.ForeignKeyConstraint(['topic_id'], ['topics.id'], name=op.f('fk_poll_voters_topic_id_topics'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('topic_id', 'voter', name=op.f('pk_poll_voters')),
        **_table_options(),
    )
    op.create_table(
        'secret_ballots',
        sa.Column('id', sa.String(32), nullable=False),
        sa.Column('topic_id', sa.Integer(), nullable=False),
        sa.Column('option_id', sa.Integer(), nullable=True),
        sa.Column('choices', CHOICES_TEXT, nullable=True),
        sa.ForeignKeyConstraint(['topic_id'], ['topics.id'], name=op.f('fk_secret_ballots_topic_id_topics'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['topic_id', 'option_id'], ['polls.topic_id', 'polls.option_id'],
                                name=op.f('fk_secret_ballots_topic_id_option_id_polls'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_secret_ballots')),
        **_table_options(),
    )
    op.create_index(op.f('ix_secret_ballots_topic_id_option_id'), 'secret_ballots', ['topic_id', 'option_id'])


def downgrade_refusal(bind) -> str | None:
    """Why this downgrade would be refused now, or None. votr asks it before running a
    downgrade across several revisions (db/migrations.downgrade_refusal), so that none
    of them runs when this one would refuse."""
    found = bind.execute(sa.text(
        "SELECT COUNT(*) FROM topics WHERE secret = :yes OR allow_change = :yes "
        "OR results <> 'always' OR quorum IS NOT NULL"
    ), {"yes": True}).scalar_one()
    if not found:
        return None
    return (f"cannot downgrade below revision 0005 while {found} poll{'' if found == 1 else 's'} "
            f"{'has' if found == 1 else 'have'} a ballot policy (secret ballots, vote changes, hidden "
            f"results or a quorum): earlier revisions cannot hold them")


def downgrade() -> None:
    if context.is_offline_mode():
        raise Refused("revision 0005's downgrade first looks for polls with a ballot policy: "
                      "it cannot be written out as SQL")
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        # No poll with a policy may be created between the check and the DDL below (as in
        # revision 0004: SQLite's migration transaction holds the write lock from its
        # BEGIN; MariaDB commits DDL at once: stop writers while you downgrade).
        bind.exec_driver_sql("LOCK TABLE topics IN SHARE ROW EXCLUSIVE MODE")
    refusal = downgrade_refusal(bind)
    if refusal:
        raise Refused(refusal)
    # Dropping a table drops its indexes. (MariaDB refuses to drop
    # ix_secret_ballots_topic_id_option_id on its own: its foreign key needs it.)
    op.drop_table('secret_ballots')
    op.drop_table('poll_voters')
    with op.batch_alter_table('topics', schema=None) as batch_op:
        for column in ('quorum', 'secret', 'results', 'allow_change'):
            batch_op.drop_column(column)
