"""Shell completion: `votr completion bash|zsh|fish`, and what Tab offers.

click does the work (`click.shell_completion`): the script a shell sources calls votr
again with `_VOTR_COMPLETE=bash_complete` (or zsh_complete, fish_complete) and the words
typed so far, and votr prints the candidates. This module adds votr's candidates (poll
titles and ids for POLL, the named poll's options for `vote`'s OPTION) and three
changes to click's shell classes:

- completing never prints an error or a traceback: anything that fails offers nothing;
- bash: a candidate is inserted as one word (a title with spaces or quotes is escaped,
  unless the word was opened with a quote), and is never expanded as a glob;
- fish: a candidate with a comma is kept whole.

It is imported by cli.py at start-up, so it imports click only; the database is read
by the callbacks, which run only while completing.
"""

from __future__ import annotations

import click
from click.shell_completion import (BashComplete, CompletionItem, FishComplete, ZshComplete,
                                    add_completion_class)

SHELLS = ("bash", "zsh", "fish")
COMPLETE_VAR = "_VOTR_COMPLETE"
PROG_NAME = "votr"

# click's bash script, but: `read -r` keeps backslashes, "$value" is never split or
# globbed, and a value is escaped with %q unless the word being completed opened a quote
# (then readline closes it). Bash 4.4 or newer (nosort).
_SOURCE_BASH = """\
%(complete_func)s() {
    local IFS=$'\\n'
    local response type value
    local word="${COMP_WORDS[COMP_CWORD]}"
    response=$(env COMP_WORDS="${COMP_WORDS[*]}" COMP_CWORD=$COMP_CWORD \
%(complete_var)s=bash_complete $1 2>/dev/null)
    for completion in $response; do
        IFS=',' read -r type value <<< "$completion"
        if [[ $type == 'dir' ]]; then
            COMPREPLY=()
            compopt -o dirnames
        elif [[ $type == 'file' ]]; then
            COMPREPLY=()
            compopt -o default
        elif [[ $type == 'plain' ]]; then
            if [[ $word == \\"* ]]; then
                value=${value//\\\\/\\\\\\\\}; value=${value//\\"/\\\\\\"}
                value=${value//\\$/\\\\\\$}; value=${value//\\`/\\\\\\`}
            elif [[ $word == \\'* ]]; then
                value=${value//\\'/\\'\\\\\\'\\'}
            else
                printf -v value '%%q' "$value"
            fi
            COMPREPLY+=("$value")
        fi
    done
    return 0
}

%(complete_func)s_setup() {
    complete -o nosort -F %(complete_func)s %(prog_name)s
}

%(complete_func)s_setup;
"""

# click's fish script, but a value is split from its type at the first comma only.
_SOURCE_FISH = """\
function %(complete_func)s;
    set -l response (env %(complete_var)s=fish_complete COMP_WORDS=(commandline -cp) \
COMP_CWORD=(commandline -t) %(prog_name)s 2>/dev/null);

    for completion in $response;
        set -l metadata (string split -m 1 "," $completion);

        if test $metadata[1] = "dir";
            __fish_complete_directories $metadata[2];
        else if test $metadata[1] = "file";
            __fish_complete_path $metadata[2];
        else if test $metadata[1] = "plain";
            echo $metadata[2];
        end;
    end;
end;

complete --no-files --command %(prog_name)s --arguments \
"(%(complete_func)s)";
"""


class _Quiet:
    """Completion that offers nothing rather than fail: no message, no traceback."""

    def complete(self) -> str:
        try:
            return super().complete()
        except (Exception, KeyboardInterrupt):  # noqa: BLE001 - a Tab must never print an error
            return ""

    def source(self) -> str:
        # click's BashComplete.source() runs bash to check its version and warns on
        # stderr; the script is the same either way.
        return self.source_template % self.source_vars()


class VotrBash(_Quiet, BashComplete):
    source_template = _SOURCE_BASH


class VotrZsh(_Quiet, ZshComplete):
    pass


class VotrFish(_Quiet, FishComplete):
    source_template = _SOURCE_FISH


_CLASSES = {"bash": VotrBash, "zsh": VotrZsh, "fish": VotrFish}
for _name, _cls in _CLASSES.items():
    add_completion_class(_cls, _name)


def script(shell: str, cli: click.Command) -> str:
    """The completion script for `shell`, as `_VOTR_COMPLETE={shell}_source votr` prints it."""
    return _CLASSES[shell](cli, {}, PROG_NAME, COMPLETE_VAR).source()


# -- candidates ------------------------------------------------------------------------


def _database(ctx: click.Context):
    """The database --db (given earlier on the line) or the environment names. While
    completing, click parses the line without running votr's group, so ctx.obj is
    unset: the URL is read from the group's parsed parameters."""
    from votr_cli.frontends import settings

    return settings.database(ctx.find_root().params.get("db_url"))


def _offered(value: str) -> bool:
    """Text with a control character is not offered: it would reach the terminal."""
    from votr_cli.core.text import printable

    return bool(value) and printable(value) == value


def poll_completer(status: str = "all"):
    """A `shell_complete` callback for a POLL argument: titles (what people type) and,
    once a character is typed, ids; `status` limits them to open or closed polls."""

    def complete(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
        def read(database):
            from votr_cli.core.text import printable
            from votr_cli.service import polls as service

            items = []
            for poll in service.completion_polls(database, incomplete, status):
                state = "open" if poll["open"] else "closed"
                if poll["by_id"]:  # described by its title, made safe for the terminal
                    items.append(CompletionItem(poll["id"], help=printable(poll["title"])))
                if poll["by_title"] and _offered(poll["title"]):
                    items.append(CompletionItem(poll["title"], help=f"{poll['id']}, {state}"))
            return items

        return _quietly(ctx, read)

    return complete


def complete_ballot_option(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """`vote`'s OPTION: the options of the poll named before it, less those already typed."""
    poll = ctx.params.get("poll")
    if not poll:
        return []
    typed = list(ctx.params.get(param.name) or ())

    def read(database):
        from votr_cli.service import polls as service

        return [CompletionItem(name) for name in service.completion_options(database, poll, typed, incomplete)
                if _offered(name)]

    return _quietly(ctx, read)


def _quietly(ctx: click.Context, read):
    """`read(database)`, on the database of the line being completed; anything that
    fails (no database, another schema, not a votr database, a server that cannot be
    reached, a bad VOTR_BUSY_TIMEOUT) offers nothing."""
    import warnings

    database = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            database = _database(ctx)
            return read(database)
    except Exception:  # noqa: BLE001 - a Tab must never print an error
        return []
    finally:
        if database is not None:
            database.dispose()
