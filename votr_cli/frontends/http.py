"""`votr serve`: the original Votr web app's REST API, on votr's service layer.

The endpoints, their paths and their JSON are the old app's, so its clients (chat bots,
dashboards, the React front end) keep working; the status codes are now the right ones.
Every rule lives in the service and core layers: this module only turns HTTP requests
into service calls (parsing `close_date` into a datetime, as the CLI parses
`--closes-at`) and votr's errors into statuses, in one table. Flask and waitress come
from the optional `api` extra and are imported by this module alone, which cli.py
imports inside `votr serve` only. The busiest request, a vote, is answered by a thin
WSGI layer in front of Flask when it needs nothing Flask adds (_FastVotes).
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import os
import re
import signal
import socket
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import urlsplit

import waitress
from flask import Flask, Response, g, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import Forbidden, HTTPException, Unauthorized, UnsupportedMediaType

from votr_cli.core.errors import (DatabaseBusy, DatabaseProblem, InvalidInput, NotFound, NotInvited, Refused,
                                  VotrError)
from votr_cli.core import text
from votr_cli.db.database import Database
from votr_cli.frontends.http_models import INVITE, NEW_POLL, REOPEN, UNVOTE, VOTE, openapi_document
from votr_cli.service import polls as service

# A poll of a thousand long options fits with room to spare; anything bigger is refused
# before it is read, rather than parsed into memory.
MAX_BODY_BYTES = 1024 * 1024
# Seconds a client should wait before trying again after a 503.
RETRY_AFTER_SECONDS = 1
WORKER_THREADS = 4
# Open connections past which waitress stops accepting until some close; idle ones are
# closed after the idle time-out, so clients that only connect cannot hold it for long.
CONNECTION_LIMIT = 500
IDLE_TIMEOUT_SECONDS = 30
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# The views that need the admin token, reads included (invites say who may vote); a server
# without one refuses them.
ADMIN_ENDPOINTS = frozenset({"create_invites", "list_invites", "uninvite"})
# The views where a bearer token other than the admin's is a voter's invite token.
INVITE_TOKEN_ENDPOINTS = frozenset({"vote", "unvote"})
# What a cross-origin page allowed by --cors-origin may send.
CORS_METHODS = "GET, POST, PATCH, DELETE, OPTIONS"
CORS_HEADERS = "Authorization, Content-Type"
CORS_EXPOSED = "Location, Retry-After, WWW-Authenticate"
CORS_MAX_AGE_SECONDS = 600
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")

# The one place votr's errors become HTTP statuses; the most specific class wins.
STATUS_BY_ERROR: dict[type[VotrError], int] = {
    InvalidInput: 400,
    NotFound: 404,
    Refused: 409,
    NotInvited: 403,  # its one message never says whether an invite token exists
    DatabaseBusy: 503,
    DatabaseProblem: 500,
    VotrError: 400,
}

log = logging.getLogger("votr.api")


def status_for(error: VotrError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    raise AssertionError(f"no status for {type(error).__name__}")


# -- who may call: Host and Origin ---------------------------------------------------


# A DNS name or IPv4 address, or (urlsplit took its brackets off) an IPv6 address.
_HOST = re.compile(r"[a-z0-9_.-]+|[0-9a-f:.]+")


def _host_and_port(value: str, default_port: int | None) -> tuple[str, int | None]:
    """`name`, `name:port`, `1.2.3.4:port` or `[::1]:port` as (lower-case host, port)."""
    try:
        parts = urlsplit(f"//{value}")
        host, port = parts.hostname, parts.port  # urlsplit checks brackets, .port the digits
    except ValueError:
        host = port = None
    if not host or "@" in value or parts.netloc != value or not _HOST.fullmatch(host):
        raise InvalidInput(f"not a host or host:port: {value!r}")
    return host.rstrip("."), default_port if port is None else port


def _origin(value: str) -> tuple[str, str, int]:
    """An Origin (`scheme://host[:port]`) as (scheme, host, port), the port made explicit."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or parts.path or parts.query or parts.fragment:
        raise InvalidInput(f"not an origin such as http://localhost:3000: {value!r}")
    host, port = _host_and_port(parts.netloc, 443 if parts.scheme == "https" else 80)
    return parts.scheme, host, port


@dataclass(frozen=True)
class Access:
    """Which Host headers and which Origins the server answers.

    A page in the user's browser must not be able to drive the API: a DNS-rebound name
    arrives with a Host that is not ours, and a cross-site request carries its Origin.
    """

    hosts: frozenset[tuple[str, int]]  # exact host and port
    any_port_hosts: frozenset[str]  # --allowed-host NAME without a port
    cors_origins: frozenset[tuple[str, str, int]]

    @classmethod
    def build(cls, listening: Iterable[tuple[str, int]], host: str, allowed_hosts: Iterable[str] = (),
              cors_origins: Iterable[str] = ()) -> Access:
        hosts: set[tuple[str, int]] = set()
        for address, port in listening:
            address, port = str(address).lower(), int(port)  # waitress may give the port as text
            hosts.update({(address, port), (host.lower().strip("[]"), port)})
            ip = ipaddress.ip_address(address.split("%")[0])
            # A wildcard address listens on loopback too.
            if ip.is_loopback or ip.is_unspecified:
                hosts.update((name, port) for name in LOOPBACK_NAMES)
        any_port = set()
        for value in allowed_hosts:
            name, port = _host_and_port(value.strip(), None)
            if port is None:
                any_port.add(name)
            else:
                hosts.add((name, port))
        return cls(frozenset(hosts), frozenset(any_port), frozenset(_origin(o.strip()) for o in cors_origins))

    def allows_host(self, host: str, port: int) -> bool:
        return host in self.any_port_hosts or (host, port) in self.hosts

    def host_header_allowed(self, value: str | None) -> bool:
        try:
            return value is not None and self.allows_host(*_host_and_port(value, 80))
        except InvalidInput:
            return False

    def origin_kind(self, value: str) -> str | None:
        """"own" for the server's own origin, "cors" for one allowed by --cors-origin,
        None for any other (a page elsewhere, or the opaque origin "null")."""
        try:
            origin = _origin(value)
        except InvalidInput:
            return None
        if origin in self.cors_origins:
            return "cors"
        return "own" if self.allows_host(origin[1], origin[2]) else None


# -- request bodies ------------------------------------------------------------------


def _json_body(*, required: bool) -> dict:
    """The request's JSON object (its Content-Type was checked before the view ran)."""
    return _parse_json_body(request.get_data(cache=False), required)  # 413 past MAX_CONTENT_LENGTH


def _parse_json_body(raw: bytes, required: bool) -> dict:
    """A request body as a JSON object. An empty body is an empty object where a body is
    optional."""
    if not raw.strip():
        if required:
            raise InvalidInput("request body must be a JSON object")
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise InvalidInput(f"request body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise InvalidInput("request body must be a JSON object")
    return body


# -- the application -----------------------------------------------------------------


def create_app(database: Database, token: str | None, access: Access) -> Flask:
    """The WSGI application. One Database (one engine and its connection pool) serves
    every worker thread; SQLAlchemy engines are safe to share between threads."""
    # The voting pages' blueprint serves templates/ and static/ (web.py).
    app = Flask("votr_cli.frontends.http", static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    # The admin token as the bytes a request's is compared with (constant time), once.
    expected_token = token.encode("utf-8") if token else None
    _guard(app, expected_token, access)
    _add_cors_headers(app, access)
    _handle_errors(app)
    _route(app, database)
    from votr_cli.frontends import web

    app.register_blueprint(web.blueprint(database))
    app.wsgi_app = _FastVotes(app.wsgi_app, database, expected_token, access)  # Flask's way to wrap its app
    return app


class _FastVotes:
    """PATCH /api/poll/vote, the request a busy poll gets most, answered below Flask.

    Flask spends more time around a request than a vote spends in its own rules (its
    contexts, routing, hooks and response objects). A vote request that passes every
    check Flask's hooks make (Host, no Origin, the token, a JSON body of a known length
    within the limit) is answered here by the same functions the Flask view calls, with
    the same status, headers and body (tests/api/test_fast_votes.py compares them). Any
    other request, a failed check included, goes to Flask untouched, which answers it
    as it answers everything else.
    """

    def __init__(self, flask_app, database: Database, expected_token: bytes | None, access: Access):
        self.flask_app = flask_app
        self.database = database
        self.expected_token = expected_token
        self.access = access

    def __call__(self, environ, start_response):
        length = self._vote_length(environ)
        if length is None:
            return self.flask_app(environ, start_response)
        try:
            caller = _check_token(self.expected_token, environ.get("HTTP_AUTHORIZATION", ""), "vote", "PATCH")
        except HTTPException:  # Flask answers it, with its headers
            return self.flask_app(environ, start_response)
        headers = None
        try:
            payload = _vote(self.database, _parse_json_body(environ["wsgi.input"].read(length), True), caller)
            status = 200
        except VotrError as error:
            payload, status, headers = _error_reply(error, "PATCH", environ["PATH_INFO"])
        except Exception as error:
            payload, status = _unexpected_reply(error, "PATCH", environ["PATH_INFO"])
        body = (_ENCODER.encode(payload) + "\n").encode()
        start_response(f"{status} {HTTPStatus(status).phrase}",
                       [("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                        *(headers or {}).items(), ("Vary", "Origin")])
        return [body]

    def _vote_length(self, environ) -> int | None:
        """The body's length if this is a vote request the fast path may answer, else None."""
        if environ["REQUEST_METHOD"] != "PATCH" or environ.get("PATH_INFO") != "/api/poll/vote":
            return None
        if "HTTP_ORIGIN" in environ or not self.access.host_header_allowed(environ.get("HTTP_HOST")):
            return None
        if environ.get("CONTENT_TYPE", "").partition(";")[0].strip().lower() != "application/json":
            return None
        length = environ.get("CONTENT_LENGTH", "")
        if not length.isdigit() or not 0 < int(length) <= MAX_BODY_BYTES:
            return None
        return int(length)


# Flask's JSON provider's output (compact, ASCII, a closing newline) with the contract's
# key order, from one encoder made once: the provider makes a new one for every answer.
_ENCODER = json.JSONEncoder(separators=(",", ":"), sort_keys=False, default=DefaultJSONProvider.default)


def as_json(payload, status: int = 200, headers: dict | None = None) -> Response:
    return Response(_ENCODER.encode(payload) + "\n", status, headers, mimetype="application/json")


def _guard(app: Flask, expected_token: bytes | None, access: Access) -> None:
    """Who may call, checked before any view runs, in this order: Host and Origin, a
    preflight's answer, the token, a JSON content type for writes. One hook rather than
    four: each request property is read once (every vote passes here)."""

    @app.before_request
    def check_request():
        headers, method = request.headers, request.method
        _refuse_other_hosts_and_origins(access, headers)
        if method == "OPTIONS" and request.routing_exception is None:
            # Preflights carry no token, so they are answered before the token is asked for.
            response = app.make_default_options_response()
            response.status_code = 204
            return response
        g.caller = ANONYMOUS
        if method == "OPTIONS" or request.blueprint == "web":
            # The voting pages' forms carry a CSRF token instead (web.py): voters have no
            # admin token, and a form cannot send JSON.
            return None
        g.caller = _check_token(expected_token, headers.get("Authorization", ""), request.endpoint, method)
        # An HTML form can only send form or text types, so a cross-site form cannot
        # write. Unknown paths and methods keep their 404 and 405.
        if method not in READ_METHODS and request.routing_exception is None and request.mimetype != "application/json":
            raise UnsupportedMediaType("a write needs the header Content-Type: application/json")
        return None


def _refuse_other_hosts_and_origins(access: Access, headers) -> None:
    # Before anything else, so a refused page learns nothing, not even a 404.
    if not access.host_header_allowed(headers.get("Host")):
        raise Forbidden("the Host header names a host this server does not serve; "
                        "start it with --allowed-host NAME to add one")
    origin = headers.get("Origin")
    if origin is not None and access.origin_kind(origin) is None:
        raise Forbidden(f"requests from the origin {origin!r} are refused; "
                        f"start the server with --cors-origin ORIGIN to allow one")


@dataclass(frozen=True)
class Caller:
    """Who sent a request, as its bearer token says: the operator (the admin token), a
    voter (an invite token, which the view checks), or nobody in particular."""

    admin: bool = False
    invite_token: str | None = None

    @property
    def proves_voter(self) -> bool:
        """The operator may vote for any voter, an invite token for its own; a client
        without a token only names one, which an invite-only poll refuses."""
        return self.admin or self.invite_token is not None


ANONYMOUS = Caller()
OPERATOR = Caller(admin=True)


def _check_token(expected_token: bytes | None, authorization: str, endpoint: str | None, method: str) -> Caller:
    """Refuse a request that lacks the token its endpoint needs; who sent it. Which token
    is which: the admin token first (constant time); on the vote endpoints any other
    bearer token is an invite token, which the view checks and which grants nothing
    else."""
    scheme, _, given = authorization.partition(" ")
    given = given.strip()
    # WSGI hands headers over as latin-1 text: encoding back gives the bytes sent.
    bearer = scheme.lower() == "bearer" and bool(given)
    is_admin = (expected_token is not None and bearer
                and hmac.compare_digest(given.encode("latin-1", errors="replace"), expected_token))
    if endpoint in ADMIN_ENDPOINTS:
        if expected_token is None:
            raise Forbidden("invites need a server started with an admin token (--token or VOTR_API_TOKEN)")
        if not is_admin:
            raise Unauthorized("missing or wrong token: send the header Authorization: Bearer TOKEN")
        return OPERATOR
    if is_admin:
        return OPERATOR
    if bearer and endpoint in INVITE_TOKEN_ENDPOINTS:
        return Caller(invite_token=given)
    if expected_token is None or method in READ_METHODS:
        return ANONYMOUS
    raise Unauthorized("missing or wrong token: send the header Authorization: Bearer TOKEN")


def _add_cors_headers(app: Flask, access: Access) -> None:
    """Tell the browser which cross-origin pages (--cors-origin) may read the answers."""

    @app.after_request
    def cors_headers(response: Response) -> Response:
        if "Vary" in response.headers:
            response.vary.add("Origin")
        else:  # the usual case, without parsing a header that is not there
            response.headers["Vary"] = "Origin"
        origin = request.headers.get("Origin")
        if origin is not None and access.origin_kind(origin) == "cors":
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Expose-Headers"] = CORS_EXPOSED
            if request.method == "OPTIONS":
                response.headers["Access-Control-Allow-Methods"] = CORS_METHODS
                response.headers["Access-Control-Allow-Headers"] = CORS_HEADERS
                response.headers["Access-Control-Max-Age"] = str(CORS_MAX_AGE_SECONDS)
        return response


def _handle_errors(app: Flask) -> None:
    """Every failure as a JSON {"error": …} body: votr's errors with the status
    STATUS_BY_ERROR gives them, HTTP's own with theirs, anything else as a bare 500."""

    @app.errorhandler(VotrError)
    def votr_error(error: VotrError):
        return as_json(*_error_reply(error, request.method, request.path))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code == 404 and _wants_a_page():
            from votr_cli.frontends import web

            return web.not_found_page()
        # Keep the headers werkzeug chose (Allow on a 405), replace its HTML page.
        response = error.get_response()
        message = error.description or error.name
        if error.code == 404:
            message = f"no endpoint at {request.path}; the API is described at /api/openapi.json"
        elif error.code == 413:
            message = f"request body is larger than {MAX_BODY_BYTES // 1024} KiB"
        response.set_data(_ENCODER.encode({"error": message}) + "\n")
        response.content_type = "application/json"
        if error.code == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="votr"'
        return response

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        return as_json(*_unexpected_reply(error, request.method, request.path))


def _wants_a_page() -> bool:
    """A browser asking for an address outside the API: it prefers HTML to JSON (a
    client that accepts anything, such as curl, gets the API's JSON)."""
    return (not request.path.startswith("/api/") and request.method in ("GET", "HEAD")
            and request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html")


def _error_reply(error: VotrError, method: str, path: str) -> tuple[dict, int, dict | None]:
    """A votr error's answer: its body, status and headers."""
    status = status_for(error)
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if status == 503 else None
    message = error.message
    if status >= 500:
        log.error("%s %s: %s", method, path, error.message)
        if status == 500:
            # The details name the database and its server: for the operator only.
            message = "the server cannot use its database; its log says why"
    return {"error": message}, status, headers


def _unexpected_reply(error: Exception, method: str, path: str) -> tuple[dict, int]:
    """The answer to a failure votr did not foresee: the operator gets the details in the
    server's log; the client never sees a traceback."""
    if os.environ.get("VOTR_DEBUG"):
        log.error("%s %s failed", method, path, exc_info=error)
    else:
        log.error("%s %s failed: %s: %s (set VOTR_DEBUG=1 to log the traceback)",
                  method, path, type(error).__name__, error)
    return {"error": "internal error"}, 500


def _viewer() -> str | None:
    """Who is looking (the `voter` query parameter), for the polls that show their results
    only to those who voted; None, who has voted nowhere, without it. The HTTP API has no
    login name to fall back on, unlike the command line."""
    return request.args.get("voter")


def _ballot_voter(database: Database, poll: str, named: str | None, caller: Caller) -> str:
    """Whose ballot: the invite token's voter when the request carried one (a body naming
    another voter is refused), else the voter the body names."""
    if caller.invite_token is None:
        if named is None:
            raise text.empty("voter")
        return named
    from votr_cli.service import invites as invite_service

    holder = invite_service.voter_for_token(database, poll, caller.invite_token)
    if named is not None and text.voter_name(named) != text.voter_name(holder):
        raise NotInvited("an invite token votes only as the voter it was given to")
    return holder


def _vote(database: Database, body: dict, caller: Caller) -> dict:
    """PATCH /api/poll/vote: a ballot from its JSON body."""
    ballot = VOTE.read(body)
    # The old app's clients name the poll by title; newer ones may use its id.
    poll = ballot["poll_id"] or ballot["poll_title"]
    # Exactly one of option, options and scores was given; whether it fits the poll's
    # kind is the service's rule, as on the command line.
    options = [ballot["option"]] if ballot["option"] is not None else ballot["options"] or []
    voter = _ballot_voter(database, poll, ballot["voter"], caller)
    return service.vote(database, poll, options, voter, scores=ballot["scores"], voter_proven=caller.proves_voter)


def _route(app: Flask, database: Database) -> None:
    """The endpoints: each turns its request into one service call."""

    @app.get("/api/openapi.json")
    def openapi():
        return as_json(openapi_document())

    @app.get("/api/polls")
    def list_polls():
        status = request.args.get("status", "all")
        return as_json({"Polls": list(service.list_polls(database, status, viewer=_viewer()))})

    @app.post("/api/polls")
    def create_poll():
        poll = NEW_POLL.read(_json_body(required=True))
        # Missing options are the service's to refuse, as for an empty `votr create`; so
        # are a method that does not fit the kind and choice bounds that do not fit it.
        result = service.create_poll(database, poll["title"], poll["options"] or [], poll["close_date"],
                                     kind=poll["kind"] or "single", method=poll["method"],
                                     min_choices=poll["min_choices"], max_choices=poll["max_choices"],
                                     allow_change=bool(poll["allow_change"]), results=poll["results"] or "always",
                                     secret=bool(poll["secret"]), quorum=poll["quorum"],
                                     invite_only=bool(poll["invite_only"]))
        return as_json(result, 201, {"Location": f"/api/poll/{result['poll']['id']}"})

    @app.get("/api/polls/options")
    def list_options():
        return as_json(service.list_options(database))

    # `path`: a title may hold a slash; the more specific rules below still win.
    @app.get("/api/poll/<path:poll>")
    def show_poll(poll: str):
        return as_json({"Polls": [service.show_poll(database, poll, viewer=_viewer())]})

    @app.patch("/api/poll/vote")
    def vote():
        # Most votes are answered by _FastVotes before Flask sees them; the same call.
        return as_json(_vote(database, _json_body(required=True), g.caller))

    @app.delete("/api/poll/vote")
    def unvote():
        ballot = UNVOTE.read(_json_body(required=True))
        poll = ballot["poll_id"] or ballot["poll_title"]
        voter = _ballot_voter(database, poll, ballot["voter"], g.caller)
        return as_json(service.unvote(database, poll, voter, voter_proven=g.caller.proves_voter))

    @app.post("/api/poll/<path:poll>/invites")
    def create_invites(poll: str):
        from votr_cli.core import invites as invite_rules
        from votr_cli.service import invites as invite_service

        wanted = INVITE.read(_json_body(required=True))
        # The server knows where it is reached: the request's own URL, unless
        # VOTR_BASE_URL or the body says otherwise.
        base = invite_rules.base_url(wanted["base_url"] or os.environ.get("VOTR_BASE_URL") or request.host_url)
        made = invite_service.invite(database, poll, wanted["voters"])
        return as_json({"invites": invite_rules.invite_links(base, made)}, 201)

    @app.get("/api/poll/<path:poll>/invites")
    def list_invites(poll: str):
        from votr_cli.service import invites as invite_service

        return as_json({"invites": invite_service.list_invites(database, poll)})

    @app.delete("/api/poll/<path:poll>/invites/<voter>")
    def uninvite(poll: str, voter: str):
        from votr_cli.service import invites as invite_service

        _json_body(required=False)
        return as_json(invite_service.uninvite(database, poll, voter))

    @app.post("/api/poll/<path:poll>/close")
    def close_poll(poll: str):
        _json_body(required=False)
        return as_json(service.close_poll(database, poll))

    @app.post("/api/poll/<path:poll>/reopen")
    def reopen_poll(poll: str):
        reopening = REOPEN.read(_json_body(required=False))
        return as_json(service.reopen_poll(database, poll, reopening["close_date"]))


# -- the server ----------------------------------------------------------------------


def is_loopback(host: str, port: int) -> bool:
    """True when every address `host` resolves to is a loopback address."""
    try:
        infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as exc:
        raise InvalidInput(f"cannot resolve host {host!r}: {exc}") from None
    addresses = {info[4][0].split("%")[0] for info in infos}
    return bool(addresses) and all(ipaddress.ip_address(address).is_loopback for address in addresses)


def check_token(token: str | None, host: str, port: int) -> None:
    if token is not None and (token != token.strip() or any(ord(c) < 0x21 or ord(c) == 0x7F for c in token)):
        raise InvalidInput("the token must not contain spaces or control characters")
    if token is None and not is_loopback(host, port):
        raise InvalidInput(
            f"refusing to listen on {host!r} without a token: anyone who can reach it could "
            f"create, close and vote. Pass --token or set VOTR_API_TOKEN, or listen on 127.0.0.1"
        )


def serve(database: Database, host: str, port: int, token: str | None, announce: Callable[[str], None], *,
          allowed_hosts: Iterable[str] = (), cors_origins: Iterable[str] = (),
          idle_timeout: int = IDLE_TIMEOUT_SECONDS, trusted_proxy: str | None = None) -> list[str]:
    """Serve until SIGINT or SIGTERM; return the URLs that were served.

    The schema is checked (and an empty database created) before the first request, in
    this one thread, so worker threads never race to do it.
    """
    check_token(token, host, port)
    Access.build((), host, allowed_hosts, cors_origins)  # a bad option stops it before it binds
    with database.reading():
        pass
    apps: list[Flask] = []

    def application(environ, start_response):
        # The app needs the ports the server bound (--port 0), so it is made just after.
        return apps[0](environ, start_response)

    try:
        server = waitress.create_server(
            application, host=host, port=port, ident="votr", clear_untrusted_proxy_headers=True,
            threads=WORKER_THREADS, connection_limit=CONNECTION_LIMIT,
            # Idle clients are closed after idle_timeout, looked for every second.
            channel_timeout=idle_timeout, cleanup_interval=1,
            # Checked against Content-Length before the body is read, and counted for a
            # chunked body; waitress refuses a body of this size or more.
            max_request_body_size=MAX_BODY_BYTES + 1,
            # Only a reverse proxy named with --trusted-proxy may say the client came over
            # HTTPS (the pages' cookies are Secure then); anyone else's X-Forwarded-* is removed.
            **({"trusted_proxy": trusted_proxy, "trusted_proxy_headers": {"x-forwarded-proto"}}
               if trusted_proxy else {}))
    except OSError as exc:
        raise InvalidInput(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    listening = getattr(server, "effective_listen", None) or [(server.effective_host, server.effective_port)]
    apps.append(create_app(database, token, Access.build(listening, host, allowed_hosts, cors_origins)))
    urls = [f"http://{f'[{h}]' if ':' in str(h) else h}:{p}" for h, p in listening]

    def stop(signum, _frame):
        # waitress's run() ends on SystemExit and lets running requests finish.
        raise SystemExit(0)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    # Errors (the app's and waitress's own warnings) go to stderr, one line each.
    logging.basicConfig(stream=sys.stderr, format="votr serve: %(levelname)s: %(name)s: %(message)s")
    try:
        for url in urls:
            announce(f"votr serve: listening on {url} (database {database.display_url}"
                     f"{', token required for writes' if token else ''}); Ctrl-C stops")
        server.run()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        server.close()
    return urls
