"""`votr serve` as its clients see it: a real server process, spoken to over HTTP."""

from __future__ import annotations

import json

import os
import signal
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import create_engine, text

EPL = "Which side is going to win the EPL this season"


def create(server, title=EPL, options=("Arsenal", "Spurs"), **extra):
    return server.post("/api/polls", json={"title": title, "options": list(options), **extra})


def test_the_old_tutorial_sequence(server):
    created = create(server)
    assert created.status_code == 201
    body = created.json()
    assert body["message"] == "Poll was created succesfully"
    poll = body["poll"]
    assert poll == {"id": poll["id"], "title": EPL, "status": True,
                    "options": [{"name": "Arsenal", "vote_count": 0}, {"name": "Spurs", "vote_count": 0}],
                    "close_date": None, "total_vote_count": 0, "kind": "single", "method": "plurality",
                    "min_choices": 1, "max_choices": 1, "voter_count": 0, "winners": [],
                    "allow_change": False, "results": "always", "secret": False, "quorum": None,
                    "quorum_reached": True, "results_hidden": False, "invite_only": False}
    assert created.headers["Location"] == f"/api/poll/{poll['id']}"

    empty_title = server.post("/api/polls", json={"title": "", "options": ["Arsenal", "Spurs"]})
    assert (empty_title.status_code, empty_title.json()) == (400, {"error": "value for title is empty"})
    empty_options = server.post("/api/polls", json={"title": "Whos better liverpool or city", "options": []})
    assert (empty_options.status_code, empty_options.json()) == (400, {"error": "value for options is empty"})

    listed = server.get("/api/polls")
    assert listed.status_code == 200
    assert listed.json() == {"Polls": [poll]}

    options = server.get("/api/polls/options").json()
    assert [option["name"] for option in options] == ["Arsenal", "Spurs"]
    assert all(set(option) == {"id", "name"} for option in options)

    voted = server.patch("/api/poll/vote", json={"poll_title": EPL, "option": "Arsenal", "voter": "ann"})
    assert voted.status_code == 200
    assert voted.json()["message"] == "Thank you for voting"
    assert voted.json()["poll"]["options"][0] == {"name": "Arsenal", "vote_count": 1}

    unknown = server.patch("/api/poll/vote", json={"poll_title": EPL, "option": "Chelsea", "voter": "bob"})
    assert unknown.status_code == 404
    assert "Chelsea" in unknown.json()["error"]

    shown = server.get(f"/api/poll/{poll['id']}").json()
    assert shown["Polls"][0]["total_vote_count"] == 1
    assert shown["Polls"][0]["tally"] == {"counts": {"Arsenal": 1, "Spurs": 0}}
    assert server.get("/api/poll/" + EPL.upper()).json() == shown


def test_refusals_are_409(server):
    poll_id = create(server).json()["poll"]["id"]
    ballot = {"poll_id": poll_id, "option": "spurs", "voter": "Ann"}
    assert server.patch("/api/poll/vote", json=ballot).status_code == 200
    again = server.patch("/api/poll/vote", json={**ballot, "voter": "ann"})
    assert again.status_code == 409
    assert again.json()["error"].startswith("Sorry! multiple votes are not allowed")

    assert create(server, title=EPL.lower()).status_code == 409

    closed = server.post(f"/api/poll/{poll_id}/close")
    assert (closed.status_code, closed.json()["poll"]["status"]) == (200, False)
    assert server.patch("/api/poll/vote", json={**ballot, "voter": "bob"}).status_code == 409
    assert server.get("/api/polls", params={"status": "closed"}).json()["Polls"][0]["id"] == poll_id
    assert server.get("/api/polls", params={"status": "open"}).json() == {"Polls": []}

    reopened = server.post(f"/api/poll/{poll_id}/reopen")
    assert (reopened.status_code, reopened.json()["poll"]["status"]) == (200, True)
    assert server.patch("/api/poll/vote", json={**ballot, "voter": "bob"}).status_code == 200


def test_close_date_takes_what_closes_at_takes_and_the_old_timestamps(server):
    # One server for every case: starting one per case would cost more than the cases.
    for number, close_date in enumerate(["3d", "2100-01-01T12:00:00+00:00", 4102488000, 4102488000.5]):
        created = create(server, title=f"poll {number}", close_date=close_date)
        assert created.status_code == 201, (close_date, created.text)
        if close_date == "3d":
            assert created.json()["poll"]["close_date"].endswith("Z")
        else:
            assert created.json()["poll"]["close_date"] == "2100-01-01T12:00:00Z"


def test_a_bad_close_date_is_400(server):
    for close_date in ["yesterday", 1000, "2000-01-01T00:00:00Z", True, 1e300, [1], {"at": "3d"},
                       "9" * 5000, "9" * 5000 + "d", "9" * 60 + "d", -1, -1e20, 10 ** 400, "2100-01-01" + " " * 100,
                       "\ud800", "3d\x00"]:
        refused = create(server, close_date=close_date)
        assert refused.status_code == 400, (close_date, refused.text)
        assert "close" in refused.json()["error"]
    assert server.get("/api/polls").json() == {"Polls": []}


def test_reopen_with_a_close_date(server):
    poll_id = create(server).json()["poll"]["id"]
    server.post(f"/api/poll/{poll_id}/close")
    reopened = server.post(f"/api/poll/{poll_id}/reopen", json={"close_date": "2100-01-01T00:00:00Z"})
    assert reopened.json()["poll"]["close_date"] == "2100-01-01T00:00:00Z"


ERROR_CASES = [
    ("POST", "/api/polls", b'{"title": "x",', 400, "request body is not valid JSON"),
    ("POST", "/api/polls", b"", 400, "request body must be a JSON object"),
    ("POST", "/api/polls", b'["x"]', 400, "request body must be a JSON object"),
    ("POST", "/api/polls", b"[" * 50_000, 400, "request body is not valid JSON"),
    ("POST", "/api/polls", b"\xff\xfe{", 400, "request body is not valid JSON"),
    ("POST", "/api/polls", b'{"title": "t", "options": ["a", "b"], "close_date": ' + b"9" * 5000 + b"}", 400,
     "request body is not valid JSON"),
    ("POST", "/api/polls", b'{"title": "t", "options": ["a", "b"], "close_date": 1e400}', 400, "close_date"),
    ("POST", "/api/polls", b'{"title": "t", "options": ["a", "b"], "close_date": NaN}', 400, "close_date"),
    ("POST", "/api/polls", b'{"title": "\\ud800", "options": ["a", "b"]}', 400, "title"),
    ("POST", "/api/polls", b'{"title": "t", "options": ["a", "b"], "close_date": "' + b"1" * 5000 + b'"}', 400,
     "close_date"),
    ("POST", "/api/polls", b'{"title": 7, "options": ["a", "b"]}', 400, "title must be a string"),
    ("POST", "/api/polls", b'{"title": "t", "options": "ab"}', 400, "options must be a list of strings"),
    ("POST", "/api/polls", b'{"title": "t", "options": ["a", "A "]}', 400, "listed twice"),
    ("POST", "/api/polls", b'{"title": "t\\u0007", "options": ["a", "b"]}', 400, "control character"),
    ("PATCH", "/api/poll/vote", b'{"option": "a", "voter": "v"}', 400, "value for poll_id or poll_title is empty"),
    ("PATCH", "/api/poll/vote", b'{"poll_id": "p", "option": "a"}', 400, "value for voter is empty"),
    ("PATCH", "/api/poll/vote", b'{"poll_id": "nope", "option": "a", "voter": "v"}', 404, "no poll"),
    ("PATCH", "/api/poll/vote", b'{"poll_id": "p", "voter": "v"}', 400,
     "give exactly one of option, options or scores"),
    ("PATCH", "/api/poll/vote", b'{"poll_id": "p", "option": "a", "options": ["a"], "voter": "v"}', 400,
     "not option and options"),
    ("PATCH", "/api/poll/vote", b'{"poll_id": "p", "scores": {"a": 9}, "voter": "v"}', 400, "from 0 to 5, not 9"),
    ("POST", "/api/polls", b'{"title": "t", "options": ["a", "b"], "kind": "borda"}', 400, "kind must be one of"),
    ("POST", "/api/polls", b'{"title": "t", "options": ["a", "b"], "kind": "multiple", "max_choices": true}', 400,
     "max_choices must be a whole number of at least 1, not True"),
    ("GET", "/api/poll/nope", None, 404, "no poll with id or title 'nope'"),
    ("POST", "/api/poll/nope/close", None, 404, "no poll"),
    ("GET", "/api/polls?status=maybe", None, 400, "status must be one of"),
    ("GET", "/api/no-such-thing", None, 404, "no endpoint at /api/no-such-thing"),
    ("DELETE", "/api/polls", None, 405, "not allowed"),
]


def test_every_error_is_json_with_the_fitting_status(server):
    for method, path, body, status, error in ERROR_CASES:
        response = server.request(method, path, data=body)
        case = (method, path, body[:40] if body else body)
        assert response.status_code == status, case
        assert response.headers["Content-Type"] == "application/json", case
        assert error in response.json()["error"], case
        assert "Traceback" not in response.text, case
        # One form for every answer, whoever raised it: compact, with a closing newline.
        assert response.text == json.dumps(response.json(), separators=(",", ":")) + "\n", case


def test_sixteen_concurrent_clients_lose_no_vote(start_server):
    server = start_server()
    poll_id = create(server).json()["poll"]["id"]
    clients = 16
    start_together = threading.Barrier(clients)

    def cast(number: int) -> int:
        start_together.wait()
        option = "Arsenal" if number % 2 else "Spurs"
        return server.request("PATCH", "/api/poll/vote", json={
            "poll_id": poll_id, "option": option, "voter": f"voter {number}"}).status_code

    with ThreadPoolExecutor(clients) as pool:
        statuses = list(pool.map(cast, range(clients)))
    assert statuses == [200] * clients
    poll = server.get(f"/api/poll/{poll_id}").json()["Polls"][0]
    assert poll["options"] == [{"name": "Arsenal", "vote_count": 8}, {"name": "Spurs", "vote_count": 8}]
    assert poll["total_vote_count"] == clients


def test_votes_over_http_and_through_the_cli_add_up(server, votr_proc):
    poll_id = create(server).json()["poll"]["id"]
    for voter in ("ann", "bob"):
        assert server.patch("/api/poll/vote", json={"poll_id": poll_id, "option": "Arsenal",
                                                    "voter": voter}).status_code == 200
    for voter in ("cid", "dee", "eve"):
        assert votr_proc("vote", poll_id, "spurs", "--voter", voter).exit_code == 0
    # The CLI refuses a voter who voted over HTTP: one rule, one database.
    assert votr_proc("vote", poll_id, "spurs", "--voter", "ANN").exit_code == 4

    cli_view = votr_proc("show", poll_id, "--json").json()["Polls"][0]
    http_view = server.get(f"/api/poll/{poll_id}").json()["Polls"][0]
    assert cli_view == http_view
    assert http_view["options"] == [{"name": "Arsenal", "vote_count": 2}, {"name": "Spurs", "vote_count": 3}]


def test_with_a_token_writes_need_it_and_reads_do_not(start_server):
    server = start_server(token="s3cret-token")
    assert server.post("/api/polls", json={"title": "t", "options": ["a", "b"]}).status_code == 201

    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic s3cret-token"},
                    {"Authorization": "Bearer s3cret-token-and-more"}, {"Authorization": "Bearer é"}):
        refused = server.post("/api/polls", auth=False, headers=headers,
                              json={"title": "u", "options": ["a", "b"]})
        assert refused.status_code == 401
        assert refused.headers["WWW-Authenticate"].startswith("Bearer")
        assert "token" in refused.json()["error"]
    refused_vote = server.patch("/api/poll/vote", auth=False, json={"poll_title": "t", "option": "a", "voter": "v"})
    assert refused_vote.status_code == 401

    assert server.get("/api/polls", auth=False).json()["Polls"][0]["title"] == "t"
    assert server.get("/api/polls/options", auth=False).status_code == 200


def test_the_token_can_come_from_the_environment(start_server):
    server = start_server(env={"VOTR_API_TOKEN": "from-env"})
    server.token = "from-env"
    assert create(server).status_code == 201
    assert server.post("/api/polls", auth=False, json={"title": "t", "options": ["a", "b"]}).status_code == 401


def test_an_empty_token_variable_counts_as_unset(start_server):
    server = start_server(env={"VOTR_API_TOKEN": ""})
    assert create(server).status_code == 201


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_it_stops_cleanly_on_a_signal(start_server, signum):
    server = start_server()
    assert create(server).status_code == 201
    assert server.stop(signum, timeout=30) == 0
    assert "votr serve stopped" in server.log.read_text()
    assert "Traceback" not in server.log.read_text()


def test_openapi_document_is_served_and_is_the_packaged_one(server):
    from votr_cli.frontends.http import openapi_document

    served = server.get("/api/openapi.json")
    assert served.status_code == 200
    assert served.json() == openapi_document()
    assert served.json()["openapi"].startswith("3.")


def test_a_busy_database_is_503_with_retry_after(start_server, database_url, backend):
    server = start_server(env={"VOTR_BUSY_TIMEOUT": "1"})
    poll_id = create(server).json()["poll"]["id"]
    # Another writer holds the lock the vote needs: the write lock on SQLite, the poll's
    # row on a server.
    engine = create_engine(database_url, isolation_level="AUTOCOMMIT" if backend == "sqlite" else None)
    try:
        with engine.connect() as conn:
            if backend == "sqlite":
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                conn.execute(text("SELECT id FROM topics FOR UPDATE")).all()
            busy = server.patch("/api/poll/vote", json={"poll_id": poll_id, "option": "Arsenal", "voter": "v"})
            conn.exec_driver_sql("ROLLBACK")
    finally:
        engine.dispose()
    assert busy.status_code == 503
    assert busy.headers["Retry-After"] == "1"
    assert busy.json()["error"].startswith("database is busy")
    assert server.get(f"/api/poll/{poll_id}").json()["Polls"][0]["total_vote_count"] == 0


def test_a_database_broken_under_the_server_is_a_500_without_details(server, database_url):
    create(server)
    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE topics RENAME TO topics_gone")
    engine.dispose()
    broken = server.get("/api/polls")
    assert broken.status_code == 500
    assert broken.json() == {"error": "the server cannot use its database; its log says why"}
    assert "topics" in server.log.read_text()  # the operator gets the details


# -- starting up ---------------------------------------------------------------------


def test_it_refuses_to_listen_beyond_loopback_without_a_token(votr_proc):
    for host in ("0.0.0.0", "::", ""):
        refused = votr_proc("serve", "--host", host, "--port", "0")
        assert refused.exit_code == 1
        assert "without a token" in refused.stderr
        assert "VOTR_API_TOKEN" in refused.stderr


def test_a_database_it_cannot_use_stops_it_before_it_listens(votr_proc, database_url):
    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE stranger (id INTEGER PRIMARY KEY)")
    engine.dispose()
    refused = votr_proc("serve", "--port", "0", timeout=60)
    assert refused.exit_code == 5
    assert "not a votr database" in refused.stderr
    assert "listening" not in refused.stderr


def test_serve_without_the_api_extra_says_how_to_install_it(votr_env):
    # A votr process in which Flask cannot be imported, as if the extra were not installed.
    without_flask = "import sys; sys.modules['flask'] = None; from votr_cli.frontends.cli import main; main()"

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-c", without_flask, *args], capture_output=True, text=True,
                              env={**os.environ, **votr_env}, timeout=60)

    assert run("serve", "--help").returncode == 0
    missing = run("serve", "--port", "0")
    assert missing.returncode == 1
    assert "pip install 'votr-cli[api]'" in missing.stderr
    assert "listening" not in missing.stderr


def test_the_cli_does_not_import_flask():
    probe = "import sys, votr_cli.frontends.cli; print('flask' in sys.modules or 'waitress' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def test_a_browser_at_an_unknown_address_gets_a_page_and_a_client_gets_json(server):
    for path in ("/p/", "/p/x/y", "/nothing-here"):
        page = server.get(path, headers={"Accept": BROWSER_ACCEPT})
        assert page.status_code == 404, path
        assert page.headers["Content-Type"] == "text/html; charset=utf-8", path
        assert f"There is no page at {path}." in page.text, path
        assert "default-src 'none'" in page.headers["Content-Security-Policy"], path
        for client in ({}, {"Accept": "application/json"}, {"Accept": "*/*"}):
            answer = server.get(path, headers=client)
            assert (answer.status_code, answer.json()) == (404, {
                "error": f"no endpoint at {path}; the API is described at /api/openapi.json"}), (path, client)
    # The API's addresses answer JSON to browsers too, and so does a write anywhere.
    api = server.get("/api/nothing-here", headers={"Accept": BROWSER_ACCEPT})
    assert (api.status_code, api.headers["Content-Type"]) == (404, "application/json")
    post = server.post("/nothing-here", headers={"Accept": BROWSER_ACCEPT}, data=b"{}")
    assert (post.status_code, post.headers["Content-Type"]) == (404, "application/json")
