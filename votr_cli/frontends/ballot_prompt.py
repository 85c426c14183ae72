"""The interactive ballot: `votr vote POLL` with no option, on a terminal.

Two parts:

- `BallotState`, pure: the options, the highlighted row and what the voter has chosen,
  changed by one method per key (`down`, `toggle`, `raise_rank`, `score_up`, …) and
  turned into the ballot `votr vote POLL OPTION…` takes (`ballot`, or `submit`, which
  refuses a ballot outside the poll's bounds with a message instead). No terminal is
  needed to test it.
- `ask`, the prompt_toolkit Application around it, which needs a real terminal.
  prompt_toolkit is imported only here, inside `ask`, so that `votr --help` never pays
  for it.

Every option name and the title are shown through `printable` as plain text fragments,
never markup, so `[bold]` stays `[bold]` and control characters never reach the
terminal.
"""

from __future__ import annotations

from collections.abc import Sequence

from votr_cli.core.text import printable

MIN_SCORE, MAX_SCORE = 0, 5

HELP = {
    "single": "↑/↓ or a number move, Enter vote, Esc/Ctrl-C cancel",
    "multiple": "↑/↓ or a number move, space select, Enter vote, Esc/Ctrl-C cancel",
    "ranked": "↑/↓ move, space rank, k/j or Alt+↑/↓ reorder, Enter vote, Esc/Ctrl-C cancel",
    "score": "↑/↓ move, ←/→ or 0-5 score, Enter vote, Esc/Ctrl-C cancel",
}


class BallotState:
    """What the voter has done so far in the prompt of one poll.

    single: the highlighted option is the choice. multiple: a set of checked options.
    ranked: the ranked options in order of preference; the rows show them first, in that
    order, then the unranked ones in the poll's order. score: a score per option.
    """

    def __init__(self, kind: str, options: Sequence[str], min_choices: int = 1, max_choices: int = 1):
        if kind not in HELP:
            raise ValueError(f"unknown poll kind {kind!r}")
        if not options:
            raise ValueError("a poll has options")
        self.kind = kind
        self.options = list(options)
        self.min_choices = min_choices
        self.max_choices = max_choices
        self.cursor = 0  # the highlighted row
        self.checked: set[int] = set()  # multiple: positions in the poll
        self.ranking: list[int] = []  # ranked: positions, most preferred first
        self.scores = [MIN_SCORE] * len(self.options)
        self.message = ""  # why the last key did nothing, shown in the prompt
        self._number = ""  # the digits typed so far (single, multiple, ranked)

    # -- rows ------------------------------------------------------------------------

    def order(self) -> list[int]:
        """The poll positions of the options, row by row."""
        if self.kind == "ranked":
            ranked = set(self.ranking)
            return self.ranking + [position for position in range(len(self.options)) if position not in ranked]
        return list(range(len(self.options)))

    def highlighted(self) -> int:
        """The poll position of the highlighted option."""
        return self.order()[self.cursor]

    def rows(self) -> list[tuple[bool, str, str]]:
        """(highlighted, mark, option name) per row, the name as it is to be shown."""
        rows = []
        width = len(str(len(self.options)))
        for row, position in enumerate(self.order()):
            mark = self._mark(row, position)
            if self.kind in ("single", "multiple"):  # the number that a digit key jumps to
                mark += f" {row + 1:>{width}}."
            rows.append((row == self.cursor, mark, printable(self.options[position])))
        return rows

    def _mark(self, row: int, position: int) -> str:
        if self.kind == "single":
            return "(•)" if row == self.cursor else "( )"
        if self.kind == "multiple":
            return "[x]" if position in self.checked else "[ ]"
        if self.kind == "ranked":
            rank = self.ranking.index(position) + 1 if position in self.ranking else None
            return f"{rank:>2}." if rank else "  -"
        score = self.scores[position]
        return f"{'●' * score}{'○' * (MAX_SCORE - score)} {score}"

    def instruction(self) -> str:
        """What to do, in one line."""
        if self.kind == "single":
            return "Choose one option."
        if self.kind == "score":
            return f"Score each option from {MIN_SCORE} to {MAX_SCORE}."
        wanted = self._wanted()
        if self.kind == "multiple":
            return f"Choose {wanted} options."
        return f"Rank {wanted} options, most preferred first."

    def _wanted(self) -> str:
        if self.min_choices == self.max_choices:
            return f"exactly {self.min_choices}"
        return f"{self.min_choices} to {self.max_choices}"

    def status(self) -> str:
        """How much of the ballot is filled, for multiple and ranked polls ("" otherwise)."""
        if self.kind == "multiple":
            return f"{len(self.checked)} chosen"
        if self.kind == "ranked":
            return f"{len(self.ranking)} ranked"
        return ""

    # -- keys ------------------------------------------------------------------------

    def _moved(self) -> None:
        self.message = ""

    def up(self) -> None:
        self._moved()
        self._number = ""
        self.cursor = (self.cursor - 1) % len(self.options)

    def down(self) -> None:
        self._moved()
        self._number = ""
        self.cursor = (self.cursor + 1) % len(self.options)

    def first(self) -> None:
        self._moved()
        self._number = ""
        self.cursor = 0

    def last(self) -> None:
        self._moved()
        self._number = ""
        self.cursor = len(self.options) - 1

    def digit(self, char: str) -> None:
        """A digit key: a score in a score poll; in single and multiple polls part of
        a row number to jump to (1-based, as shown; "1" then "2" is row 12 when there
        is one, else row 2). A ranked poll shows ranks, not row numbers: nothing."""
        self._moved()
        if self.kind == "ranked":
            return
        if self.kind == "score":
            if int(char) <= MAX_SCORE:
                self.scores[self.highlighted()] = int(char)
            else:
                self.message = f"a score is from {MIN_SCORE} to {MAX_SCORE}"
            return
        for number in (self._number + char, char):
            if number.isdigit() and 1 <= int(number) <= len(self.options):
                self._number = number
                self.cursor = int(number) - 1
                return
        self._number = ""
        self.message = f"no option number {char}"

    def toggle(self) -> None:
        """Space: check or uncheck (multiple), rank last or unrank (ranked)."""
        self._moved()
        self._number = ""
        position = self.highlighted()
        if self.kind == "multiple":
            self.checked.symmetric_difference_update({position})
        elif self.kind == "ranked":
            if position in self.ranking:
                self.ranking.remove(position)
            else:
                self.ranking.append(position)
            # The row keeps its place; the option has moved into or out of the ranking.
        elif self.kind == "single":
            self.message = "press Enter to vote for the highlighted option"
        else:
            self.message = "use ←/→ or 0-5 to score the highlighted option"

    def raise_rank(self) -> None:
        """Move the highlighted ranked option one place up the ranking; the highlight follows it."""
        self._move_rank(-1)

    def lower_rank(self) -> None:
        """Move the highlighted ranked option one place down the ranking; the highlight follows it."""
        self._move_rank(+1)

    def _move_rank(self, step: int) -> None:
        self._moved()
        if self.kind != "ranked":
            return
        position = self.highlighted()
        if position not in self.ranking:
            self.message = "press space to rank it first"
            return
        at = self.ranking.index(position)
        to = at + step
        if not 0 <= to < len(self.ranking):
            return
        self.ranking[at], self.ranking[to] = self.ranking[to], self.ranking[at]
        self.cursor = to

    def score_up(self) -> None:
        self._change_score(+1)

    def score_down(self) -> None:
        self._change_score(-1)

    def _change_score(self, step: int) -> None:
        self._moved()
        if self.kind != "score":
            return
        position = self.highlighted()
        self.scores[position] = min(MAX_SCORE, max(MIN_SCORE, self.scores[position] + step))

    # -- the ballot ------------------------------------------------------------------

    def refusal(self) -> str | None:
        """Why the ballot cannot be cast as it stands, or None."""
        if self.kind == "multiple":
            count, verb = len(self.checked), "choose"
        elif self.kind == "ranked":
            count, verb = len(self.ranking), "rank"
        else:
            return None
        if count < self.min_choices:
            return f"{verb} at least {self.min_choices} (now {count})"
        if count > self.max_choices:
            return f"{verb} at most {self.max_choices} (now {count})"
        return None

    def ballot(self) -> list[str]:
        """The OPTION arguments `votr vote POLL OPTION…` would take for this ballot:
        one option; the checked ones in the poll's order; the ranked ones, most
        preferred first; OPTION=SCORE for every option."""
        if self.kind == "single":
            return [self.options[self.highlighted()]]
        if self.kind == "multiple":
            return [self.options[position] for position in sorted(self.checked)]
        if self.kind == "ranked":
            return [self.options[position] for position in self.ranking]
        return [f"{name}={score}" for name, score in zip(self.options, self.scores)]

    def submit(self) -> list[str] | None:
        """Enter: the ballot, or None with the refusal as the message."""
        refusal = self.refusal()
        if refusal is not None:
            self.message = refusal
            return None
        self.message = ""
        return self.ballot()


def state_for(poll: dict) -> BallotState:
    """The state of a new prompt for a poll (the service's ballot paper: kind, options,
    min_choices, max_choices)."""
    return BallotState(poll["kind"], poll["options"], poll["min_choices"], poll["max_choices"])


def ask(poll: dict) -> list[str]:
    """Open the prompt for `poll` on the terminal and return the ballot, as OPTION
    arguments. Esc, Ctrl-C and Ctrl-D cancel it: KeyboardInterrupt (exit 130)."""
    from prompt_toolkit.application import Application
    from prompt_toolkit.data_structures import Point
    from prompt_toolkit.key_binding import KeyBindings
    from prompt_toolkit.layout import HSplit, Layout, Window
    from prompt_toolkit.layout.controls import FormattedTextControl
    from prompt_toolkit.layout.dimension import Dimension

    state = state_for(poll)
    keys = KeyBindings()

    def on(*names: str, action):
        for name in names:
            keys.add(*name.split(" "))(lambda event: action())

    on("up", "c-p", action=state.up)
    on("down", "c-n", "tab", action=state.down)
    on("s-tab", action=state.up)
    on("home", action=state.first)
    on("end", action=state.last)
    on("space", action=state.toggle)
    on("left", "-", "h", action=state.score_down)
    on("right", "+", "l", action=state.score_up)
    if state.kind == "ranked":
        on("k", "escape up", "c-up", action=state.raise_rank)
        on("j", "escape down", "c-down", action=state.lower_rank)
    else:  # Alt+arrows too: unbound, their Esc would cancel the ballot
        on("k", "escape up", "c-up", action=state.up)
        on("j", "escape down", "c-down", action=state.down)
    on("escape left", action=state.score_down)
    on("escape right", action=state.score_up)
    for char in "0123456789":
        on(char, action=lambda char=char: state.digit(char))

    @keys.add("enter")
    def _(event):
        ballot = state.submit()
        if ballot is not None:
            event.app.exit(result=ballot)

    @keys.add("c-c")
    @keys.add("c-d")
    @keys.add("escape", eager=False)
    def _(event):
        event.app.exit(exception=KeyboardInterrupt())

    def header():
        return [("bold", printable(poll["title"])), ("", "\n"), ("", state.instruction())]

    def options_text():
        fragments = []
        for highlighted, mark, name in state.rows():
            style = "reverse" if highlighted else ""
            fragments += [(style, f"{'>' if highlighted else ' '} {mark} "), (style, name), ("", "\n")]
        return fragments[:-1]

    def footer():
        fragments = [("", state.status() + ("  " if state.status() else ""))]
        if state.message:
            fragments.append(("bold fg:ansired", state.message))
        fragments += [("", "\n"), ("fg:ansibrightblack", HELP[state.kind])]
        return fragments

    options_window = Window(
        FormattedTextControl(options_text, get_cursor_position=lambda: Point(0, state.cursor), show_cursor=False),
        height=Dimension(min=1, max=len(poll["options"]), preferred=len(poll["options"])),
        wrap_lines=False,
    )
    layout = Layout(HSplit([
        Window(FormattedTextControl(header), wrap_lines=True, dont_extend_height=True),
        options_window,
        Window(FormattedTextControl(footer), wrap_lines=True, dont_extend_height=True),
    ]), focused_element=options_window)
    app = Application(layout=layout, key_bindings=keys, full_screen=False, erase_when_done=True,
                      mouse_support=False)
    return app.run()
