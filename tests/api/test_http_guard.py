"""What keeps `votr serve` safe on a developer's laptop: a web page in the same browser
cannot drive it (Host, Origin, Content-Type), and no client can make it read a huge body
or hold it with idle connections. A real server process, spoken to over real sockets."""

from __future__ import annotations

import http.client
import json
import socket
from urllib.parse import urlsplit

import pytest

# Tests of what votr does with its tables, not of how it creates them (tests/conftest.py).
pytestmark = pytest.mark.schema_at_head

POLL = {"title": "Lunch?", "options": ["pizza", "sushi"]}
# No assertion on speed: only that the server answers before this, which is far beyond
# any time-out involved.
GENEROUS_SECONDS = 60


def address(server) -> tuple[str, int]:
    parts = urlsplit(server.url)
    return parts.hostname, parts.port


def raw_request(server, head: bytes, body: bytes = b"") -> http.client.HTTPResponse:
    """Send bytes as they are (no client library fixing the headers) and read the answer."""
    sock = socket.create_connection(address(server), timeout=GENEROUS_SECONDS)
    sock.sendall(head + body)
    response = http.client.HTTPResponse(sock)
    response.begin()
    response.body = response.read()
    sock.close()
    return response


def poll_count(server) -> int:
    return len(server.get("/api/polls").json()["Polls"])


# -- Host: no DNS rebinding --------------------------------------------------------------


def test_a_host_the_server_does_not_serve_is_refused(server):
    port = address(server)[1]
    for host in ("evil.example", f"evil.example:{port}", "127.0.0.1:1", f"localhost.evil.example:{port}",
                 f"127.0.0.1:{port}@evil.example", "", "[::1", f"10.0.0.1:{port}"):
        for method in ("GET", "POST"):
            refused = server.request(method, "/api/polls", headers={"Host": host}, json=POLL)
            assert refused.status_code == 403, (host, method)
            assert refused.headers["Content-Type"] == "application/json"
            assert "Host" in refused.json()["error"]
    assert poll_count(server) == 0


def test_the_address_served_and_its_loopback_names_are_answered(server):
    port = address(server)[1]
    for number, host in enumerate((f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}",
                                   f"LOCALHOST:{port}", f"localhost.:{port}")):
        created = server.post("/api/polls", headers={"Host": host}, json={**POLL, "title": f"poll {number}"})
        assert created.status_code == 201, host
    assert poll_count(server) == 5


def test_a_request_without_a_host_is_refused(server):
    refused = raw_request(server, b"GET /api/polls HTTP/1.0\r\n\r\n")
    assert refused.status == 403


def test_allowed_host_adds_a_name_on_any_port_or_on_one(start_server):
    server = start_server("--allowed-host", "votr.example", "--allowed-host", "Other.Example:8080")
    for host, status in (("votr.example", 200), ("votr.example:443", 200), ("other.example:8080", 200),
                         ("other.example", 403), ("other.example:8081", 403), ("evil.example", 403)):
        assert server.get("/api/polls", headers={"Host": host}).status_code == status, host


@pytest.mark.parametrize("option", [("--allowed-host", "a b"), ("--allowed-host", "host:port"),
                                    ("--allowed-host", "user@host"), ("--cors-origin", "localhost:3000"),
                                    ("--cors-origin", "*"), ("--cors-origin", "http://x.example/path"),
                                    ("--cors-origin", "ftp://x.example")])
def test_a_bad_host_or_origin_option_stops_it_before_it_listens(votr_proc, option):
    refused = votr_proc("serve", "--port", "0", *option)
    assert refused.exit_code == 1
    assert refused.stderr.startswith("Error: not a")
    assert "listening" not in refused.stderr
    assert "Traceback" not in refused.stderr


# -- Origin: no cross-site requests --------------------------------------------------


def test_another_sites_origin_is_refused_and_writes_nothing(server):
    for origin in ("http://evil.example", "null", "http://127.0.0.1:1", "https://evil.example:443", "garbage"):
        for method, path in (("POST", "/api/polls"), ("GET", "/api/polls"), ("OPTIONS", "/api/polls")):
            refused = server.request(method, path, headers={"Origin": origin}, json=POLL)
            assert refused.status_code == 403, (origin, method)
            assert "Access-Control-Allow-Origin" not in refused.headers
            assert "origin" in refused.json()["error"]
    assert poll_count(server) == 0


def test_the_servers_own_origin_is_answered_without_cors_headers(server):
    created = server.post("/api/polls", headers={"Origin": server.url}, json=POLL)
    assert created.status_code == 201
    assert "Access-Control-Allow-Origin" not in created.headers
    assert "Origin" in created.headers["Vary"]


def test_a_cors_origin_gets_cors_headers_and_a_preflight(start_server):
    page = "http://localhost:3000"
    server = start_server("--cors-origin", page, "--cors-origin", "https://dash.example", token="t0k3n")
    preflight = server.request("OPTIONS", "/api/poll/vote", auth=False, headers={
        "Origin": page, "Access-Control-Request-Method": "PATCH",
        "Access-Control-Request-Headers": "authorization, content-type"})
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == page
    assert "Origin" in preflight.headers["Vary"]
    assert {"PATCH", "DELETE"} <= set(preflight.headers["Access-Control-Allow-Methods"].split(", "))
    allowed_headers = preflight.headers["Access-Control-Allow-Headers"].lower()
    assert "authorization" in allowed_headers and "content-type" in allowed_headers

    for origin in (page, "https://dash.example"):
        created = server.post("/api/polls", headers={"Origin": origin}, json={**POLL, "title": origin})
        assert created.status_code == 201
        assert created.headers["Access-Control-Allow-Origin"] == origin
        assert "Origin" in created.headers["Vary"]
        assert "Location" in created.headers["Access-Control-Expose-Headers"]
    # An error is readable by the page too, and the token is still needed.
    unauthorised = server.post("/api/polls", auth=False, headers={"Origin": page}, json=POLL)
    assert unauthorised.status_code == 401
    assert unauthorised.headers["Access-Control-Allow-Origin"] == page
    assert server.get("/api/polls", headers={"Origin": "http://localhost:3001"}).status_code == 403


# -- Content-Type: no cross-site forms ---------------------------------------------------


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x", "application/jsonp",
                                          "text/json"])
def test_a_write_without_json_content_type_is_415_and_writes_nothing(server, content_type):
    poll_id = server.post("/api/polls", json=POLL).json()["poll"]["id"]
    headers = {"Content-Type": content_type} if content_type else {}
    writes = [("POST", "/api/polls", {**POLL, "title": "other"}),
              ("PATCH", "/api/poll/vote", {"poll_id": poll_id, "option": "pizza", "voter": "ann"}),
              ("POST", f"/api/poll/{poll_id}/close", None)]
    for method, path, body in writes:
        data = b"" if body is None else json.dumps(body).encode()
        head = f"{method} {path} HTTP/1.1\r\nHost: {urlsplit(server.url).netloc}\r\n"
        head += "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        refused = raw_request(server, f"{head}Content-Length: {len(data)}\r\nConnection: close\r\n\r\n".encode(),
                              data)
        assert refused.status == 415, (method, path)
        assert b"Content-Type: application/json" in refused.body
    polls = server.get("/api/polls").json()["Polls"]
    assert [(p["title"], p["status"], p["total_vote_count"]) for p in polls] == [("Lunch?", True, 0)]


def test_json_content_type_with_parameters_is_accepted(server):
    for number, content_type in enumerate(("application/json; charset=utf-8", "Application/JSON",
                                           "application/json;charset=UTF-8")):
        created = server.post("/api/polls", headers={"Content-Type": content_type},
                              data=f'{{"title": "poll {number}", "options": ["a", "b"]}}')
        assert created.status_code == 201, content_type
    assert server.post(f"/api/poll/{created.json()['poll']['id']}/close").status_code == 200


# -- body size ---------------------------------------------------------------------------


def test_an_oversized_body_is_refused_from_its_content_length_before_it_is_read(server):
    head = (f"POST /api/polls HTTP/1.1\r\nHost: {urlsplit(server.url).netloc}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {200 * 1024 * 1024}\r\n\r\n").encode()
    # Not one byte of the 200 MiB is sent: the answer can only come from the header.
    refused = raw_request(server, head, b"{")
    assert refused.status == 413
    assert poll_count(server) == 0


def test_an_oversized_chunked_body_is_refused(server):
    head = (f"POST /api/polls HTTP/1.1\r\nHost: {urlsplit(server.url).netloc}\r\n"
            f"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n").encode()
    chunk = b" " * (64 * 1024)
    # Just past 1 MiB and never finished: the answer must come as the limit is reached,
    # not after a body of any length has been read.
    body = b"1\r\n[\r\n" + (f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n") * 17
    assert len(body) > 1024 * 1024
    refused = raw_request(server, head, body)
    assert refused.status == 413
    assert poll_count(server) == 0


def test_a_body_of_exactly_the_limit_is_read(server):
    document = b'{"title": "big", "options": ["a", "b"]}'
    body = document + b" " * (1024 * 1024 - len(document))
    created = server.post("/api/polls", data=body)
    assert created.status_code == 201
    chunked = server.post("/api/polls", data=iter([b'{"title": "chunked", ', b'"options": ["a", "b"]}']))
    assert chunked.status_code == 201


# -- idle and slow clients ---------------------------------------------------------------


def test_idle_connections_neither_starve_it_nor_stay_open(start_server):
    server = start_server("--idle-timeout", "2")
    idle = []
    try:
        for number in range(100):
            sock = socket.create_connection(address(server), timeout=GENEROUS_SECONDS)
            if number % 2:  # half of them stop in the middle of their headers
                sock.sendall(b"GET /api/polls HTTP/1.1\r\nHost: 127.0")
            idle.append(sock)
        # Answered despite the 100 idle clients (an HTTP client time-out fails the test).
        assert server.get("/api/polls").json() == {"Polls": []}
        # Each idle socket is closed by the server: recv() sees the end of the stream.
        for sock in idle:
            assert sock.recv(65536) == b""
    finally:
        for sock in idle:
            sock.close()
