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

import contextlib
import io
import os
import stat
import tempfile
from pathlib import Path

from votr_cli.core.errors import InvalidInput
from votr_cli.frontends import output

PICTURE_WIDTH = 100
# The window title drawn in the picture's frame.
PICTURE_TITLE = "votr show"


def poll_svg(data: dict) -> str:
    """show's result ({"Polls": [poll]}) drawn as an SVG document."""
    from rich.console import Console

    # _environ={}: neither NO_COLOR, TERM nor COLUMNS changes the picture.
    console = Console(record=True, file=io.StringIO(), width=PICTURE_WIDTH, force_terminal=True,
                      color_system="truecolor", highlight=False, markup=False, emoji=False,
                      legacy_windows=False, _environ={})
    output.POLL_DETAIL.rich(data, console)
    return console.export_svg(title=PICTURE_TITLE)


def write_svg(svg: str, path: str) -> None:
    """Write `svg` to `path` through a temporary file renamed over it; InvalidInput (exit
    1) with the system's reason when it cannot be, and nothing left behind."""
    target = Path(path)
    _refuse_unusual_target(target)
    umask = os.umask(0)
    os.umask(umask)
    try:
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=target.parent, prefix=f".{target.name}.",
                                         suffix=".tmp", delete=False) as temporary:
            temporary.write(svg)
        os.chmod(temporary.name, 0o666 & ~umask)
        os.replace(temporary.name, target)
    except OSError as exc:
        with contextlib.suppress(NameError, OSError):
            os.unlink(temporary.name)
        raise InvalidInput(f"cannot write {path}: {exc.strerror or exc}") from None


def _refuse_unusual_target(target: Path) -> None:
    try:
        mode = os.lstat(target).st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise InvalidInput(f"cannot write {target}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(mode):
        kind = "a symbolic link" if stat.S_ISLNK(mode) else "a folder" if stat.S_ISDIR(mode) else "not a regular file"
        raise InvalidInput(f"cannot write {target}: it is {kind}; votr writes a picture to a new or regular file only")


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
