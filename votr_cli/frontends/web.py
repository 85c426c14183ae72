"""Voting pages for `votr serve`: the poll list, a ballot per poll kind and the results.

Server-rendered HTML (Jinja2 templates in templates/, CSS and one script in static/) that
works without JavaScript: every action is a form posting back. Every rule is the
service's, as for the command line and the API; this module turns form fields into
service calls and votr's errors into a page with the status that fits.

Who may do what:
- Anyone who can reach the server may read the pages, as they may read the API.
- A form post needs the CSRF token of the page it came from: an HMAC, with a secret made
  when the server starts, of a random cookie (`votr_csrf`) the browser holds. A page
  elsewhere can neither read the token nor set the cookie, so it cannot post for a
  visitor. A post without it, or with a wrong one, is 403 and records nothing. The admin
  token (`--token`) is for the API only: voters have none.
- The voter is the name typed in the form (an ordinary poll, as the API lets a client
  name the voter), or the one an invite link signed in.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable

from flask import Blueprint, Response, g, make_response, redirect, render_template, request
from werkzeug.exceptions import HTTPException

from votr_cli.core.errors import InvalidInput, NotFound, NotInvited, VotrError
from votr_cli.db.database import Database
from votr_cli.service import polls as service

CSRF_COOKIE = "votr_csrf"
CSRF_FIELD = "csrf"
NAME_COOKIE = "votr_name"
INVITE_COOKIE = "votr_invite"
# Seconds between two reads of the results by the results page's script.
LIVE_INTERVAL_SECONDS = 3
SCORES = range(6)
CONTENT_SECURITY_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                           "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
KIND_HELP = {
    "single": "Choose one option.",
    "multiple": "Choose between {min} and {max} options.",
    "ranked": "Rank {min} to {max} options: 1st is your first choice; leave the others not ranked.",
    "score": "Give each option a score from 0 (worst) to 5 (best).",
}


def _with_security_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    # "no-referrer" would make Chromium send `Origin: null` with the forms, which the
    # Host and Origin guard refuses; "same-origin" still keeps addresses (an invite
    # token) from other sites.
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def not_found_page() -> Response:
    """The page a browser gets at an address that is neither a page nor the API's (a
    mistyped or cut link): the API's JSON 404 would show it raw JSON."""
    html = render_template("message.html", heading="Page not found",
                           message=f"There is no page at {request.path}.")
    return _with_security_headers(make_response(html, 404))


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _status_for(error: VotrError) -> int:
    """The API's status for the error; an invite link or an invite-only poll that
    refuses the visitor is 403."""
    from votr_cli.frontends.http import status_for

    if isinstance(error, NotInvited):
        return 403
    return status_for(error)


class PageRefused(Exception):
    """A request the page refuses before the service sees it (no CSRF token)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def blueprint(database: Database, secret: bytes | None = None) -> Blueprint:
    """The pages as a blueprint; `secret` keys the CSRF tokens (a new one each start)."""
    secret = secret or secrets.token_bytes(32)
    pages = Blueprint("web", __name__, template_folder="templates", static_folder="static",
                      static_url_path="/static")

    @pages.record_once
    def tidy_templates(state) -> None:
        state.app.jinja_env.trim_blocks = True
        state.app.jinja_env.lstrip_blocks = True

    # -- cookies and tokens ------------------------------------------------------------

    def csrf_for(cookie: str) -> str:
        return hmac.new(secret, b"csrf:" + cookie.encode("utf-8", "replace"), hashlib.sha256).hexdigest()

    def check_csrf() -> None:
        cookie = request.cookies.get(CSRF_COOKIE)
        given = request.form.get(CSRF_FIELD, "")
        if not cookie or not hmac.compare_digest(given.encode("utf-8", "replace"), csrf_for(cookie).encode()):
            raise PageRefused(403, "This form has expired or did not come from this site. "
                                   "Reload the page and submit it again.")

    def secure() -> bool:
        return request.is_secure

    def render(template: str, status: int = 200, **context) -> Response:
        cookie = request.cookies.get(CSRF_COOKIE)
        new_cookie = None
        if not cookie:
            cookie = new_cookie = secrets.token_urlsafe(24)
        html = render_template(template, csrf=csrf_for(cookie), ordinal=ordinal, scores=SCORES,
                               kind_help=KIND_HELP, live_interval=LIVE_INTERVAL_SECONDS, **context)
        response = make_response(html, status)
        if new_cookie:
            # Lax: a page opened from a link elsewhere keeps the cookie its other tabs use.
            response.set_cookie(CSRF_COOKIE, new_cookie, httponly=True, samesite="Lax", secure=secure(), path="/")
        return response

    def signed_in(poll_ref: str) -> str | None:
        """The voter the invite cookie signs in on this poll, or None. The cookie holds
        the invite's token itself, checked on every request, so a revoked invite (or a
        new one, which revokes the old) signs nobody in from the next request on."""
        token = request.cookies.get(INVITE_COOKIE)
        if not token:
            return None
        known = g.setdefault("votr_signed_in", {})
        if poll_ref not in known:
            from votr_cli.service import invites

            try:
                known[poll_ref] = invites.voter_for_token(database, poll_ref, token)
            except NotInvited:
                known[poll_ref] = None
        return known[poll_ref]

    def viewer(poll_ref: str) -> str | None:
        """Who is looking, for polls that show results to those who voted: the invited
        voter, else the name this browser last voted under in this poll."""
        return signed_in(poll_ref) or request.cookies.get(NAME_COOKIE)

    # -- the pages ---------------------------------------------------------------------

    pages.after_request(_with_security_headers)

    @pages.errorhandler(PageRefused)
    def refused(error: PageRefused):
        return render("message.html", error.status, heading="Not accepted", message=error.message)

    @pages.errorhandler(VotrError)
    def votr_error(error: VotrError):
        status = _status_for(error)
        if status >= 500:
            message = "The server cannot use its database; its log says why. Try again later."
        else:
            message = error.message
        return render("message.html", status, heading="Error", message=message)

    @pages.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        return render("message.html", error.code or 400, heading=error.name,
                      message=error.description or error.name)

    @pages.get("/")
    def index():
        polls = list(service.list_polls(database, "open"))
        return render("index.html", polls=polls)

    def ballot_page(poll_ref: str, status: int = 200, error: str | None = None, name: str | None = None):
        poll = service.show_poll(database, poll_ref, viewer=viewer(poll_ref))
        voter = signed_in(poll_ref)
        lapsed = voter is None and bool(request.cookies.get(INVITE_COOKIE))
        response = render("ballot.html", status, poll=poll, error=error, voter=voter, lapsed=lapsed,
                          name=name if name is not None else request.cookies.get(NAME_COOKIE, ""))
        if lapsed:
            response.delete_cookie(INVITE_COOKIE, path=f"/p/{poll['id']}", secure=secure(), httponly=True,
                                   samesite="Strict")
        return response

    @pages.get("/p/<poll>")
    def ballot(poll: str):
        if "invite" in request.args:
            return sign_in(poll, request.args["invite"])
        return ballot_page(poll)

    def sign_in(poll_ref: str, token: str) -> Response:
        """An invite link: check its token, keep it in a cookie for this poll's pages, and
        send the browser on to the ballot, so the token leaves the address bar.

        The cookie is SameSite=Strict. Chromium does not send a Strict cookie set during
        a navigation from another site (a link in a web mail or chat) on a redirect that
        follows from it. A browser says where a navigation comes from (Sec-Fetch-Site),
        so one coming from another site gets a small page that moves on by itself (a
        meta refresh, a navigation from this site; a link for browsers that do not
        follow it). Every other client gets a 303 redirect."""
        from votr_cli.service import invites

        voter = invites.voter_for_token(database, poll_ref, token)  # NotInvited: the 403 page
        poll = service.show_poll(database, poll_ref)
        target = f"/p/{poll['id']}"
        if request.headers.get("Sec-Fetch-Site") == "cross-site":
            response = render("signin.html", poll=poll, voter=voter, target=target)
        else:
            response = redirect(target, 303)
        response.set_cookie(INVITE_COOKIE, token, httponly=True, samesite="Strict", secure=secure(), path=target)
        # The token is in this address: no Referer leaves with it, even to this site.
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    def voter_from_form(poll: dict) -> str:
        voter = signed_in(poll["id"])
        if voter is not None:
            return voter
        if poll.get("invite_only"):
            raise PageRefused(403, "This poll is invite-only: open the invite link you were sent to vote.")
        name = request.form.get("voter", "").strip()
        if not name:
            raise InvalidInput("type your name in the field 'Your name'")
        return name

    def acted(poll_ref: str, action: Callable[[dict, str], dict]) -> Response:
        check_csrf()
        poll = service.show_poll(database, poll_ref)
        name = request.form.get("voter", "")
        try:
            voter = voter_from_form(poll)
            answer = action(poll, voter)
        except VotrError as error:
            status = _status_for(error)
            if status >= 500:
                raise
            return ballot_page(poll_ref, status, error=error.message, name=name)
        response = render("done.html", poll=answer["poll"], message=answer["message"])
        if signed_in(poll["id"]) is None:
            response.set_cookie(NAME_COOKIE, voter, httponly=True, samesite="Strict", secure=secure(),
                                path=f"/p/{poll['id']}")
        return response

    @pages.post("/p/<poll>")
    def vote(poll: str):
        return acted(poll, lambda found, voter: _cast(database, found, voter, request.form))

    @pages.post("/p/<poll>/withdraw")
    def withdraw(poll: str):
        return acted(poll, lambda found, voter: service.unvote(database, found["id"], voter))

    @pages.get("/p/<poll>/results")
    def results(poll: str):
        found = service.show_poll(database, poll, viewer=viewer(poll))
        return render("results.html", poll=found)

    @pages.get("/p/<poll>/results/live")
    def live_results(poll: str):
        found = service.show_poll(database, poll, viewer=viewer(poll))
        return render("results_body.html", poll=found)

    return pages


def _cast(database: Database, poll: dict, voter: str, form) -> dict:
    """The form's ballot for the poll's kind, cast through the service."""
    names = [option["name"] for option in poll["options"]]
    kind = poll["kind"]
    if kind == "single":
        choice = form.get("option")
        if not choice:
            raise InvalidInput("choose an option")
        return service.vote(database, poll["id"], [choice], voter)
    if kind == "multiple":
        return service.vote(database, poll["id"], form.getlist("options"), voter)
    if kind == "ranked":
        ranked: dict[int, str] = {}
        for index, name in enumerate(names):
            value = form.get(f"rank-{index}", "")
            if not value:
                continue
            if value not in {str(rank) for rank in range(1, len(names) + 1)}:  # ASCII digits only
                raise InvalidInput(f"not a rank: {value!r}")
            if int(value) in ranked:
                raise InvalidInput(f"{ranked[int(value)]!r} and {name!r} are both ranked {ordinal(int(value))}; "
                                   f"give each option its own rank")
            ranked[int(value)] = name
        return service.vote(database, poll["id"], [ranked[rank] for rank in sorted(ranked)], voter)
    if kind == "score":
        scores: dict[str, int] = {}
        for index, name in enumerate(names):
            value = form.get(f"score-{index}", "0")
            if value not in {str(s) for s in SCORES}:
                raise InvalidInput(f"a score is a whole number from 0 to 5, not {value!r}")
            scores[name] = int(value)
        return service.vote(database, poll["id"], [], voter, scores=scores)
    raise NotFound(f"this page cannot show a ballot for a poll of kind {kind!r}")

