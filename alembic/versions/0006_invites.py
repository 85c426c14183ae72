"""Invites: invite-only polls and each invited voter's link

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29

topics gains invite_only (false for every existing poll, which is how they behaved). A
new table, invites, holds one row per invited voter of a poll: the voter's normalised
name (as ballots.voter) and display name, when they were invited, and the SHA-256 of
their link's secret token (never the token), unique, so that a link is found by one
indexed look-up.

Downgrading is refused while a poll is invite-only (revision 0005 would let anybody
vote in it) or while any invite exists (its links would stop working unannounced).
"""
from alembic import context, op
import sqlalchemy as sa

from votr_cli.core.errors import Refused
from votr_cli.db import dialect

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

VOTER_NAME = sa.String(300).with_variant(sa.String(300, collation="utf8mb4_bin"), *dialect.MYSQL_NAMES)
BINARY_TEXT = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}


def _table_options() -> dict:
    """MariaDB's binary text, as tables.py makes its tables."""
    return BINARY_TEXT if dialect.is_mysql(op.get_context().dialect.name) else {}


def upgrade() -> None:
    with op.batch_alter_table('topics', schema=None) as batch_op:
        batch_op.add_column(sa.Column('invite_only', sa.Boolean(), nullable=False, server_default='0'))
    op.create_table(
        'invites',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('topic_id', sa.Integer(), nullable=False),
        sa.Column('voter', VOTER_NAME, nullable=False),
        sa.Column('voter_name', sa.String(300), nullable=False),
        sa.Column('token_hash', sa.CHAR(64), nullable=False),
        sa.Column('invited_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['topic_id'], ['topics.id'], name=op.f('fk_invites_topic_id_topics'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_invites')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_invites_token_hash')),
        sa.UniqueConstraint('topic_id', 'voter', name=op.f('uq_invites_topic_id_voter')),
        **_table_options(),
    )


def downgrade_refusal(bind) -> str | None:
    """Why this downgrade would be refused now, or None. votr asks it before running a
    downgrade across several revisions (db/migrations.downgrade_refusal), so that none
    of them runs when this one would refuse."""
    polls = bind.execute(sa.text("SELECT COUNT(*) FROM topics WHERE invite_only = :yes"),
                         {"yes": True}).scalar_one()
    invites = bind.execute(sa.text("SELECT COUNT(*) FROM invites")).scalar_one()
    if not polls and not invites:
        return None
    found = []
    if polls:
        found.append(f"{polls} poll{'' if polls == 1 else 's'} {'is' if polls == 1 else 'are'} invite-only")
    if invites:
        found.append(f"{invites} invite{'' if invites == 1 else 's'} "
                     f"exist{'s' if invites == 1 else ''}")
    return (f"cannot downgrade below revision 0006 while {' and '.join(found)}: earlier revisions "
            f"cannot hold them")


def downgrade() -> None:
    if context.is_offline_mode():
        raise Refused("revision 0006's downgrade first looks for invite-only polls and invites: "
                      "it cannot be written out as SQL")
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        # Nothing may become invite-only or invited between the check and the DDL below
        # (as in revisions 0004 and 0005; MariaDB commits DDL at once: stop writers while
        # you downgrade).
        bind.exec_driver_sql("LOCK TABLE topics, invites IN SHARE ROW EXCLUSIVE MODE")
    refusal = downgrade_refusal(bind)
    if refusal:
        raise Refused(refusal)
    op.drop_table('invites')
    with op.batch_alter_table('topics', schema=None) as batch_op:
        batch_op.drop_column('invite_only')
