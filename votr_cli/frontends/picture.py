"""`votr show POLL --svg FILE`: show's terminal picture of a poll, as an SVG file.

The picture is what `show` draws on a terminal, drawn by rich on a console of its own,
PICTURE_WIDTH columns wide, in colour, whatever the terminal, NO_COLOR or COLUMNS say,
so the same poll always gives the same picture. rich escapes every text it writes into
the SVG (`<`, `&`), and the texts are votr's own escaped Text objects, never markup.

A named FILE is written to a temporary file beside it and renamed over it, so it is
never left half-written, and only a new or regular file is replaced (never a symlink
or a device); `-` writes the picture to stdout.
"""

from __future__ import annotations

import io

from votr_cli.frontends import output
from votr_cli.ops import files

PICTURE_WIDTH = 100
# The window title drawn in the picture's frame.
PICTURE_TITLE = "votr show"


def poll_svg(data: dict) -> str:
    """show's result ({"Polls": [poll]}) drawn as an SVG document."""
    from rich.console import Console

    # Every setting given, so neither NO_COLOR, TERM nor COLUMNS changes the picture.
    # A height too: rich draws a TERM=dumb console 80 columns wide unless given both.
    console = Console(record=True, file=io.StringIO(), width=PICTURE_WIDTH, height=50, force_terminal=True,
                      color_system="truecolor", highlight=False, markup=False, emoji=False,
                      legacy_windows=False, no_color=False)
    output.POLL_DETAIL.rich(data, console)
    return console.export_svg(title=PICTURE_TITLE)


def write_svg(svg: str, path: str) -> None:
    """Write `svg` to `path` whole or not at all (ops/files.py); InvalidInput (exit 1)
    with the system's reason when it cannot be, and nothing left behind."""
    files.write_whole(path, lambda out: out.write(svg), files.default_mode(), "a picture")


class Picture(output.Renderer):
    """`votr show --svg -`: the SVG document is the output, in every form."""

    def plain(self, data: dict):
        yield from data["svg"].splitlines()

    def json(self, data: dict, out) -> None:  # --json with --svg - is a usage error before this
        out.write(output.dumps(data) + "\n")

    def rich(self, data: dict, console) -> None:
        # Written as it is, not through rich, which would wrap and highlight it.
        out = console.file
        out.write(data["svg"])
        out.flush()


PICTURE = Picture()
