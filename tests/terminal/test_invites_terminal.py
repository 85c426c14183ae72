"""`votr invite` on a real terminal (a pseudo-terminal): each link is printed whole on
its line, however narrow the terminal, so it can be copied; names are shown literally."""

from __future__ import annotations

import os
import re

import pexpect

from tests.conftest import votr_executable

ESCAPE = re.compile(r"\x1b\[[0-9;]*m")


def test_links_stay_whole_on_a_narrow_terminal(votr_env, votr_proc):
    assert votr_proc("create", "Venue", "lake", "city", "--invite-only").exit_code == 0
    env = {**os.environ, **votr_env, "COLUMNS": "40"}
    env.pop("NO_COLOR", None)
    child = pexpect.spawn(votr_executable(), ["invite", "Venue", "[bold]ann[/]", "bob"], env=env,
                          encoding="utf-8", timeout=60, dimensions=(20, 40))
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    shown = ESCAPE.sub("", child.before).replace("\r\n", "\n")
    links = re.findall(r"^(\S+) (http://127\.0\.0\.1:5000/p/\w+\?invite=[\w-]{43})$", shown, re.MULTILINE)
    assert [voter for voter, _ in links] == ["[bold]ann[/]", "bob"]
    assert "\x1b[1m" in child.before  # a terminal: styled
