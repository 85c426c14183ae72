"""`votr serve`: the original Votr web app's REST API, on votr's service layer.

The endpoints, their paths and their JSON are the old app's, so its clients (chat bots,
dashboards, the React front end) keep working; the status codes are now the right ones.
Every rule lives in service.py: this module only turns HTTP into service calls and votr's
errors into statuses. Flask and waitress come from the optional `api` extra and are
imported by this module alone, which cli.py imports inside `votr serve` only.
"""

from __future__ import annotations

import datetime as dt
import hmac
import importlib.resources
import ipaddress
import json
import logging
import math
import os
import signal
import socket
import sys
from collections.abc import Callable

import waitress
from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException, Unauthorized

from votr_cli import service
from votr_cli.db import Database
from votr_cli.errors import DatabaseBusy, DatabaseProblem, InvalidInput, NotFound, Refused, VotrError

# A poll of a thousand long options fits with room to spare; anything bigger is refused
# before it is read, rather than parsed into memory.
MAX_BODY_BYTES = 1024 * 1024
# Seconds a client should wait before trying again after a 503.
RETRY_AFTER_SECONDS = 1
WORKER_THREADS = 4
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# The one place votr's errors become HTTP statuses; the most specific class wins.
STATUS_BY_ERROR: dict[type[VotrError], int] = {
    InvalidInput: 400,
    NotFound: 404,
    Refused: 409,
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


def openapi_document() -> dict:
    return json.loads(importlib.resources.files("votr_cli").joinpath("openapi.json").read_text("utf-8"))


# -- request bodies ------------------------------------------------------------------


def _json_body(*, required: bool) -> dict:
    """The request's JSON object. The Content-Type is not checked: the old app's clients
    did not all send one. An empty body is an empty object where a body is optional."""
    raw = request.get_data(cache=False)  # raises 413 past MAX_CONTENT_LENGTH
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


def _text_field(body: dict, name: str, *, required: bool = True) -> str | None:
    """A string field. Missing, null and "" all read as the old app's "value for X is empty"."""
    value = body.get(name)
    if value is None or value == "":
        if required:
            raise InvalidInput(f"value for {name} is empty")
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{name} must be a string")
    return value


def _options_field(body: dict) -> list[str]:
    value = body.get("options")
    if value is None or value == []:
        raise InvalidInput("value for options is empty")
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise InvalidInput("options must be a list of strings")
    return value


def _close_date_field(body: dict) -> str | None:
    """`close_date` as a WHEN string for the service: what `--closes-at` accepts, or, as
    the old app's clients sent it, a number of seconds since the epoch (UTC)."""
    value = body.get("close_date")
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise InvalidInput("close_date must be a date-time string, a duration such as 3d, or a UTC timestamp")
    if isinstance(value, str):
        return value
    if not math.isfinite(value):
        raise InvalidInput(f"close_date is not a valid timestamp: {value!r}")
    try:
        return dt.datetime.fromtimestamp(value, dt.timezone.utc).isoformat()
    except (OverflowError, OSError, ValueError):
        raise InvalidInput(f"close_date is out of range: {value!r}") from None


# -- the application -----------------------------------------------------------------


def create_app(database: Database, token: str | None = None) -> Flask:
    """The WSGI application. One Database (one engine and its connection pool) serves
    every worker thread; SQLAlchemy engines are safe to share between threads."""
    app = Flask("votr_cli.api")
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.json.sort_keys = False  # keep the contract's key order: id, title, status, …
    expected_token = token.encode("utf-8") if token else None

    def as_json(payload, status: int = 200, headers: dict | None = None) -> Response:
        response = app.json.response(payload)
        response.status_code = status
        response.headers.update(headers or {})
        return response

    @app.before_request
    def require_token_for_writes():
        if expected_token is None or request.method in READ_METHODS:
            return None
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        # WSGI hands headers over as latin-1 text: encoding back gives the bytes sent.
        given_bytes = given.strip().encode("latin-1", errors="replace")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given_bytes, expected_token):
            raise Unauthorized("missing or wrong token: send the header Authorization: Bearer TOKEN")
        return None

    @app.errorhandler(VotrError)
    def votr_error(error: VotrError):
        status = status_for(error)
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if status == 503 else None
        message = error.message
        if status >= 500:
            log.error("%s %s: %s", request.method, request.path, error.message)
            if status == 500:
                # The details name the database and its server: for the operator only.
                message = "the server cannot use its database; its log says why"
        return as_json({"error": message}, status, headers)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        # Keep the headers werkzeug chose (Allow on a 405), replace its HTML page.
        response = error.get_response()
        message = error.description or error.name
        if error.code == 404:
            message = f"no endpoint at {request.path}; the API is described at /api/openapi.json"
        elif error.code == 413:
            message = f"request body is larger than {MAX_BODY_BYTES // 1024} KiB"
        response.set_data(json.dumps({"error": message}))
        response.content_type = "application/json"
        if error.code == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="votr"'
        return response

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        # The operator gets the details in the server's log; the client never sees a
        # traceback.
        if os.environ.get("VOTR_DEBUG"):
            log.exception("%s %s failed", request.method, request.path)
        else:
            log.error("%s %s failed: %s: %s (set VOTR_DEBUG=1 to log the traceback)",
                      request.method, request.path, type(error).__name__, error)
        return as_json({"error": "internal error"}, 500)

    @app.get("/api/openapi.json")
    def openapi():
        return as_json(openapi_document())

    @app.get("/api/polls")
    def list_polls():
        status = request.args.get("status", "all")
        return as_json({"Polls": list(service.list_polls(database, status))})

    @app.post("/api/polls")
    def create_poll():
        body = _json_body(required=True)
        result = service.create_poll(database, _text_field(body, "title"), _options_field(body),
                                     _close_date_field(body))
        return as_json(result, 201, {"Location": f"/api/poll/{result['poll']['id']}"})

    @app.get("/api/polls/options")
    def list_options():
        return as_json(service.list_options(database))

    # `path`: a title may hold a slash; the more specific rules below still win.
    @app.get("/api/poll/<path:poll>")
    def show_poll(poll: str):
        return as_json({"Polls": [service.show_poll(database, poll)]})

    @app.patch("/api/poll/vote")
    def vote():
        body = _json_body(required=True)
        # The old app's clients name the poll by title; newer ones may use its id.
        poll = _text_field(body, "poll_id", required=False) or _text_field(body, "poll_title", required=False)
        if poll is None:
            raise InvalidInput("value for poll_id or poll_title is empty")
        option = _text_field(body, "option")
        voter = _text_field(body, "voter")
        return as_json(service.vote(database, poll, option, voter))

    @app.post("/api/poll/<path:poll>/close")
    def close_poll(poll: str):
        _json_body(required=False)
        return as_json(service.close_poll(database, poll))

    @app.post("/api/poll/<path:poll>/reopen")
    def reopen_poll(poll: str):
        body = _json_body(required=False)
        return as_json(service.reopen_poll(database, poll, _close_date_field(body)))

    return app


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


def serve(database: Database, host: str, port: int, token: str | None,
          announce: Callable[[str], None]) -> list[str]:
    """Serve until SIGINT or SIGTERM; return the URLs that were served.

    The schema is checked (and an empty database created) before the first request, in
    this one thread, so worker threads never race to do it.
    """
    check_token(token, host, port)
    with database.reading():
        pass
    app = create_app(database, token)
    try:
        server = waitress.create_server(app, host=host, port=port, threads=WORKER_THREADS,
                                        ident="votr", clear_untrusted_proxy_headers=True)
    except OSError as exc:
        raise InvalidInput(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    listening = getattr(server, "effective_listen", None) or [(server.effective_host, server.effective_port)]
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
