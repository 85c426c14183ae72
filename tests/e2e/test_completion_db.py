"""What Tab offers, read from the database of the selected backend: the installed votr as
a real process, driven the way the scripts of `votr completion` drive it (click's
`_VOTR_COMPLETE=bash_complete` with COMP_WORDS and COMP_CWORD; zsh and fish forms too).

Completing reads only: a missing database, one at an older schema or one that is not
votr's offers nothing, prints nothing on stderr, and is left as it was.
"""

from __future__ import annotations

import sqlalchemy as sa
from click.shell_completion import split_arg_string


def complete(votr_proc, line: str, shell: str = "bash", env: dict | None = None) -> list[str]:
    """The values offered for the last word of `line` (a line ending in a space completes
    a new, empty word), as `shell`'s script would receive them."""
    words = split_arg_string(line)  # as click splits it, an unclosed quote included
    if line.endswith(" "):
        words.append("")
    if shell == "fish":  # fish gives the line up to the cursor and the word being completed, as typed
        start = next(i for i in range(1, len(line) + 1)
                     if line[i - 1] == " " and split_arg_string(line[:i]) == words[:-1])
        variables = {"COMP_WORDS": line, "COMP_CWORD": line[start:]}
    else:
        variables = {"COMP_WORDS": line, "COMP_CWORD": str(len(words) - 1)}
    outcome = votr_proc(env={**variables, "_VOTR_COMPLETE": f"{shell}_complete", **(env or {})})
    assert (outcome.exit_code, outcome.stderr) == (0, "")
    if shell == "zsh":  # three lines per candidate: type, value, description
        lines = outcome.stdout.split("\n")
        return [lines[i + 1].replace("\\:", ":") for i in range(0, len(lines) - 2, 3) if lines[i] == "plain"]
    values = []
    for entry in outcome.stdout.splitlines():
        kind, _, value = entry.partition(",")
        if kind == "plain":
            values.append(value.split("\t")[0] if shell == "fish" else value)
    return values


def create(votr, *args: str) -> str:
    outcome = votr("create", *args, "--json")
    assert outcome.exit_code == 0, outcome.stderr
    return outcome.json()["poll"]["id"]


def test_polls_complete_by_title_and_id_open_first_newest_first(votr, votr_proc):
    editor = create(votr, "Best editor", "vim", "emacs")
    old = create(votr, "Old one", "x", "y")
    create(votr, 'Say "hi" now', "a", "b")
    assert votr("close", "Old one").exit_code == 0

    assert complete(votr_proc, "votr show ") == ['Say "hi" now', "Best editor", "Old one"]
    # A title is matched case-folded, as votr matches titles; spaces and quotes stay in the value.
    assert complete(votr_proc, "votr show best") == ["Best editor"]
    assert complete(votr_proc, "votr show 'best ed") == ["Best editor"]
    assert complete(votr_proc, 'votr show "Say \\"h') == ['Say "hi" now']
    # An id once a character of it is typed (here its first four).
    assert editor in complete(votr_proc, f"votr show {editor[:4]}")
    assert complete(votr_proc, f"votr show {editor}") == [editor]
    # vote, close and unvote offer open polls; reopen closed ones.
    assert complete(votr_proc, "votr vote ") == ['Say "hi" now', "Best editor"]
    assert complete(votr_proc, "votr close O") == []
    assert complete(votr_proc, "votr reopen ") == ["Old one"]
    assert complete(votr_proc, f"votr reopen {old[:3]}") == [old]
    for shell in ("zsh", "fish"):
        assert complete(votr_proc, 'votr show "Say', shell) == ['Say "hi" now']
        assert complete(votr_proc, "votr show 'Best e", shell) == ["Best editor"]


def test_vote_options_are_the_named_polls_less_those_typed(votr, votr_proc):
    lunch = create(votr, "Team lunch", "pizza", "sushi, rolls", "tacos", "--kind", "multiple", "--max", "2")
    create(votr, "Logo", "red", "blue", "green", "--kind", "score")
    create(votr, "Capital", "Memphis", "Nashville")

    assert complete(votr_proc, "votr vote 'team LUNCH' ") == ["pizza", "sushi, rolls", "tacos"]
    assert complete(votr_proc, f"votr vote {lunch} PIZZA ") == ["sushi, rolls", "tacos"]
    assert complete(votr_proc, f"votr vote {lunch} s") == ["sushi, rolls"]
    assert complete(votr_proc, f"votr vote {lunch} pizza tacos ") == []  # --max 2 reached
    assert complete(votr_proc, "votr vote Logo red=3 ") == ["blue", "green"]
    assert complete(votr_proc, "votr vote Capital ") == ["Memphis", "Nashville"]
    assert complete(votr_proc, "votr vote Capital Memphis ") == []  # a single poll takes one
    assert complete(votr_proc, "votr vote --voter ann Capital n") == ["Nashville"]
    assert complete(votr_proc, "votr vote 'No such poll' ") == []
    for shell in ("zsh", "fish"):
        assert complete(votr_proc, f"votr vote {lunch} pizza ", shell) == ["sushi, rolls", "tacos"]


def test_db_given_on_the_line_is_the_one_read(votr, votr_proc, second_database):
    create(votr, "Here", "a", "b")
    assert votr("--db", second_database, "create", "There", "c", "d").exit_code == 0

    assert complete(votr_proc, "votr show ") == ["Here"]
    assert complete(votr_proc, f"votr --db {second_database} show ") == ["There"]
    assert complete(votr_proc, f"votr --db {second_database} vote There ") == ["c", "d"]


def test_a_database_with_no_tables_offers_nothing_and_stays_empty(votr_proc, second_database):
    assert complete(votr_proc, f"votr --db {second_database} show ") == []
    assert complete(votr_proc, f"votr --db {second_database} vote x ") == []
    engine = sa.create_engine(second_database)
    try:
        with engine.connect() as conn:
            assert sa.inspect(conn).get_table_names() == []
    finally:
        engine.dispose()


def test_a_missing_sqlite_file_offers_nothing_and_is_not_created(votr_proc, tmp_path):
    missing = tmp_path / "nowhere" / "votr.db"
    assert complete(votr_proc, f"votr --db {missing} show ") == []
    assert complete(votr_proc, "votr show ", env={"VOTR_DATABASE_URL": str(tmp_path / "missing.db")}) == []
    # The default location: neither the database nor its folder is made.
    home = tmp_path / "fresh-home"
    assert complete(votr_proc, "votr vote x ", env={"VOTR_DATABASE_URL": "", "VOTR_HOME": str(home)}) == []
    assert not (tmp_path / "nowhere").exists()
    assert not (tmp_path / "missing.db").exists()
    assert not home.exists()


def test_an_older_schema_offers_nothing_and_is_left_as_it_was(votr, votr_proc):
    create(votr, "Before", "a", "b")
    assert votr("db-downgrade", "-1").exit_code == 0
    before = votr("db-current", "--json").json()

    assert complete(votr_proc, "votr show ") == []
    assert complete(votr_proc, "votr vote Before ") == []
    assert votr("db-current", "--json").json() == before
    assert before["up_to_date"] is False


def test_a_database_that_is_not_votrs_offers_nothing(votr_proc, second_database, tmp_path):
    engine = sa.create_engine(second_database)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE other (x INTEGER)"))
    finally:
        engine.dispose()
    assert complete(votr_proc, f"votr --db {second_database} show ") == []
    # Nor does a file that is no database at all, or a folder.
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database\n" * 100)
    assert complete(votr_proc, f"votr --db {garbage} show ") == []
    assert complete(votr_proc, f"votr --db {tmp_path} show ") == []
    assert garbage.read_bytes() == b"not a database\n" * 100


def test_a_title_with_a_control_character_is_not_offered(votr, votr_proc, database_url):
    # Written by another tool with SQL: votr itself refuses control characters.
    poll = create(votr, "Plain", "a", "b")
    engine = sa.create_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE topics SET title = :title"), {"title": "Evil\x1b[31m red"})
    finally:
        engine.dispose()
    assert complete(votr_proc, "votr show ") == []
    assert complete(votr_proc, "votr show E") == []
    outcome = votr_proc(env={"_VOTR_COMPLETE": "fish_complete", "COMP_WORDS": f"votr show {poll}",
                             "COMP_CWORD": poll})
    assert outcome.stdout == f"plain,{poll}\tEvil\\x1b[31m red\n"
