"""The `votr` command line: parse arguments, call the service, render the result.

Only click is imported at module level, so `votr --help` and `votr --version` start fast;
SQLAlchemy, Alembic and rich are imported by the commands that need them.
"""

from __future__ import annotations

import errno
import functools
import gc
import itertools
import os
import sys

import click

from votr_cli import __version__
from votr_cli.core.errors import DatabaseProblem, InvalidInput, NotFound, Refused, VotrError
from votr_cli.frontends import completion
from votr_cli.frontends.formats import FORMATS, JSON_FORMATS

EXIT_CODES_HELP = """\b
Exit codes: 0 done, 1 invalid input, 2 usage error, 3 poll or option not
found, 4 refused (poll closed, already voted, not invited, title taken, a
downgrade that would lose ballots), 5 database problem, 70 a bug in votr
(VOTR_DEBUG=1 shows the traceback), 74 the work was done but its output could
not be written, 130 interrupted (Ctrl-C; the line on stderr says what was
recorded)."""



VIEWER_HELP = ("Whose view [env: VOTR_VOTER; default: your login name]: a poll created with "
               "--results voted shows its counts before close only to those who voted.")


class OutputFailed(VotrError):
    """The command did its work (committed), but its output could not be written."""


# The one place errors become exit codes; the most specific class wins. 74 is EX_IOERR
# and 70 EX_SOFTWARE (an error votr did not expect), as sysexits.h numbers them; 2, a
# usage error, is click's own.
EXIT_CODES: dict[type[BaseException], int] = {
    InvalidInput: 1,
    NotFound: 3,
    Refused: 4,
    DatabaseProblem: 5,
    OutputFailed: 74,
    VotrError: 1,
    KeyboardInterrupt: 130,
    Exception: 70,
}


def exit_code_for(error: BaseException) -> int:
    for cls in type(error).__mro__:
        if cls in EXIT_CODES:
            return EXIT_CODES[cls]
    raise AssertionError(f"no exit code for {type(error).__name__}")


class Context:
    """Per-invocation state: where the database is. Opened on first use only."""

    def __init__(self, db_url: str | None):
        self.db_url = db_url
        self._database = None
        # What a Ctrl-C before the command has its result says was recorded: each command
        # commits once, at the end of its work, so nothing yet (a command may say more).
        self.interrupted = "nothing was recorded"

    def database(self):
        if self._database is None:
            from votr_cli.frontends import settings

            self._database = settings.database(self.db_url)
        return self._database


FORMAT_HELP = ("table: rich tables (the default on a terminal); plain: tab-separated lines (the "
               "default when piped); json: one document, as --json; ndjson: one JSON object per "
               "line; csv, tsv: a header and one row per record (README: Output formats).")


def votr_command(fn=None, *, formats: bool = False):
    """Give a command `--json` (and with formats=True `--format`, of which --json is the
    json choice), and turn its Result or its VotrError into output and an exit code."""
    if fn is None:
        return functools.partial(votr_command, formats=formats)

    @click.option("--json", "as_json", is_flag=True,
                  help="Same as --format json." if formats else "Print one JSON document on stdout.")
    @click.pass_obj
    @functools.wraps(fn)
    def wrapper(obj: Context, as_json: bool, output_format: str | None = None, **kwargs):
        from votr_cli.frontends import output

        if as_json and output_format not in (None, "json"):
            raise click.UsageError(f"--json is --format json: give --json or --format {output_format}, "
                                   f"not both", click.get_current_context())
        # None: stdout decides (a table on a terminal, plain lines otherwise).
        output_format = "json" if as_json else output_format
        as_json = output_format in JSON_FORMATS  # how errors are written
        result = None
        try:
            result = fn(obj, **kwargs)
            try:
                output.render(result, output_format=output_format)
            except BrokenPipeError:
                raise
            except OSError as exc:  # a full disk, a closed stdout: the work itself is done
                raise OutputFailed(_output_failure(result, exc)) from None
            if result.exit_code:
                raise SystemExit(result.exit_code)
        except VotrError as exc:
            output.error(exc.message, as_json)
            raise SystemExit(exit_code_for(exc)) from None
        except click.ClickException:
            raise  # a usage error: click prints it its own way, exit 2
        except BrokenPipeError:
            # The reader (`head`, say) went away: stop quietly, as other Unix tools do.
            sys.stderr.close()
            raise SystemExit(0) from None
        except KeyboardInterrupt as exc:
            _report_interrupt(_interrupted(obj, result), as_json)
            raise SystemExit(exit_code_for(exc)) from None
        except Exception as exc:
            if os.environ.get("VOTR_DEBUG"):
                raise
            output.error(f"internal error: {type(exc).__name__}: {exc} "
                         f"(set VOTR_DEBUG=1 to see the traceback)", as_json)
            raise SystemExit(exit_code_for(exc)) from None
        finally:
            if obj._database is not None:
                obj._database.dispose()

    if formats:
        wrapper = click.option("--format", "output_format", metavar="FORMAT", default=None,
                               type=click.Choice(FORMATS, case_sensitive=False), help=FORMAT_HELP)(wrapper)
    return wrapper


def _interrupted(obj: Context, result) -> str:
    """What a Ctrl-C says: what the command had recorded when it came."""
    done = None if result is None else result.renderer.done(result.data)
    if done is None:
        return f"interrupted: {obj.interrupted}"
    return f"interrupted: {done}; its output was not shown"


def _report_interrupt(message: str, as_json: bool) -> None:
    from votr_cli.frontends import output

    try:
        if sys.stderr.isatty():
            sys.stderr.write("\n")  # after the terminal's ^C
    except (OSError, ValueError, AttributeError):
        pass
    output.error(message, as_json)


def _output_failure(result, exc: OSError) -> str:
    """Say what the command did (its change is committed) before saying its output failed."""
    done = result.renderer.done(result.data)
    if done is None:
        return f"the output could not be written: {exc}"
    return f"{done}, but its output could not be written: {exc}"


class VotrGroup(click.Group):
    """votr's command group; as the process's entry point it also ends the process.

    It also words usage errors (exit 2) for what the user probably meant: a global
    option given after the command, or a command's option given before it, says where
    it goes, and with --json (or a JSON --format) any usage error is {"error": …} on
    stderr, in click's own words. A Ctrl-C outside a command's own handling (while
    arguments are read) is exit 130 with its line, as inside it.
    """

    def make_context(self, info_name, args, parent=None, **extra):
        given = list(args)
        try:
            ctx = super().make_context(info_name, args, parent, **extra)
        except click.ClickException as exc:
            raise self._usage_error(exc, given) from None
        except KeyboardInterrupt:
            _report_interrupt("interrupted: nothing was recorded", _wants_json(given))
            raise SystemExit(EXIT_CODES[KeyboardInterrupt]) from None
        ctx.meta["votr.args"] = given
        return ctx

    def invoke(self, ctx: click.Context):
        given = ctx.meta.get("votr.args", [])
        try:
            return super().invoke(ctx)
        except click.ClickException as exc:
            raise self._usage_error(exc, given) from None
        except KeyboardInterrupt:  # before the command started: while its options were read
            _report_interrupt("interrupted: nothing was recorded", _wants_json(given))
            raise SystemExit(EXIT_CODES[KeyboardInterrupt]) from None

    def _usage_error(self, exc: click.ClickException, given: list[str]) -> click.ClickException:
        if isinstance(exc, click.NoSuchOption) and exc.ctx is not None:
            if exc.ctx.parent is not None:
                moved = self._global_option_hint(exc.option_name, exc.ctx, given)
            else:
                moved = self._command_option_hint(exc.option_name, exc.ctx, given)
            if moved is not None:
                exc = click.UsageError(moved, ctx=exc.ctx)
        if _wants_json(given) and not isinstance(exc, JsonUsageError):
            return JsonUsageError(exc)
        return exc

    def _command_option_hint(self, name: str, ctx: click.Context, given: list[str]) -> str | None:
        """"--json is an option of the command: put it after it: votr list --json" when
        `name`, given before the command, is an option of the command that follows."""
        if name not in given:
            return None
        at = given.index(name)
        command_at = next((index for index, arg in enumerate(given) if index > at and arg in self.commands), None)
        if command_at is None:
            return None
        option = next((param for param in self.commands[given[command_at]].params if isinstance(param, click.Option)
                       and name in (*param.opts, *param.secondary_opts)), None)
        if option is None:
            return None
        moved = given[at:at + (1 if option.is_flag else 2)]
        rest = [*given[:at], *given[at + len(moved):]]
        end = rest.index("--") if "--" in rest else len(rest)
        import shlex

        program = ctx.info_name or "votr"
        fixed = [program, *rest[:end], *moved, *rest[end:]]
        return f"{name} is an option of the command: put it after it: {shlex.join(fixed)}"

    def _global_option_hint(self, name: str, ctx: click.Context, given: list[str]) -> str | None:
        """"--db is a global option: put it before the command: votr --db x.db list" when
        `name`, which the command `ctx` does not know, is one of the group's options."""
        option = next((param for param in self.params if isinstance(param, click.Option)
                       and name in (*param.opts, *param.secondary_opts)), None)
        if option is None or ctx.info_name not in given:
            return None
        start = given.index(ctx.info_name) + 1
        before, after = given[:start], given[start:]
        moved: list[str] = []
        for index, arg in enumerate(after):
            if arg == "--":
                break
            if arg == name:
                moved = after[index:index + (1 if option.is_flag else 2)]
            elif arg.startswith(name + "=") and not option.is_flag:
                moved = [arg]
            if moved:
                del after[index:index + len(moved)]
                if not option.is_flag and len(moved) == 1 and "=" not in moved[0]:
                    moved.append(option.metavar or "VALUE")  # its value was missing too
                break
        if not moved:
            return None
        import shlex

        program = ctx.find_root().info_name or "votr"
        if option.is_flag and not option.expose_value:  # --version: the command has no part in it
            return f"{name} is a global option: put it before the command: {program} {name}"
        return f"{name} is a global option: put it before the command: {shlex.join([program, *moved, *before, *after])}"

    def __call__(self, *args, **kwargs):
        # Only the console script and `python -m votr_cli` call the group; CliRunner and
        # other in-process callers use .main(), which returns or raises as click's does.
        _guard_standard_streams()
        kwargs.setdefault("complete_var", completion.COMPLETE_VAR)
        try:
            self.main(*args, **kwargs)
            code = 0
        except SystemExit as exc:
            code = exc.code
        except OSError as exc:  # click's own output (--help, --version, a usage error) failed
            code = _report_output_failure(exc)
        if code == 0 and sys.stdout is None:
            # Every command writes its result to stdout, so only click's own output
            # (--help, --version) can have been dropped here, silently, by click.echo.
            code = _report_output_failure(OSError(errno.EBADF, "standard output is closed"))
        _end_process(code)


class JsonUsageError(click.ClickException):
    """A usage error (or any of click's errors) under --json: {"error": …} on stderr, in
    click's own words, with click's exit code (2 for usage errors); nothing on stdout."""

    def __init__(self, error: click.ClickException):
        super().__init__(error.format_message())
        self.exit_code = error.exit_code

    def show(self, file=None) -> None:
        from votr_cli.frontends import output

        output.error(self.format_message(), as_json=True)


def _wants_json(given: list[str]) -> bool:
    """Whether the command line asks for JSON, read from the arguments as given (a usage
    error may come before click has read them)."""
    for index, arg in enumerate(given):
        if arg == "--":
            return False
        # --json, or --format json/ndjson, in any case as click's choice takes it.
        if arg == "--json" or (arg.startswith("--format=") and arg.partition("=")[2].lower() in JSON_FORMATS):
            return True
        if arg == "--format" and index + 1 < len(given) and given[index + 1].lower() in JSON_FORMATS:
            return True
    return False


def _report_output_failure(exc: OSError) -> int:
    from votr_cli.frontends import output

    output.error(f"the output could not be written: {exc}", as_json=False)
    return EXIT_CODES[OutputFailed]


def _guard_standard_streams() -> None:
    """Put /dev/null on a closed stdin, stdout or stderr (`votr vote … >&-`).

    A closed standard descriptor is a free number: the next file opened, the database
    itself, would take it, and anything written to that stream would land in it.
    sys.stdout stays None (Python found it closed), so writing the output still fails as
    it should, with exit 74; a closed stdin reads as empty, and what would have gone to
    a closed stderr is dropped.
    """
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            os.open(os.devnull, os.O_RDWR)  # takes the lowest free number: this one
    # These files live as long as the process.
    if sys.stdin is None:
        sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115


def _end_process(code) -> None:
    """End the process with `code`, by sys.exit, so the interpreter ends as it always does."""
    if code is None:
        code = 0
    elif not isinstance(code, int):
        from votr_cli.frontends import output

        output.error(str(code), as_json=False)
        code = 1
    for stream in (sys.stdout, sys.stderr):
        _flush_or_discard(stream)
    # At exit the interpreter's last collections walk every object SQLAlchemy made at
    # import, hundreds of thousands, and find no garbage. Frozen objects are left out of
    # them: about 40 ms off every command (benchmarks/run.py: `votr vote` 1.23x -> 1.0x
    # `import sqlalchemy`). Nothing runs after this that needs them collected.
    gc.freeze()
    sys.exit(code)


def _flush_or_discard(stream) -> None:
    """Flush `stream`; if that fails, point its descriptor at os.devnull.

    Output that could not be written (a full disk, a reader that went away) stays in the
    stream's buffer. At exit the interpreter would flush it again, fail again, print a
    note about it and exit 120 instead of our code. What the buffer held is already
    reported lost (exit 74) or unwanted (a closed pipe), so it may go nowhere: this is
    the recipe of the Python documentation's note on SIGPIPE.
    """
    if stream is None:
        return
    try:
        stream.flush()
    except ValueError:  # closed on purpose (a broken pipe's stderr): the interpreter skips it
        pass
    except OSError:
        try:
            nowhere = os.open(os.devnull, os.O_WRONLY)
            os.dup2(nowhere, stream.fileno())
            os.close(nowhere)
        except (OSError, ValueError):
            pass


@click.group(cls=VotrGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
             epilog=EXIT_CODES_HELP)
@click.version_option(__version__, "-V", "--version", prog_name="votr")
@click.option("--db", "db_url", metavar="URL",
              help="SQLAlchemy database URL or SQLite file path "
                   "[env: VOTR_DATABASE_URL; default: votr.db in $VOTR_HOME]")
@click.pass_context
def main(ctx: click.Context, db_url: str | None):
    """votr: create polls, vote, close them and read the results.

    \b
    Examples:
      votr create "Best editor" vim emacs nano
      votr vote "Best editor" vim --voter ann
      votr show "Best editor"
      votr list --json | jq '.Polls[] | {title, total_vote_count}'
    """
    ctx.obj = Context(db_url)


@main.command()
@click.argument("title")
@click.argument("options", nargs=-1, metavar="OPTION OPTION...")
@click.option("--closes-at", metavar="WHEN",
              help="Close the poll at WHEN: ISO-8601 (naive is local time) or a duration: 90s, 30m, 3d, 2w.")
@click.option("--kind", default="single", show_default=True, metavar="single|multiple|ranked|score",
              help="single: one option; multiple: several; ranked: in order of preference; "
                   "score: 0-5 for each option.")
@click.option("--method", metavar="METHOD",
              help="How the poll is counted: single plurality; multiple approval; ranked irv "
                   "(default) or schulze; score star (default) or score.")
@click.option("--min", "min_choices", type=int, metavar="N",
              help="multiple and ranked: the fewest options a ballot names [default: 1].")
@click.option("--max", "max_choices", type=int, metavar="N",
              help="multiple and ranked: the most options a ballot names [default: all].")
@click.option("--allow-change", is_flag=True,
              help="Voting again replaces the voter's ballot; votr unvote withdraws it.")
@click.option("--results", default="always", show_default=True, metavar="always|voted|closed",
              help="When counts are shown: always; to a voter once they have voted; after close.")
@click.option("--secret", is_flag=True,
              help="Store who voted apart from what was chosen, with nothing to pair them.")
@click.option("--quorum", type=int, metavar="N", help="No winner until N voters have voted.")
@click.option("--invite-only", is_flag=True,
              help="Only voters invited with votr invite may vote (README: Share a poll).")
@votr_command
def create(obj: Context, title: str, options: tuple[str, ...], closes_at: str | None, kind: str,
           method: str | None, min_choices: int | None, max_choices: int | None, allow_change: bool,
           results: str, secret: bool, quorum: int | None, invite_only: bool):
    """Create an open poll with two or more options.

    An option that another poll already has is linked to it, so its name keeps the
    first spelling. --kind chooses what a ballot is and --method how it is counted
    (README: Poll kinds); --allow-change, --results, --secret and --quorum are its
    ballot policies (README: Ballot policies).

    \b
    Examples:
      votr create "Which side is going to win the EPL this season" Arsenal Spurs --closes-at 3d
      votr create "Team lunch" pizza sushi tacos --kind multiple --max 2
      votr create "State capital" Memphis Nashville Chattanooga Knoxville --kind ranked
      votr create "Logo" red blue green --kind score --method score
      votr create "Board election" ann bo cy --kind ranked --secret --results closed --quorum 20
      votr create "Offsite venue" lake city --invite-only
    """
    from votr_cli.service import polls as service
    from votr_cli.frontends import output

    close_date = _closes_at(closes_at)
    created = service.create_poll(obj.database(), title, list(options), close_date, kind=kind, method=method,
                                  min_choices=min_choices, max_choices=max_choices, allow_change=allow_change,
                                  results=results, secret=secret, quorum=quorum, invite_only=invite_only)
    return output.Result(output.POLL_MESSAGE, created)


@main.command("list")
@click.option("--status", type=click.Choice(["open", "closed", "all"]), default="all", show_default=True,
              help="Which polls to list.")
@click.option("--voter", metavar="NAME", help=VIEWER_HELP)
@votr_command(formats=True)
def list_(obj: Context, status: str, voter: str | None):
    """List every poll with its counts, oldest first.

    \b
    Examples:
      votr list --status open
      votr list --json | jq -r '.Polls[] | "\\(.title): \\(.total_vote_count)"'
      votr list --format csv > polls.csv
    """
    from votr_cli.service import polls as service
    from votr_cli.frontends import output

    from votr_cli.frontends import settings

    listing = service.list_polls(obj.database(), status, settings.viewer(voter))
    return output.Result(output.POLL_LISTING, {"Polls": listing})


@main.command()
@click.argument("poll", shell_complete=completion.poll_completer("all"))
@click.option("--voter", metavar="NAME", help=VIEWER_HELP)
@click.option("--watch", is_flag=True,
              help="Read the poll again every --interval and redraw it, until it closes or Ctrl-C (exit 0 "
                   "both). Piped: show's plain form each time it changes; --json: one document per change, "
                   "one per line.")
@click.option("--interval", type=click.FloatRange(0.1, 3600), default=2.0, show_default=True, metavar="SECONDS",
              help="With --watch: seconds between reads (0.1 to 3600).")
@click.option("--svg", "svg_file", metavar="FILE",
              help="Write the picture show draws on a terminal (100 columns, in colour) to FILE as SVG "
                   "('-' for stdout) instead of showing the poll.")
@votr_command(formats=True)
def show(obj: Context, poll: str, voter: str | None, watch: bool, interval: float, svg_file: str | None):
    """Show one poll: counts, percentages, leader and close date.

    POLL is the poll's id or its exact title.

    \b
    Examples:
      votr show "who's the fastest footballer"
      votr show "who's the fastest footballer" --format csv
      votr show "who's the fastest footballer" --watch --interval 5
      votr show "who's the fastest footballer" --svg results.svg
    """
    from votr_cli.service import polls as service
    from votr_cli.frontends import output

    from votr_cli.frontends import settings

    if watch and svg_file is not None:
        raise click.UsageError("give either --watch or --svg, not both")
    context = click.get_current_context()
    if not watch and context.get_parameter_source("interval") is not click.core.ParameterSource.DEFAULT:
        raise click.UsageError("--interval is for --watch")
    chosen = "json" if context.params.get("as_json") else context.params.get("output_format")
    if (watch or svg_file is not None) and chosen not in (None, "table", "plain", "json"):
        raise click.UsageError(f"--format {chosen} is not for --{'watch' if watch else 'svg'}: "
                               f"use table, plain or json")
    if svg_file == "-" and chosen == "json":
        raise click.UsageError("--svg - writes the picture to stdout: it cannot be given with --json")
    database, viewer = obj.database(), settings.viewer(voter)
    if watch:
        from votr_cli.frontends import live

        return output.Result(live.POLL_WATCH,
                             live.Watch(lambda: {"Polls": [service.show_poll(database, poll, viewer)]}, interval))
    shown = service.show_poll(database, poll, viewer)
    if svg_file is not None:
        from votr_cli.frontends import picture

        svg = picture.poll_svg({"Polls": [shown]})
        if svg_file == "-":
            return output.Result(picture.PICTURE, {"svg": svg})
        picture.write_svg(svg, svg_file)
        return output.Result(output.REPORT, {"message": f"wrote {svg_file}", "file": svg_file})
    return output.Result(output.POLL_DETAIL, {"Polls": [shown]})


@main.command()
@votr_command(formats=True)
def options(obj: Context):
    """List every option name known to the database, with its id.

    \b
    Examples:
      votr options --json | jq -r '.[].name'
      votr options --format tsv | cut -f2
    """
    from votr_cli.service import polls as service
    from votr_cli.frontends import output

    return output.Result(output.OPTION_LIST, service.list_options(obj.database()))


@main.command()
@click.argument("poll", required=False, shell_complete=completion.poll_completer("open"))
@click.argument("options", nargs=-1, metavar="[OPTION]...", shell_complete=completion.complete_ballot_option)
@click.option("--voter", metavar="NAME",
              help="Who is voting [env: VOTR_VOTER; default: your login name]. Case does not matter. "
                   "With --batch: the voter of lines that name none.")
@click.option("--batch", "batch_file", metavar="FILE", type=click.File("rb"),
              help="Record many votes from FILE ('-' for stdin): JSON Lines or CSV with poll, option "
                   "and voter, in one transaction.")
@votr_command
def vote(obj: Context, poll: str | None, options: tuple[str, ...], voter: str | None, batch_file):
    """Cast a ballot in POLL. Each voter votes once per poll.

    The ballot is one OPTION in a single poll; the chosen options in a multiple poll;
    options in order of preference, most preferred first, in a ranked poll; and
    OPTION=SCORE pairs (SCORE from 0 to 5; options left out score 0) in a score poll.

    With POLL alone, on a terminal, votr opens a ballot to fill in with the keys (arrows,
    space, Enter; Esc or Ctrl-C cancels, exit 130, nothing recorded); piped, name the
    options.

    With --batch FILE, POLL and OPTION are left out and each line of FILE is one vote:
    JSON Lines ({"poll": …, "option": …, "voter": …}; "options": [...] for multiple and
    ranked polls, "scores": {"name": n} for score polls) or CSV with a header row naming
    the columns poll,option,voter (or options, scores: README: Batch voting). The format comes from the file name (.jsonl,
    .ndjson, .json, .csv), else from the content. The same rules apply to every line; a
    rejected line is reported with its number and reason (on stderr, or in the --json
    summary) and the accepted votes are committed together, in one transaction. Exit 0
    when every line was accepted, else the most serious line's code: 4 over 3 over 1.

    \b
    Examples:
      votr vote "Which side is going to win the EPL this season" arsenal --voter ann
      votr vote "State capital" Nashville Knoxville Memphis
      votr vote Logo red=5 blue=2
      votr vote "Team lunch"          # on a terminal: choose on a ballot
      votr vote --batch votes.csv
      printf '{"poll": "Lunch?", "option": "pizza", "voter": "bo"}\\n' | votr vote --batch - --json
    """
    from votr_cli.service import polls as service
    from votr_cli.frontends import settings
    from votr_cli.frontends import output

    if batch_file is not None:
        if poll is not None or options:
            raise click.UsageError("give either POLL and OPTION or --batch FILE, not both")
        return _vote_batch(obj, batch_file, voter)
    if poll is None:
        raise click.UsageError("Missing argument 'POLL'.")
    if not options:
        return _vote_interactively(obj, poll, voter)
    voted = service.vote(obj.database(), poll, list(options), settings.voter(voter))
    return output.Result(output.POLL_MESSAGE, voted)


def _vote_interactively(obj: Context, poll: str, voter: str | None):
    """`votr vote POLL` on a terminal: the ballot prompt, then the same vote as with OPTIONs.
    The poll is checked first, so that nobody fills a ballot that would be refused."""
    from votr_cli.service import polls as service
    from votr_cli.frontends import settings
    from votr_cli.frontends import output

    if not (_is_terminal(sys.stdin) and _is_terminal(sys.stdout)):
        raise click.UsageError("Missing argument 'OPTION...': name the options, "
                               "or run votr vote POLL in a terminal to choose them on a ballot.")
    if os.environ.get("TERM") == "dumb":  # it could not draw the ballot, only escape sequences
        raise click.UsageError("Missing argument 'OPTION...': name the options "
                               "(a terminal with TERM=dumb cannot show the ballot).")
    database = obj.database()
    name = settings.voter(voter)
    paper = service.ballot_paper(database, poll, name)
    from votr_cli.frontends import ballot_prompt

    try:
        choices = ballot_prompt.ask(paper)  # Esc, Ctrl-C, Ctrl-D: KeyboardInterrupt, nothing recorded
    except OSError as exc:  # the terminal went away or cannot be driven: nothing was recorded
        raise VotrError(f"the ballot could not be shown, nothing was recorded: {exc}") from None
    return output.Result(output.POLL_MESSAGE, service.vote(database, paper["id"], choices, name))


def _is_terminal(stream) -> bool:
    try:
        return stream is not None and stream.isatty()
    except (OSError, ValueError):  # closed
        return False


def _vote_batch(obj: Context, batch_file, voter: str | None):
    from votr_cli.frontends import batchfile as batch
    from votr_cli.frontends import output
    from votr_cli.service import polls as service
    from votr_cli.frontends import settings

    obj.interrupted = "no vote of the batch was recorded"  # one transaction, committed at the end
    name = getattr(batch_file, "name", "<stdin>")  # a stream that stands in for stdin may have none
    with output.progress_steps() as step:
        data = _read_batch(batch_file, name, step)
        parse = step("Checking lines", data.count(b"\n") + 1, "line") if step else None
        lines: list = []
        parsed = batch.read_lines(name, data)
        while chunk := list(itertools.islice(parsed, BATCH_CHUNK_LINES)):
            lines += chunk
            if parse:
                parse(len(chunk))
        del data
        database = obj.database()
        summary = service.vote_batch(database, lines, lambda: settings.voter(voter),
                                     step("Voting", len(lines), "vote") if step else None)
    return _batch_result(summary)


# A batch is read and checked in pieces of these sizes, each one step of its progress bar.
BATCH_CHUNK_BYTES = 1 << 20
BATCH_CHUNK_LINES = 20_000


def _read_batch(batch_file, name: str, step) -> bytes:
    """The batch file's bytes, read in pieces so that a progress bar (`step`, when stderr
    is a terminal) moves from the first byte: in bytes of the file's size when it is
    known (a regular file), else in lines read so far (a pipe)."""
    advance = None
    if step is not None:
        try:
            import stat

            status = os.fstat(batch_file.fileno())
            size = status.st_size if stat.S_ISREG(status.st_mode) else None
        except (OSError, ValueError, AttributeError):  # a stream without a descriptor
            size = None
        shown = "stdin" if name == "<stdin>" else name
        advance = step(f"Reading {shown}", size or None, "line")
    pieces = []
    try:
        # Bytes, for a named file and stdin alike: batch decodes each line by itself, so
        # a line that is not UTF-8 is rejected alone.
        read = getattr(batch_file, "read1", batch_file.read)
        while piece := read(BATCH_CHUNK_BYTES):
            pieces.append(piece)
            if advance is not None:
                advance(len(piece) if size else piece.count(b"\n"))
    except OSError as exc:
        raise InvalidInput(f"cannot read {name}: {exc.strerror or exc}") from None
    return b"".join(pieces)


def _batch_result(summary: dict):
    """The service's batch summary as the contract shows it: each rejected line with the
    exit code its error would have alone, and the batch's code, the most serious line's
    (4 refused over 3 not found over 1 invalid: the largest), 0 when all were accepted."""
    from votr_cli.frontends import output

    rejected = [{"line": entry["line"], "error": entry["error"].message, "exit_code": exit_code_for(entry["error"])}
                for entry in summary["rejected"]]
    exit_code = max((entry["exit_code"] for entry in rejected), default=0)
    return output.Result(output.BATCH_SUMMARY, {**summary, "rejected": rejected, "exit_code": exit_code},
                         exit_code=exit_code)


def _closes_at(value: str | None):
    """--closes-at as the naive UTC datetime the service takes; None when not given."""
    from votr_cli.core.when import parse_when

    return parse_when(value) if value else None


@main.command()
@click.argument("poll", shell_complete=completion.poll_completer("open"))
@click.option("--voter", metavar="NAME",
              help="Whose vote to withdraw [env: VOTR_VOTER; default: your login name].")
@votr_command
def unvote(obj: Context, poll: str, voter: str | None):
    """Withdraw your vote from POLL, in a poll created with --allow-change.

    Exit 3 when the voter has no vote in the poll, 4 when the poll does not allow
    changes or is closed.

    \b
    Example:
      votr unvote "Team lunch" --voter ann
    """
    from votr_cli.service import polls as service
    from votr_cli.frontends import settings
    from votr_cli.frontends import output

    return output.Result(output.POLL_MESSAGE, service.unvote(obj.database(), poll, settings.voter(voter)))


@main.command()
@click.argument("poll", shell_complete=completion.poll_completer("all"))
@click.argument("voters", nargs=-1, required=True, metavar="VOTER...")
@click.option("--base-url", metavar="URL",
              help="Where votr serve is reached, the links' start [env: VOTR_BASE_URL; default: "
                   "http://127.0.0.1:5000, votr serve's own address].")
@votr_command
def invite(obj: Context, poll: str, voters: tuple[str, ...], base_url: str | None):
    """Invite voters to POLL: print each one's secret link, BASE_URL/p/POLL_ID?invite=TOKEN.

    Send each voter their own link: it signs them in on votr serve's pages. In a poll
    created with --invite-only only invited voters may vote. Only a hash of each token is
    stored, so a link cannot be shown again: inviting a voter again makes a new link and
    revokes the old one (how a lost link is re-sent). Open or closed polls alike.

    \b
    Examples:
      votr invite "Offsite venue" ann bob
      votr invite "Offsite venue" cy --base-url https://polls.example.org --json
    """
    from votr_cli.core import invites as invite_rules
    from votr_cli.frontends import output, settings
    from votr_cli.service import invites as service

    base = invite_rules.base_url(base_url or settings.env("VOTR_BASE_URL") or invite_rules.DEFAULT_BASE_URL)
    made = service.invite(obj.database(), poll, list(voters))
    return output.Result(output.INVITE_LINKS, {"invites": invite_rules.invite_links(base, made)})


@main.command()
@click.argument("poll", shell_complete=completion.poll_completer("all"))
@votr_command
def invites(obj: Context, poll: str):
    """List the voters invited to POLL, when, and whether they have voted (never their links).

    \b
    Examples:
      votr invites "Offsite venue"
      votr invites "Offsite venue" --json | jq -r '.invites[] | select(.voted | not) | .voter'
    """
    from votr_cli.frontends import output
    from votr_cli.service import invites as service

    return output.Result(output.INVITE_LIST, {"invites": service.list_invites(obj.database(), poll)})


@main.command()
@click.argument("poll", shell_complete=completion.poll_completer("all"))
@click.argument("voter")
@votr_command
def uninvite(obj: Context, poll: str, voter: str):
    """Revoke VOTER's invite to POLL: their link stops working at once.

    A vote they already cast stays. Exit 3 when VOTER has no invite.

    \b
    Example:
      votr uninvite "Offsite venue" bob
    """
    from votr_cli.frontends import output
    from votr_cli.service import invites as service

    return output.Result(output.INVITE_REVOKED, service.uninvite(obj.database(), poll, voter))


@main.command()
@click.argument("poll", shell_complete=completion.poll_completer("open"))
@votr_command
def close(obj: Context, poll: str):
    """Close a poll now. Closing a closed poll changes nothing.

    \b
    Example:
      votr close "Team lunch"
    """
    from votr_cli.service import polls as service
    from votr_cli.frontends import output

    return output.Result(output.POLL_MESSAGE, service.close_poll(obj.database(), poll))


@main.command()
@click.argument("poll", shell_complete=completion.poll_completer("closed"))
@click.option("--closes-at", metavar="WHEN", help="Close again at WHEN (ISO-8601 or 90s, 30m, 3d, 2w).")
@votr_command
def reopen(obj: Context, poll: str, closes_at: str | None):
    """Reopen a closed poll, with no close date unless --closes-at gives one.

    \b
    Example:
      votr reopen "Team lunch" --closes-at 2d
    """
    from votr_cli.service import polls as service
    from votr_cli.frontends import output

    return output.Result(output.POLL_MESSAGE, service.reopen_poll(obj.database(), poll, _closes_at(closes_at)))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but loopback needs a token.")
@click.option("--port", type=click.IntRange(0, 65535), default=5000, show_default=True,
              help="TCP port to listen on (0: any free port, printed at start).")
@click.option("--token", metavar="TOKEN",
              help="Require 'Authorization: Bearer TOKEN' on every write [env: VOTR_API_TOKEN, "
                   "which keeps it out of the process list].")
@click.option("--allowed-host", "allowed_hosts", metavar="HOST[:PORT]", multiple=True,
              help="Also answer requests whose Host header is HOST (on any port, or on PORT). "
                   "Repeatable. The address served, and on loopback localhost, 127.0.0.1 and "
                   "[::1], are always answered.")
@click.option("--cors-origin", "cors_origins", metavar="ORIGIN", multiple=True,
              help="Let web pages from ORIGIN (such as http://localhost:3000) call the API, with "
                   "CORS headers. Repeatable. Other origins are refused (403).")
@click.option("--idle-timeout", type=click.IntRange(1, 3600), default=30, show_default=True,
              metavar="SECONDS", help="Close a connection that has sent nothing for SECONDS.")
@click.option("--trusted-proxy", metavar="ADDRESS", default=None,
              help="A reverse proxy at ADDRESS terminates TLS: believe its X-Forwarded-Proto "
                   "(the voting pages' cookies are then Secure).")
@votr_command
def serve(obj: Context, host: str, port: int, token: str | None, allowed_hosts: tuple[str, ...],
          cors_origins: tuple[str, ...], idle_timeout: int, trusted_proxy: str | None):
    """Serve the Votr REST API (the original web app's endpoints) over HTTP.

    Needs the api extra: pip install 'votr-cli[api]'. Runs on waitress, a production
    WSGI server, until Ctrl-C or SIGTERM. Reads are open to every client that can reach
    it; with a token, creating, voting, closing and reopening need it. The OpenAPI
    document is at /api/openapi.json. Browsers vote on the pages at / (the open
    polls) and /p/POLL (a ballot; its results at /p/POLL/results).

    \b
    Examples:
      votr serve
      VOTR_API_TOKEN=$(python3 -c 'import secrets; print(secrets.token_urlsafe())') votr serve --host 0.0.0.0
      votr serve --cors-origin http://localhost:3000
      curl -s http://127.0.0.1:5000/api/polls | jq '.Polls[].title'
    """
    from votr_cli.frontends import settings
    from votr_cli.frontends import output

    try:
        from votr_cli.frontends import http as api
    except ModuleNotFoundError as exc:
        if (exc.name or "").partition(".")[0] not in ("flask", "werkzeug", "waitress"):
            raise
        raise VotrError(f"votr serve needs the api extra ({exc.name} is not installed): "
                        f"pip install 'votr-cli[api]'") from None

    def announce(line: str) -> None:
        click.echo(line, err=True)

    urls = api.serve(obj.database(), host, port, token or settings.env("VOTR_API_TOKEN"), announce,
                     allowed_hosts=allowed_hosts, cors_origins=cors_origins, idle_timeout=idle_timeout,
                     trusted_proxy=trusted_proxy)
    return output.Result(output.REPORT, {"message": f"votr serve stopped ({', '.join(urls)})", "urls": urls})


@main.command()
@click.argument("file", default="-", metavar="[FILE|-]")
@votr_command
def export(obj: Context, file: str):
    """Write every poll, option and ballot to FILE as one JSON document (default: stdout).

    The document keeps public ids, statuses, close dates, counts and ballots, so that
    `votr import` can rebuild the same polls in any other database. It is written to a
    temporary file first and then renamed, so FILE is never left half-written.

    \b
    Examples:
      votr export > all.json
      votr export all.json --json
      votr export | jq '.polls | length'
    """
    from votr_cli.ops import transfer
    from votr_cli.frontends import output

    database = obj.database()
    if not database.exists():  # reading would create it: an export never does
        raise DatabaseProblem(f"no database at {database.display_url}: nothing to export")
    document = transfer.export_document(database)
    if file == "-":
        return output.Result(output.DOCUMENT, document)
    obj.interrupted = f"{file} was not written"
    transfer.write_document(document, file, database)
    return output.Result(output.REPORT, transfer.export_summary(document, file))


@main.command("import")
@click.argument("file", metavar="FILE|-")
@votr_command
def import_(obj: Context, file: str):
    """Add or update the polls of an export (FILE, or '-' for stdin) in this database.

    The whole document is checked before anything is written, and then written in one
    transaction. Polls are matched by public id: new ones are added, changed ones are
    replaced by the document's version, identical ones are skipped, so importing twice
    changes nothing. Polls the document does not mention are left alone.

    \b
    Examples:
      votr export > all.json && votr --db postgresql+psycopg://votr@db/votr import all.json
      votr --db old.db export | votr --db new.db import - --json
    """
    from votr_cli.ops import transfer
    from votr_cli.frontends import output

    return output.Result(output.REPORT, transfer.import_document(obj.database(), transfer.read_document(file),
                                                                 "stdin" if file == "-" else file))


@main.command("completion")
@click.argument("shell", type=click.Choice(completion.SHELLS))
@votr_command
def completion_(obj: Context, shell: str):
    """Print the script that makes SHELL (bash, zsh or fish) complete votr's commands,
    options, poll titles and ids, and in `vote` the named poll's options.

    Tab reads the database --db or VOTR_DATABASE_URL names, and never creates or
    changes one. Install the script once, then start a new shell:

    \b
    Examples:
      votr completion bash > ~/.local/share/bash-completion/completions/votr
      echo 'eval "$(votr completion bash)"' >> ~/.bashrc
      votr completion zsh > ~/.zfunc/_votr     # with fpath+=(~/.zfunc) before compinit in ~/.zshrc
      echo 'eval "$(votr completion zsh)"' >> ~/.zshrc    # after compinit
      votr completion fish > ~/.config/fish/completions/votr.fish
    """
    from votr_cli.frontends import output

    return output.Result(output.SCRIPT, {"shell": shell, "script": completion.script(shell, main)})


@main.command("db-upgrade")
@click.argument("revision", default="head")
@click.option("--sql", is_flag=True, help="Print the SQL instead of running it; the database is not touched.")
@votr_command
def db_upgrade(obj: Context, revision: str, sql: bool):
    """Upgrade the database schema to REVISION (default: the newest).

    It also adopts a database made by the original Votr web app. On SQLite a
    consistent backup is written next to the database first; on PostgreSQL and
    MariaDB votr cannot back up for you, so back up first (pg_dump, mariadb-dump).

    \b
    Examples:
      votr db-upgrade
      votr --db postgresql+psycopg://votr@db/votr db-upgrade --sql > upgrade.sql
    """
    from votr_cli.ops import admin
    from votr_cli.frontends import output

    if sql:
        return output.Result(output.SQL, {"sql": admin.upgrade_sql(obj.database(), revision)})
    obj.interrupted = _schema_change_interrupted(obj.database())
    return output.Result(output.UPGRADE_REPORT, admin.upgrade(obj.database(), revision))


def _schema_change_interrupted(database) -> str:
    """What a Ctrl-C during db-upgrade or db-downgrade leaves: the revisions run in one
    transaction, which MariaDB/MySQL cannot roll back table changes of."""
    from votr_cli.db import dialect

    if database.family == dialect.MYSQL:
        return ("MariaDB/MySQL commit table changes at once, so the schema change may be half "
                "applied: see votr db-current, and restore your backup if it is")
    return "the schema change was rolled back: the database is as it was"


# ignore_unknown_options: a relative revision such as -1 is REVISION, as in Alembic.
@main.command("db-downgrade", context_settings={"ignore_unknown_options": True})
@click.argument("revision")
@votr_command
def db_downgrade(obj: Context, revision: str):
    """Downgrade the database schema to REVISION ("base" removes every table, -1 goes
    one revision back).

    On SQLite a consistent backup is written next to the database first.

    \b
    Examples:
      votr db-downgrade -1
      votr db-downgrade base
    """
    from votr_cli.ops import admin
    from votr_cli.frontends import output

    obj.interrupted = _schema_change_interrupted(obj.database())
    return output.Result(output.REPORT, admin.downgrade(obj.database(), revision))


@main.command("db-current")
@votr_command
def db_current(obj: Context):
    """Show the database's schema revision and the newest one votr knows.

    \b
    Example:
      votr db-current --json | jq .up_to_date
    """
    from votr_cli.ops import admin
    from votr_cli.frontends import output

    return output.Result(output.REVISION, admin.current(obj.database()))


@main.command("db-history")
@votr_command
def db_history(obj: Context):
    """List the schema revisions votr knows, newest first.

    \b
    Example:
      votr db-history --json | jq -r '.revisions[].revision'
    """
    from votr_cli.ops import admin
    from votr_cli.frontends import output

    return output.Result(output.HISTORY, admin.history())


@main.command("db-check")
@votr_command
def db_check(obj: Context):
    """Check the database: integrity, polls and ballots of every kind, counters, orphans.

    Runs the backend's own integrity check (SQLite, MariaDB; PostgreSQL with the
    amcheck extension installed). Each poll's kind, method and choice bounds must fit;
    each ballot must be a valid ballot of its poll; each option's counter must equal
    what its ballots give (plus the votes adopted from an old Votr database) and each
    poll's voter count its ballots. Changes nothing and never creates a database.
    Exit 0 when clean, 5 with the problems listed otherwise.

    \b
    Examples:
      votr db-check
      votr db-check --json | jq -r '.problems[].message'
    """
    from votr_cli.ops import admin
    from votr_cli.frontends import output

    report = admin.check(obj.database())
    return output.Result(output.CHECK_REPORT, report, exit_code=0 if report["ok"] else EXIT_CODES[DatabaseProblem])
