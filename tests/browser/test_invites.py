"""Invite links in a real Chromium: opened as a person opens them (a fresh browser, from
another site), the token leaves the address bar and signs its voter in through a cookie
checked on every request; a forged or revoked token, or no invite at all in an
invite-only poll, records nothing."""

from __future__ import annotations

from tests.browser.test_pages import counts, create, shown, submit


def invite(votr, site, poll: str, *voters: str) -> dict[str, str]:
    done = votr("invite", poll, *voters, "--base-url", site.url, "--json")
    assert done.exit_code == 0, done.stderr
    return {entry["voter"]: entry["url"] for entry in done.json()["invites"]}


def invited(votr, poll: str) -> dict[str, bool]:
    return {entry["voter"]: entry["voted"] for entry in votr("invites", poll, "--json").json()["invites"]}


def test_an_invite_link_signs_its_voter_in_and_leaves_the_address_bar(votr, site, new_context, shots):
    poll = create(votr, "Offsite", "lake", "hills", "--invite-only")
    link = invite(votr, site, poll, "Ann")["Ann"]
    assert link.startswith(f"{site.url}/p/{poll}?invite=")
    page = new_context().new_page()
    page.goto(link)
    page.wait_for_url(f"{site.url}/p/{poll}")
    shots(page, "signed-in")
    assert "invite=" not in page.url
    cookie, = [c for c in page.context.cookies() if c["name"] == "votr_invite"]
    assert (cookie["httpOnly"], cookie["sameSite"], cookie["path"]) == (True, "Strict", f"/p/{poll}")
    assert cookie["value"] == link.split("invite=")[1]
    assert page.locator(".who").inner_text() == "Voting as Ann."
    assert page.get_by_label("Your name").count() == 0
    page.get_by_label("hills").check()
    assert submit(page) == 200
    assert page.locator("#message").inner_text() == "Thank you for voting"
    assert counts(shown(votr, poll)) == {"lake": 0, "hills": 1}
    assert invited(votr, poll) == {"Ann": True}


def test_a_link_opened_from_another_site_still_signs_in(votr, site, new_context, shots):
    """A SameSite=Strict cookie set on a cross-site navigation is not sent on a redirect
    that follows from it; the sign-in page moves on by itself instead."""
    poll = create(votr, "Offsite", "lake", "hills", "--invite-only")
    link = invite(votr, site, poll, "bob")["bob"]
    page = new_context().new_page()
    page.set_content(f'<a id="mail" href="{link}">your invite</a>')  # a page of no site: a mail reader
    page.click("#mail")
    page.wait_for_url(f"{site.url}/p/{poll}")
    shots(page, "from-elsewhere")
    assert page.locator(".who").inner_text() == "Voting as bob."
    page.get_by_label("lake").check()
    assert submit(page) == 200
    assert page.locator("#message").inner_text() == "Thank you for voting"
    assert invited(votr, poll) == {"bob": True}


def test_forged_and_revoked_links_are_refused_alike(votr, site, new_context, shots):
    poll = create(votr, "Offsite", "lake", "hills", "--invite-only")
    other = create(votr, "Other", "a", "b")
    links = invite(votr, site, poll, "ann", "bob")
    stale = links["bob"]
    invite(votr, site, poll, "bob")  # a new invite revokes the old link
    foreign = invite(votr, site, other, "cid")["cid"].split("invite=")[1]
    texts = set()
    for link in (f"{site.url}/p/{poll}?invite=forged-token", stale, f"{site.url}/p/{poll}?invite={foreign}",
                 f"{site.url}/p/{poll}?invite="):
        page = new_context().new_page()
        response = page.goto(link)
        assert response.status == 403, link
        texts.add(page.locator("main").inner_text())
        assert [c for c in page.context.cookies() if c["name"] == "votr_invite"] == []
    shots(page, "invalid-link")
    assert len(texts) == 1  # nothing tells a revoked token from one that never existed
    assert "not valid" in texts.pop()

    # Signed in, then revoked: the next request no longer signs ann in.
    page = new_context().new_page()
    page.goto(links["ann"])
    page.wait_for_url(f"{site.url}/p/{poll}")
    token = page.locator("input[name=csrf]").first.input_value()
    assert votr("uninvite", poll, "ann").exit_code == 0
    page.get_by_label("lake").check()
    assert submit(page) == 403
    assert "invite-only" in page.get_by_role("alert").inner_text()
    url = f"{site.url}/p/{poll}"
    page.goto(url)
    assert "no longer valid" in page.get_by_role("alert").inner_text()
    assert page.get_by_role("button", name="Vote", exact=True).count() == 0
    assert page.request.post(url, form={"csrf": token, "option": "lake", "voter": "ann"}).status == 403
    assert shown(votr, poll)["voter_count"] == 0


def test_an_invite_only_poll_refuses_a_visitor_without_an_invite(votr, site, page, shots):
    poll = create(votr, "Offsite", "lake", "hills", "--invite-only")
    invite(votr, site, poll, "ann")
    page.goto(f"{site.url}/p/{poll}")
    shots(page, "invite-only")
    assert "invite-only" in page.locator("#invite-only").inner_text()
    assert page.get_by_role("button", name="Vote", exact=True).count() == 0
    # A post naming an invited voter, with a good CSRF token: still refused.
    page.goto(f"{site.url}/p/{create(votr, 'Open', 'x', 'y')}")
    token = page.locator("input[name=csrf]").first.input_value()
    refused = page.request.post(f"{site.url}/p/{poll}", form={"csrf": token, "option": "lake", "voter": "ann"})
    assert refused.status == 403
    assert "invite-only" in refused.text()
    assert shown(votr, poll)["voter_count"] == 0


def test_an_invite_to_an_ordinary_poll_signs_in_and_shows_results_to_that_voter(votr, site, new_context):
    poll = create(votr, "Lunch", "pizza", "soup", "--results", "voted")
    page = new_context().new_page()
    page.goto(invite(votr, site, poll, "dee")["dee"])
    page.wait_for_url(f"{site.url}/p/{poll}")
    page.get_by_label("soup").check()
    assert submit(page) == 200
    page.goto(f"{site.url}/p/{poll}/results")
    assert page.locator("td.count").all_inner_texts() == ["0", "1"]


def test_an_invite_link_works_without_javascript(votr, site, new_context):
    poll = create(votr, "Offsite", "lake", "hills", "--invite-only")
    page = new_context(java_script_enabled=False).new_page()
    page.goto(invite(votr, site, poll, "eve")["eve"])
    page.wait_for_url(f"{site.url}/p/{poll}")  # the meta refresh needs no script
    page.get_by_label("lake").check()
    assert submit(page) == 200
    assert page.locator("#message").inner_text() == "Thank you for voting"
    assert invited(votr, poll) == {"eve": True}
