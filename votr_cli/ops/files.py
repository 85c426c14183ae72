"""Writing a file the user named, whole or not at all.

`votr export FILE` and `votr show --svg FILE` write through a temporary file beside the
target, renamed over it, so the target is never left half-written (a full disk, Ctrl-C),
and they replace only a new or regular file: never a symlink (planted to make votr
overwrite a file elsewhere), a folder, a device such as /dev/full, or a pipe.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from votr_cli.core.errors import InvalidInput


def default_mode() -> int:
    """The mode a new file gets from the process's umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_whole(path: str, write: Callable[[TextIO], None], mode: int, what: str) -> None:
    """Call `write` with a temporary text file beside `path`, then give it `mode` and
    rename it over `path`. InvalidInput (exit 1) with the system's reason when it cannot
    be done; nothing is left behind then, nor on Ctrl-C. `what` names the file's kind in
    the refusal of an unusual target ("a picture")."""
    target = Path(path)
    _refuse_unusual_target(target, what)
    temporary = None
    try:
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=target.parent or ".", prefix=f".{target.name}.",
                                         suffix=".tmp", delete=False) as temporary:
            write(temporary)
        os.chmod(temporary.name, mode)
        os.replace(temporary.name, target)
    except OSError as exc:
        _remove(temporary)
        raise InvalidInput(f"cannot write {path}: {exc.strerror or exc}") from None
    except KeyboardInterrupt:
        _remove(temporary)
        raise


def _remove(temporary) -> None:
    if temporary is not None:
        with contextlib.suppress(OSError):
            os.unlink(temporary.name)


def _refuse_unusual_target(target: Path, what: str) -> None:
    try:
        mode = os.lstat(target).st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise InvalidInput(f"cannot write {target}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(mode):
        kind = "a symbolic link" if stat.S_ISLNK(mode) else "a folder" if stat.S_ISDIR(mode) else "not a regular file"
        raise InvalidInput(f"cannot write {target}: it is {kind}; votr writes {what} to a new or regular file only")
