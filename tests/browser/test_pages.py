"""The voting pages in a real Chromium: every poll kind, the ballot policies, keyboard use,
pages without JavaScript, CSRF, escaping, and results that update live.

Each test starts `votr serve` on its own database and checks what the pages recorded
with `votr show --json`, not with what the pages say.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
import requests
from playwright.sync_api import expect

REPO = Path(__file__).resolve().parent.parent.parent


def create(votr, *args: str) -> str:
    created = votr("create", *args, "--json")
    assert created.exit_code == 0, created.stderr
    return created.json()["poll"]["id"]


def shown(votr, poll: str, *args: str) -> dict:
    outcome = votr("show", poll, "--json", *args)
    assert outcome.exit_code == 0, outcome.stderr
    return outcome.json()["Polls"][0]


def counts(poll: dict) -> dict:
    return {option["name"]: option["vote_count"] for option in poll["options"]}


def submit(page, button: str = "Vote") -> int:
    """Press the form's `button` and return the status of the page its post loads.

    The forms post without JavaScript, so a press starts a navigation. Waiting for its
    answer and for the new page to load keeps the next step off the old page (and off a
    page between documents, which Chromium cannot read or photograph)."""
    with page.expect_response(lambda response: response.request.method == "POST"
                              and response.request.is_navigation_request()) as info:
        page.get_by_role("button", name=button, exact=True).click()
    page.wait_for_load_state()
    return info.value.status


def test_the_list_links_each_open_poll_and_escapes_titles(votr, site, page, shots):
    hostile = "<script>alert(1)</script>"
    lunch = create(votr, "Lunch", "pizza", "soup", "--closes-at", "2099-01-01T12:00:00+00:00")
    create(votr, hostile, "a", "b", "--kind", "multiple")
    closed = create(votr, "Old", "x", "y")
    votr("close", closed)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(site.url + "/")
    shots(page, "list")
    rows = page.locator("table.polls tbody tr")
    assert rows.count() == 2  # the closed poll is not listed
    assert rows.nth(0).inner_text().split("\t")[:3] == ["Lunch", "single (plurality)", "0"]
    assert "2099" in rows.nth(0).inner_text()
    # The hostile title is text on the page, never markup, and no script ran.
    assert rows.nth(1).locator("th").inner_text() == hostile
    assert page.locator("script").count() == 0
    assert dialogs == []
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_role("link", name="Lunch").click()
    page.wait_for_url(f"{site.url}/p/{lunch}")  # a link's navigation may end after the click
    assert page.get_by_role("heading", level=1).inner_text() == "Lunch"
    page.goto(f"{site.url}/p/{create(votr, 'x', 'a', 'b')}")
    # A hostile title on the ballot and the results page stays text too.
    hostile_id = votr("list", "--json").json()["Polls"][1]["id"]
    for path in (f"/p/{hostile_id}", f"/p/{hostile_id}/results"):
        page.goto(site.url + path)
        assert hostile in page.get_by_role("heading", level=1).inner_text()
        assert page.locator("legend, h1").first.inner_text().count("<script>") == 1
    assert dialogs == []
    csp = page.goto(site.url + f"/p/{hostile_id}").headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp


def test_single_choice_by_radio_button_then_the_results(votr, site, page, shots):
    poll = create(votr, "Lunch", "pizza", "soup", "salad")
    votr("vote", poll, "soup", "--voter", "bob")
    page.goto(f"{site.url}/p/{poll}")
    page.get_by_label("Your name").fill("ann")
    page.get_by_label("pizza").check()
    shots(page, "ballot-single")
    assert submit(page) == 200
    assert page.locator("#message").inner_text() == "Thank you for voting"
    assert counts(shown(votr, poll)) == {"pizza": 1, "soup": 1, "salad": 0}
    votr("vote", poll, "pizza", "--voter", "cid")
    page.goto(f"{site.url}/p/{poll}/results")
    shots(page, "results-single")
    rows = page.locator("table.counts tbody tr")
    assert [rows.nth(i).locator("td.count").inner_text() for i in range(3)] == ["2", "1", "0"]
    assert [rows.nth(i).locator("td.share").inner_text() for i in range(3)] == ["66.7%", "33.3%", "0.0%"]
    assert "w67" in rows.nth(0).locator(".bar").get_attribute("class")
    # The bar's width comes from the stylesheet: two thirds of the cell.
    bar, cell = (rows.nth(0).locator(sel).bounding_box()["width"] for sel in (".bar", "td.bar-cell"))
    assert 0.55 < bar / cell < 0.72
    assert page.locator("#winners").inner_text() == "Leading: pizza."
    votr("close", poll)
    page.reload()
    assert page.locator("#winners").inner_text() == "Winner: pizza."


def test_multiple_choice_by_check_boxes_within_the_bounds(votr, site, page, shots):
    poll = create(votr, "Toppings", "ham", "olives", "basil", "--kind", "multiple", "--min", "1", "--max", "2")
    page.goto(f"{site.url}/p/{poll}")
    assert "between 1 and 2 options" in page.locator("legend").inner_text()
    page.get_by_label("Your name").fill("ann")
    for name in ("ham", "olives", "basil"):
        page.get_by_label(name).check()
    assert submit(page) == 400
    shots(page, "multiple-too-many")
    assert page.get_by_role("alert").is_visible()
    assert shown(votr, poll)["voter_count"] == 0  # nothing recorded
    page.get_by_label("olives").check()
    page.get_by_label("basil").check()
    assert submit(page) == 200
    assert counts(shown(votr, poll)) == {"ham": 0, "olives": 1, "basil": 1}


def test_ranking_by_number_selects_in_the_order_given(votr, site, page, shots):
    poll = create(votr, "Chair", "ann", "bob", "cid", "--kind", "ranked", "--method", "schulze")
    page.goto(f"{site.url}/p/{poll}")
    page.get_by_label("Your name").fill("dee")
    page.get_by_label("cid").select_option(label="1st")
    page.get_by_label("ann").select_option(label="2nd")
    shots(page, "ballot-ranked")
    assert submit(page) == 200
    assert page.locator("#message").inner_text() == "Thank you for voting"
    recorded = shown(votr, poll)
    assert recorded["tally"]["ranking"] == [["cid"], ["ann"], ["bob"]]
    assert counts(recorded) == {"ann": 0, "bob": 0, "cid": 1}
    page.goto(f"{site.url}/p/{poll}/results")
    assert page.locator("ol.ranking li").all_inner_texts() == ["cid", "ann", "bob"]


def test_two_options_at_one_rank_are_refused_without_javascript(votr, site, new_context):
    poll = create(votr, "Chair", "ann", "bob", "cid", "--kind", "ranked")
    page = new_context(java_script_enabled=False).new_page()
    page.goto(f"{site.url}/p/{poll}")
    page.get_by_label("Your name").fill("eve")
    page.get_by_label("bob").select_option(label="1st")
    page.get_by_label("ann").select_option(label="1st")
    assert submit(page) == 400
    assert "both ranked 1st" in page.get_by_role("alert").inner_text()
    assert shown(votr, poll)["voter_count"] == 0


def test_with_javascript_a_rank_given_moves_the_option_and_the_others_make_room(votr, site, page, shots):
    poll = create(votr, "Chair", "ann", "bob", "cid", "dee", "--kind", "ranked")
    page.goto(f"{site.url}/p/{poll}")
    ranks = lambda: [page.get_by_label(name).input_value() for name in ("ann", "bob", "cid", "dee")]  # noqa: E731
    page.get_by_label("dee").select_option(label="4th")  # nothing ranked before it: no rank is skipped
    assert ranks() == ["", "", "", "1"]
    page.get_by_label("bob").select_option(label="1st")
    page.get_by_label("ann").select_option(label="1st")  # ann first: bob and dee move down
    assert ranks() == ["1", "2", "", "3"]
    page.get_by_label("cid").select_option(label="2nd")
    assert ranks() == ["1", "3", "2", "4"]
    page.get_by_label("dee").select_option(label="1st")  # a move up: the ones above make room
    assert ranks() == ["2", "4", "3", "1"]
    page.get_by_label("ann").select_option(label="not ranked")  # no gap is left
    assert ranks() == ["", "3", "2", "1"]
    expect(page.get_by_role("status")).to_have_text("Your ranking: 1st dee, 2nd cid, 3rd bob.")
    shots(page, "ranking-moved")
    page.get_by_label("Your name").fill("eve")
    assert submit(page) == 200
    assert page.locator("#message").inner_text() == "Thank you for voting"
    recorded = votr("show", poll, "--json").json()["Polls"][0]
    assert counts(recorded) == {"ann": 0, "bob": 0, "cid": 0, "dee": 1}
    assert recorded["voter_count"] == 1


def test_irv_rounds_are_a_table(votr, site, page, shots):
    poll = create(votr, "Chair", "ann", "bob", "cid", "--kind", "ranked")
    for voter, ballot in (("v1", ["ann", "bob"]), ("v2", ["bob", "ann"]), ("v3", ["cid", "bob"]),
                          ("v4", ["ann"]), ("v5", ["bob"])):
        assert votr("vote", poll, *ballot, "--voter", voter).exit_code == 0
    page.goto(f"{site.url}/p/{poll}/results")
    shots(page, "results-irv", full_page=True)
    table = page.locator("table.rounds")
    assert table.locator("thead th").all_inner_texts() == ["Option", "Round 1", "Round 2"]
    assert table.locator("tbody tr").nth(2).inner_text().split("\t") == ["cid", "1 eliminated", "–"]
    assert table.locator("tbody tr").nth(1).inner_text().split("\t") == ["bob", "2", "3"]


def test_scores_by_radio_groups_and_the_star_runoff(votr, site, page, shots):
    poll = create(votr, "Logo", "red", "blue", "green", "--kind", "score")
    page.goto(f"{site.url}/p/{poll}")
    page.get_by_label("Your name").fill("ann")
    page.get_by_role("group", name="red").get_by_label("5").check()
    page.get_by_role("group", name="green").get_by_label("2").check()
    shots(page, "ballot-score", full_page=True)
    assert submit(page) == 200
    assert page.locator("#message").inner_text() == "Thank you for voting"
    recorded = shown(votr, poll)
    assert recorded["tally"]["scores"] == {"red": 5, "blue": 0, "green": 2}
    page.goto(f"{site.url}/p/{poll}/results")
    runoff = page.locator("table.runoff tbody tr")
    assert runoff.nth(0).inner_text().split("\t") == ["red", "1"]
    assert runoff.nth(1).inner_text().split("\t") == ["green", "0"]


def test_a_second_vote_is_refused_unless_changes_are_allowed(votr, site, page, shots):
    once = create(votr, "Once", "a", "b")
    page.goto(f"{site.url}/p/{once}")
    page.get_by_label("Your name").fill("ann")
    page.get_by_label("a", exact=True).check()
    assert submit(page) == 200
    page.goto(f"{site.url}/p/{once}")
    assert page.get_by_label("Your name").input_value() == "ann"  # remembered for this poll
    page.get_by_label("b", exact=True).check()
    assert submit(page) == 409
    shots(page, "second-vote-refused")
    assert "multiple votes are not allowed" in page.get_by_role("alert").inner_text()
    assert counts(shown(votr, once)) == {"a": 1, "b": 0}
    assert page.get_by_role("button", name="Withdraw my vote").count() == 0

    change = create(votr, "Change", "a", "b", "--allow-change")
    page.goto(f"{site.url}/p/{change}")
    page.get_by_label("Your name").first.fill("ann")
    page.get_by_label("a", exact=True).check()
    assert submit(page) == 200
    page.goto(f"{site.url}/p/{change}")
    page.get_by_label("b", exact=True).check()
    assert submit(page) == 200
    assert page.locator("#message").inner_text() == "Your vote was changed"
    assert counts(shown(votr, change)) == {"a": 0, "b": 1}
    page.goto(f"{site.url}/p/{change}")
    assert submit(page, "Withdraw my vote") == 200
    assert page.locator("#message").inner_text() == "Your vote was withdrawn"
    assert shown(votr, change)["voter_count"] == 0
    # Closed: refused, nothing recorded.
    votr("close", once)
    page.goto(f"{site.url}/p/{once}")
    assert page.get_by_role("button", name="Vote", exact=True).count() == 0
    assert "This poll is closed." in page.locator("main").inner_text()


def test_a_vote_in_a_poll_closed_meanwhile_is_refused(votr, site, page):
    poll = create(votr, "Soon", "a", "b")
    page.goto(f"{site.url}/p/{poll}")
    page.get_by_label("Your name").fill("ann")
    page.get_by_label("a", exact=True).check()
    votr("close", poll)
    assert submit(page) == 409
    assert "closed" in page.get_by_role("alert").inner_text()
    assert shown(votr, poll)["voter_count"] == 0


def test_hidden_results_show_nothing_before_close_or_before_you_vote(votr, site, page, shots):
    closed = create(votr, "Board", "ann", "bob", "--results", "closed", "--quorum", "2")
    votr("vote", closed, "ann", "--voter", "x")
    page.goto(f"{site.url}/p/{closed}/results")
    shots(page, "results-hidden")
    assert page.locator("#hidden").inner_text() == "Results are hidden until the poll closes."
    assert page.locator("table.counts").count() == 0
    assert "Quorum: 2 voters, not reached (1 of 2)" in page.locator("main").inner_text()
    votr("close", closed)
    page.reload()
    assert page.locator("td.count").all_inner_texts() == ["1", "0"]
    assert "No winner: the quorum was not reached (1 of 2 voters)." in page.locator("#winners").inner_text()

    voted = create(votr, "Offsite", "lake", "hills", "--results", "voted")
    votr("vote", voted, "lake", "--voter", "x")
    page.goto(f"{site.url}/p/{voted}/results")
    assert page.locator("#hidden").inner_text() == "Results are hidden until you vote."
    page.goto(f"{site.url}/p/{voted}")
    page.get_by_label("Your name").fill("ann")
    page.get_by_label("hills").check()
    assert submit(page) == 200
    assert page.locator("td.count").all_inner_texts() == ["1", "1"]
    page.goto(f"{site.url}/p/{voted}/results")
    assert page.locator("td.count").all_inner_texts() == ["1", "1"]
    # Another visitor, who has not voted, still sees nothing.
    other = page.context.browser.new_context().new_page()
    other.goto(f"{site.url}/p/{voted}/results")
    assert other.locator("table.counts").count() == 0
    other.context.close()


def test_keyboard_only_voting_with_visible_focus(votr, site, page, shots):
    poll = create(votr, "Lunch", "pizza", "soup", "salad")
    page.goto(f"{site.url}/p/{poll}")
    focused = lambda: page.evaluate("document.activeElement.id || document.activeElement.tagName")  # noqa: E731
    for _ in range(10):
        page.keyboard.press("Tab")
        if focused() == "voter":
            break
    assert focused() == "voter"
    page.keyboard.type("ann")
    page.keyboard.press("Tab")
    assert focused() == "option-0"  # the radio group, in the page's order
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"
    page.keyboard.press("ArrowDown")  # moves to soup and selects it
    assert focused() == "option-1"
    shots(page, "keyboard-focus")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Vote"
    page.keyboard.press("Enter")
    page.wait_for_selector("#message")
    assert counts(shown(votr, poll)) == {"pizza": 0, "soup": 1, "salad": 0}


def test_every_control_has_a_label_and_every_ballot_a_legend(votr, site, page):
    for args in (["S", "a", "b"], ["M", "a", "b", "--kind", "multiple"], ["R", "a", "b", "--kind", "ranked"],
                 ["C", "a", "b", "--kind", "score", "--allow-change"]):
        page.goto(f"{site.url}/p/{create(votr, *args)}")
        unlabelled = page.evaluate("""[...document.querySelectorAll('input:not([type=hidden]), select')]
                                      .filter(e => e.labels.length === 0).map(e => e.name)""")
        assert unlabelled == []
        assert page.locator("fieldset").count() >= 1
        assert page.locator("fieldset").count() == page.locator("fieldset > legend").count()
        assert page.get_by_role("heading", level=1).count() == 1


def test_a_post_without_the_csrf_token_is_refused(votr, site, page):
    poll = create(votr, "Lunch", "pizza", "soup")
    page.goto(f"{site.url}/p/{poll}")  # the page gave the browser its CSRF cookie
    url = f"{site.url}/p/{poll}"
    for form in ({"voter": "ann", "option": "pizza"},
                 {"voter": "ann", "option": "pizza", "csrf": "0" * 64}):
        refused = page.request.post(url, form=form)
        assert refused.status == 403
        assert "form has expired or did not come from this site" in refused.text()
    # The right token from the page, but another browser's cookie: refused too.
    token = page.locator("input[name=csrf]").first.input_value()
    stranger = page.context.browser.new_context()
    assert stranger.request.post(url, form={"voter": "eve", "option": "pizza", "csrf": token}).status == 403
    stranger.close()
    withdraw = page.request.post(url + "/withdraw", form={"voter": "ann"})
    assert withdraw.status == 403
    assert shown(votr, poll)["voter_count"] == 0
    # With the page's own token, the same post is a vote.
    assert page.request.post(url, form={"voter": "ann", "option": "pizza", "csrf": token}).status == 200
    assert counts(shown(votr, poll)) == {"pizza": 1, "soup": 0}


def test_pages_need_no_admin_token_but_the_api_still_does(votr, start_server, new_context):
    site = start_server(token="s3cret")
    poll = create(votr, "Lunch", "pizza", "soup")
    page = new_context().new_page()
    page.goto(f"{site.url}/p/{poll}")
    page.get_by_label("Your name").fill("ann")
    page.get_by_label("soup").check()
    assert submit(page) == 200
    assert page.locator("#message").inner_text() == "Thank you for voting"
    api = site.patch("/api/poll/vote", auth=False, json={"poll_id": poll, "option": "pizza", "voter": "bob"})
    assert api.status_code == 401
    assert counts(shown(votr, poll)) == {"pizza": 0, "soup": 1}


def test_voting_works_without_javascript(votr, site, new_context, shots):
    poll = create(votr, "Chair", "ann", "bob", "cid", "--kind", "ranked")
    page = new_context(java_script_enabled=False).new_page()
    page.goto(f"{site.url}/p/{poll}")
    page.get_by_label("Your name").fill("dee")
    page.get_by_label("bob").select_option(label="1st")
    page.get_by_label("cid").select_option(label="2nd")
    assert submit(page) == 200
    expect(page.locator("#message")).to_have_text("Thank you for voting")
    shots(page, "no-js-done")
    assert counts(shown(votr, poll)) == {"ann": 0, "bob": 1, "cid": 0}
    page.goto(f"{site.url}/p/{poll}/results")
    assert page.locator("td.count").all_inner_texts() == ["0", "1", "0"]


def test_the_results_page_updates_live(votr, site, page, shots):
    poll = create(votr, "Lunch", "pizza", "soup")
    page.goto(f"{site.url}/p/{poll}/results")
    assert page.locator("#winners").inner_text() == "No votes yet."
    assert votr("vote", poll, "soup", "--voter", "bob").exit_code == 0
    # The page's script reads the results again without a reload.
    expect(page.locator("#winners")).to_have_text("Leading: soup.")
    shots(page, "results-live")
    assert page.locator("td.count").all_inner_texts() == ["0", "1"]
    assert page.locator("#results").get_attribute("aria-live") == "polite"


def test_an_unknown_poll_is_a_404_page(site, page):
    response = page.goto(f"{site.url}/p/nosuchpoll")
    assert response.status == 404
    assert "no poll" in page.get_by_role("alert").inner_text().lower()


def test_a_mistyped_address_is_a_page_not_raw_json(site, page):
    response = page.goto(f"{site.url}/p/")
    assert response.status == 404
    assert page.get_by_role("alert").inner_text() == "There is no page at /p/."
    page.get_by_role("link", name="All open polls").click()
    page.wait_for_url(f"{site.url}/")


def test_docs_screenshot(votr, site, page, shots):
    """The README's picture of a ballot; VOTR_UPDATE_DOCS=1 writes it to docs/ballot.png."""
    poll = create(votr, "Team lunch on Friday", "pizza", "sushi", "salad bar", "tacos", "--kind", "ranked",
                  "--closes-at", "2099-06-05T11:00:00+00:00")
    page.set_viewport_size({"width": 640, "height": 560})
    page.goto(f"{site.url}/p/{poll}")
    page.get_by_label("Your name").fill("ann")
    page.get_by_label("sushi").select_option(label="1st")
    page.get_by_label("tacos").select_option(label="2nd")
    path = shots(page, "docs-ballot")
    assert path.stat().st_size > 0
    if os.environ.get("VOTR_UPDATE_DOCS"):
        (REPO / "docs").mkdir(exist_ok=True)
        shutil.copyfile(path, REPO / "docs" / "ballot.png")


@pytest.mark.parametrize("path", ["/", "/static/votr.css", "/static/live.js"])
def test_pages_refuse_a_foreign_host(site, path):
    assert site.get(path, headers={"Host": "evil.example"}).status_code == 403
    assert site.get(path).status_code == 200
    assert re.match(r"(text/html|text/css|text/javascript)", site.get(path).headers["Content-Type"])


def test_cookies_are_secure_only_behind_a_trusted_tls_proxy(start_server):
    """Waitress believes X-Forwarded-Proto only from --trusted-proxy; then the pages'
    cookies are Secure, HttpOnly and SameSite."""
    https = {"X-Forwarded-Proto": "https"}

    def cookie(server, headers=None) -> str:
        # A new client each time, without the cookie of the last answer.
        return requests.get(server.url + "/", headers=headers, timeout=60).headers["Set-Cookie"]

    plain = start_server()
    assert "HttpOnly" in cookie(plain, https) and "SameSite=Lax" in cookie(plain, https)
    assert "Secure" not in cookie(plain, https)
    proxied = start_server("--trusted-proxy", "127.0.0.1")
    assert "Secure" not in cookie(proxied)
    assert "Secure" in cookie(proxied, https)


def test_hostile_form_input_is_a_4xx_page_never_a_500(votr, site, page):
    poll = create(votr, "Lunch", "pizza", "soup")
    ranked = create(votr, "Chair", "ann", "bob", "--kind", "ranked")
    scored = create(votr, "Logo", "red", "blue", "--kind", "score")
    page.goto(f"{site.url}/p/{poll}")
    token = page.locator("input[name=csrf]").first.input_value()
    posts = [
        (poll, {"voter": "ann", "option": "pizza\x00"}),
        (poll, {"voter": "ann\x1b[2J", "option": "pizza"}),
        (poll, {"voter": "ann", "option": "x" * 5000}),
        (poll, {"voter": "   ", "option": "pizza"}),
        (poll, {"voter": "ann"}),
        (poll, {"voter": "ann", "option": "nope"}),
        (ranked, {"voter": "ann", "rank-0": "-1"}),
        (ranked, {"voter": "ann", "rank-0": "99"}),
        (ranked, {"voter": "ann", "rank-0": "١"}),  # a digit, but not an ASCII one
        (scored, {"voter": "ann", "score-0": "6"}),
        (scored, {"voter": "ann", "score-1": "2.5"}),
        (f"{poll}/withdraw", {"voter": "ann"}),
    ]
    for path, form in posts:
        answer = page.request.post(f"{site.url}/p/{path}", form={**form, "csrf": token})
        assert 400 <= answer.status < 500, (path, form, answer.status)
        assert answer.headers["content-type"].startswith("text/html")
        assert "Traceback" not in answer.text()
    for ref in (poll, ranked, scored):
        assert shown(votr, ref)["voter_count"] == 0


def test_the_name_is_remembered_as_typed_for_the_poll(votr, site, page):
    poll = create(votr, "Lunch", "pizza", "soup", "--results", "voted")
    name = 'Zoë "Z"; path=/'
    page.goto(f"{site.url}/p/{poll}")
    page.get_by_label("Your name").fill(name)
    page.get_by_label("soup").check()
    assert submit(page) == 200
    assert page.locator("#message").inner_text() == "Thank you for voting"
    page.goto(f"{site.url}/p/{poll}")
    assert page.get_by_label("Your name").input_value() == name
    page.goto(f"{site.url}/p/{poll}/results")
    assert page.locator("td.count").all_inner_texts() == ["0", "1"]  # shown to the one who voted
