"""Facts about the databases the original Votr web app left behind (README: Adoption).

The schema gate uses them to tell such a database from a foreign one, and adoption
(votr_cli.ops.adoption) to find and convert it: one home for both.
"""

# The app's own tables, which votr's share names with (votr's add columns).
LEGACY_TABLES = frozenset({"topics", "options", "polls"})
# Revision ids of the app's own Alembic migrations.
LEGACY_REVISIONS = frozenset({
    "347f4ec5eb5e", "0c8b4adb6020", "9858b711820e", "011e1ea78393",
    "1a7dfd455444", "20a1622bf8e4", "682fa0321a3e", "a6a076719bb6",
})
# The app's stages, by the revision each one ends at (None: its first, with no Alembic).
STAGES = {None: "part5", "682fa0321a3e": "tutorial", "a6a076719bb6": "unique-id"}
# Adoption moves the app's tables aside under this prefix while it copies them: a
# database with legacy_votr_topics is one whose adoption was cut short.
MOVED_PREFIX = "legacy_votr_"
