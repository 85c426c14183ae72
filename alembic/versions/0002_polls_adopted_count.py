"""polls.adopted_count: votes carried over without a ballot

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24

An old Votr database recorded counts but not who voted for what. Those votes are kept
in polls.vote_count and also in polls.adopted_count, so that for every option
vote_count = adopted_count + its ballots, which db-check verifies.
"""
from alembic import op
import sqlalchemy as sa

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('polls', schema=None) as batch_op:
        batch_op.add_column(sa.Column('adopted_count', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('polls', schema=None) as batch_op:
        batch_op.drop_column('adopted_count')
