"""initial schema: topics, options, polls, ballots

Revision ID: 0001
Revises: 
Create Date: 2026-11-24

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('options',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('name_key', sa.String(length=64), nullable=False),
    sa.Column('date_created', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_options')),
    sa.UniqueConstraint('name_key', name=op.f('uq_options_name_key')),
    sa.UniqueConstraint('public_id', name=op.f('uq_options_public_id'))
    )
    op.create_table('topics',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('title_key', sa.String(length=64), nullable=False),
    sa.Column('status', sa.Boolean(), nullable=False),
    sa.Column('close_date', sa.DateTime(), nullable=True),
    sa.Column('date_created', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_topics')),
    sa.UniqueConstraint('public_id', name=op.f('uq_topics_public_id')),
    sa.UniqueConstraint('title_key', name=op.f('uq_topics_title_key'))
    )
    op.create_table('polls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.Column('option_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('vote_count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['option_id'], ['options.id'], name=op.f('fk_polls_option_id_options')),
    sa.ForeignKeyConstraint(['topic_id'], ['topics.id'], name=op.f('fk_polls_topic_id_topics'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_polls')),
    sa.UniqueConstraint('topic_id', 'option_id', name=op.f('uq_polls_topic_id_option_id')),
    sa.UniqueConstraint('topic_id', 'position', name=op.f('uq_polls_topic_id_position'))
    )
    with op.batch_alter_table('polls', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_polls_option_id'), ['option_id'], unique=False)

    op.create_table('ballots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.Column('voter', sa.String(length=300).with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=300), 'mariadb').with_variant(mysql.VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=300), 'mysql'), nullable=False),
    sa.Column('option_id', sa.Integer(), nullable=True),
    sa.Column('date_created', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['topic_id', 'option_id'], ['polls.topic_id', 'polls.option_id'], name=op.f('fk_ballots_topic_id_option_id_polls'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['topic_id'], ['topics.id'], name=op.f('fk_ballots_topic_id_topics'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ballots')),
    sa.UniqueConstraint('topic_id', 'voter', name=op.f('uq_ballots_topic_id_voter'))
    )
    with op.batch_alter_table('ballots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ballots_topic_id_option_id'), ['topic_id', 'option_id'], unique=False)



def downgrade() -> None:
    # Indexes go with their tables; MySQL refuses to drop one a foreign key still needs.
    op.drop_table('ballots')
    op.drop_table('polls')
    op.drop_table('topics')
    op.drop_table('options')
