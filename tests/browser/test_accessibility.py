"""Every state of every page, checked by axe-core (the engine behind Lighthouse's and
Deque's accessibility audits, shipped inside the axe-playwright-python package: nothing
is downloaded), in Debian's Chromium: the list, a ballot of each kind, results of each
count, hidden results, the answers to a vote, a refusal, an unknown poll, an invite-only
poll without an invite. A page passes when axe finds no violation at all, of any impact
(WCAG 2.x A and AA and axe's best practices).

Axe judges what a machine can: names, roles, labels, contrast, landmarks, headings. The
keyboard order and focus ring are tested in test_pages.py.
"""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.test_pages import create, submit

AXE = Axe()


def assert_accessible(page, state: str) -> None:
    """No violation in the light scheme nor in the dark one (the pages follow the
    system's: `color-scheme: light dark`)."""
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        results = AXE.run(page)
        assert results.violations_count == 0, f"{state}, {scheme} ({page.url}):\n{results.generate_report()}"


def test_the_list_and_every_ballot_kind(votr, site, page, shots):
    polls = {
        "single": create(votr, "Lunch", "pizza", "soup", "--closes-at", "2099-01-01T12:00:00+00:00"),
        "multiple": create(votr, "Toppings", "ham", "olives", "basil", "--kind", "multiple", "--max", "2"),
        "ranked": create(votr, "Chair", "ann", "bob", "cid", "--kind", "ranked"),
        "score": create(votr, "Logo", "red", "blue", "--kind", "score"),
    }
    page.goto(site.url + "/")
    assert_accessible(page, "the list of open polls")
    for kind, poll in polls.items():
        page.goto(f"{site.url}/p/{poll}")
        assert_accessible(page, f"a {kind} ballot")


@pytest.mark.parametrize("method", ["plurality", "irv", "schulze", "star"])
def test_results_of_every_count(votr, site, page, method):
    kind = {"plurality": "single", "star": "score"}.get(method, "ranked")
    poll = create(votr, f"Count {method}", "ann", "bob", "cid", "--kind", kind, "--method", method)
    ballots = {"single": [["ann"], ["bob"], ["ann"]],
               "ranked": [["ann", "bob"], ["bob", "ann"], ["cid", "bob"]],
               "score": [["ann=5", "bob=3"], ["bob=4"], ["cid=2", "ann=1"]]}[kind]
    for number, ballot in enumerate(ballots):
        assert votr("vote", poll, *ballot, "--voter", f"voter {number}").exit_code == 0
    page.goto(f"{site.url}/p/{poll}/results")
    assert_accessible(page, f"the results of a {method} count")
    votr("close", poll)
    page.reload()
    assert_accessible(page, f"the closed {method} poll's results")


def test_hidden_results_the_answers_and_the_refusals(votr, site, page):
    hidden = create(votr, "Secret lunch", "pizza", "soup", "--results", "closed")
    page.goto(f"{site.url}/p/{hidden}/results")
    assert_accessible(page, "results hidden until the poll closes")
    page.goto(f"{site.url}/p/{hidden}")
    page.get_by_label("Your name").fill("ann")
    page.get_by_label("pizza").check()
    assert submit(page) == 200
    assert_accessible(page, "the answer to a vote")
    page.goto(f"{site.url}/p/{hidden}")
    page.get_by_label("Your name").fill("ann")
    page.get_by_label("soup").check()
    assert submit(page) == 409
    assert_accessible(page, "a second vote refused")
    page.goto(f"{site.url}/p/no-such-poll")
    assert_accessible(page, "an unknown poll")


def test_an_invite_only_poll_and_its_invite_link(votr, site, new_context):
    poll = create(votr, "Board", "yes", "no", "--invite-only")
    invited = votr("invite", poll, "ann", "--base-url", site.url, "--json")
    assert invited.exit_code == 0, invited.stderr
    visitor = new_context().new_page()
    visitor.goto(f"{site.url}/p/{poll}")
    assert_accessible(visitor, "an invite-only poll seen without an invite")
    ann = new_context().new_page()
    ann.goto(invited.json()["invites"][0]["url"])
    ann.wait_for_url(f"{site.url}/p/{poll}")
    assert_accessible(ann, "the ballot an invite link opens")
