"""The database schema. Table names are those of the original Votr web app.

- topics:  a poll (title, open/closed status, close date, public id)
- options: an option name, shared by every poll that lists it
- polls:   one option of one topic, with its vote counter and position in the poll
- ballots: who voted in which topic, and what: one row per voter and topic
- invites: who is invited to which topic, with the hash of their link's token

A poll's kind (single, multiple, ranked, score) and counting method are columns of its
topic. A single poll's ballot names its option (ballots.option_id); any other ballot
keeps its choices, with their ranks or scores, as one short string in ballots.choices,
one character per option (core/ballots.py). Not a row per choice: a million ranked
ballots over ten options would be five and a half million rows, and counting them would
read every one (README: Poll kinds, "How ballots are stored").

Core tables rather than ORM classes: every query votr runs is a set-based statement,
and Core keeps start-up and bulk work cheap.
"""

from sqlalchemy import (
    CHAR,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
    false,
)

from votr_cli.db import dialect

# Alembic's revision that matches this module. A test checks it against the scripts, so
# the fast path of every command can check a database's version without loading Alembic.
SCHEMA_HEAD = "0006"

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

CHOICES_LENGTH = 2**22 - 1  # characters: MEDIUMTEXT holds 2**24 - 1 bytes, 4 per character
KEY_LENGTH = 64  # a sha256 hex digest, see votr_cli.core.text.key
PUBLIC_ID_LENGTH = 16
UUID_LENGTH = 36
# Voter names are compared byte for byte after votr's own folding: MySQL's default
# collations would also merge accents ("rené" = "rene") and ignore trailing spaces.
VOTER_LENGTH = 300  # 100 characters can fold to at most three times as many
# (A generic String with a collation rather than mysql.VARCHAR, and BINARY_TEXT given to
# the tables only when they are created, see below: naming SQLAlchemy's MySQL dialect in
# this module loads it, which costs every command on every backend about 12 ms.)
VoterName = String(VOTER_LENGTH).with_variant(
    String(VOTER_LENGTH, collation="utf8mb4_bin"), *dialect.MYSQL_NAMES
)
# MEDIUMTEXT on MariaDB (a TEXT holds 64 KiB); PostgreSQL's TEXT takes no length.
ChoicesText = Text().with_variant(Text(CHOICES_LENGTH), *dialect.MYSQL_NAMES)
# Every other text column compares exactly too, as on SQLite and PostgreSQL: a MariaDB
# database's default collation would find poll "k3v9x2ab" by "K3V9X2AB" (revision 0003).
BINARY_TEXT = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}

topics = Table(
    "topics",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("public_id", String(PUBLIC_ID_LENGTH), nullable=False, unique=True),
    Column("title", String(500), nullable=False),
    Column("title_key", String(KEY_LENGTH), nullable=False, unique=True),
    Column("status", Boolean, nullable=False, default=True),
    Column("close_date", DateTime, nullable=True),
    Column("date_created", DateTime, nullable=False),
    Column("kind", String(16), nullable=False, server_default="single"),
    Column("method", String(16), nullable=False, server_default="plurality"),
    # Bounds of the number of options a ballot names (single: 1 and 1; score: 1 and all).
    Column("min_choices", Integer, nullable=False, server_default="1"),
    Column("max_choices", Integer, nullable=False, server_default="1"),
    # Ballots cast, adopted votes included: kept by every vote, as the options' counters
    # are, so that listing polls reads no ballots.
    Column("voter_count", Integer, nullable=False, server_default="0"),
    # Ballot policies (README: Ballot policies).
    Column("allow_change", Boolean, nullable=False, server_default=false()),
    Column("results", String(8), nullable=False, server_default="always"),
    Column("secret", Boolean, nullable=False, server_default=false()),
    Column("quorum", Integer, nullable=True),
    # Only invited voters may vote (README: Share a poll).
    Column("invite_only", Boolean, nullable=False, server_default=false()),
)

options = Table(
    "options",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("public_id", String(UUID_LENGTH), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("name_key", String(KEY_LENGTH), nullable=False, unique=True),
    Column("date_created", DateTime, nullable=False),
)

polls = Table(
    "polls",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("topic_id", Integer, ForeignKey("topics.id", ondelete="CASCADE"), nullable=False),
    Column("option_id", Integer, ForeignKey("options.id"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("vote_count", Integer, nullable=False, default=0),
    # Votes adopted from an old Votr database, which recorded counts but not who voted
    # for what: vote_count = adopted_count + the option's ballots.
    Column("adopted_count", Integer, nullable=False, default=0, server_default="0"),
    UniqueConstraint("topic_id", "option_id"),
    UniqueConstraint("topic_id", "position"),
    # Explicit, so MySQL does not add an unnamed one of its own for the foreign key.
    Index(None, "option_id"),
)

ballots = Table(
    "ballots",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("topic_id", Integer, ForeignKey("topics.id", ondelete="CASCADE"), nullable=False),
    Column("voter", VoterName, nullable=False),
    # NULL where the choice is unknown: a voter carried over from a database that
    # recorded who voted but not for what.
    Column("option_id", Integer, nullable=True),
    Column("date_created", DateTime, nullable=False),
    # Any other kind's choices, one character per option (core/ballots.py); NULL in a
    # single poll. MEDIUMTEXT on MariaDB: a score ballot has a digit per option.
    Column("choices", ChoicesText, nullable=True),
    UniqueConstraint("topic_id", "voter"),
    # A ballot can only name an option of its own poll.
    ForeignKeyConstraint(
        ["topic_id", "option_id"], ["polls.topic_id", "polls.option_id"], ondelete="CASCADE"
    ),
    Index(None, "topic_id", "option_id"),
)


# A secret poll's ballots: who voted (poll_voters) and what was chosen (secret_ballots),
# with nothing that pairs them. No voter, no time and no sequence in secret_ballots: its
# key is random, both tables are read in key order (SQLite WITHOUT ROWID, InnoDB's
# clustered primary key), and each secret vote writes the poll's ballots anew in a random
# order (service: _shuffle_secret_ballots), so that where a row lies, in PostgreSQL's
# heap or in a page's bytes, does not follow the order of the votes either.
poll_voters = Table(
    "poll_voters",
    metadata,
    Column("topic_id", Integer, ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True),
    Column("voter", VoterName, primary_key=True),
    sqlite_with_rowid=False,
)

SECRET_ID_LENGTH = 32  # 128 random bits, hexadecimal

secret_ballots = Table(
    "secret_ballots",
    metadata,
    Column("id", String(SECRET_ID_LENGTH), primary_key=True),
    Column("topic_id", Integer, ForeignKey("topics.id", ondelete="CASCADE"), nullable=False),
    Column("option_id", Integer, nullable=True),
    Column("choices", ChoicesText, nullable=True),
    ForeignKeyConstraint(
        ["topic_id", "option_id"], ["polls.topic_id", "polls.option_id"], ondelete="CASCADE"
    ),
    Index(None, "topic_id", "option_id"),
    sqlite_with_rowid=False,
)


TOKEN_HASH_LENGTH = 64  # a sha256 hex digest, see votr_cli.core.invites

# One row per invited voter of a poll: their secret link's token is never stored, only
# its SHA-256 (core/invites.py says why a plain hash is enough), looked up by its unique
# index. `voter` is the normalised name, as in ballots; `voter_name` how it was typed.
invites = Table(
    "invites",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("topic_id", Integer, ForeignKey("topics.id", ondelete="CASCADE"), nullable=False),
    Column("voter", VoterName, nullable=False),
    Column("voter_name", String(VOTER_LENGTH), nullable=False),
    Column("token_hash", CHAR(TOKEN_HASH_LENGTH), nullable=False, unique=True),
    Column("invited_at", DateTime, nullable=False),
    UniqueConstraint("topic_id", "voter"),
)


def _binary_text_on_mysql(table, connection, **_) -> None:
    if dialect.is_mysql(connection):
        table.dialect_kwargs.update(BINARY_TEXT)


for _table in metadata.tables.values():
    event.listen(_table, "before_create", _binary_text_on_mysql)
