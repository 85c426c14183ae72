"""No input gets a 500 from `votr serve`: hypothesis throws arbitrary JSON (huge and
non-finite numbers, lone surrogates, deep nesting, wrong types), arbitrary bytes, paths
and query strings at every endpoint and method of a live server. The schemathesis test
covers what the OpenAPI document describes; this one covers what it does not."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

# Tests of what votr does with its tables, not of how it creates them (tests/conftest.py).
pytestmark = pytest.mark.schema_at_head

TOKEN = "fuzz-token"
# Per path; the servers get fewer of the same (derandomized) requests: parsing them does
# not depend on the backend, and every backend still takes some of each kind.
EXAMPLES = {"sqlite": 60, "postgresql": 20, "mysql": 20}
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

# Every character, lone surrogates included (json.dumps escapes them as \udXXX).
any_text = st.text(st.characters(exclude_categories=()), max_size=80)
scalars = (st.none() | st.booleans() | st.integers(min_value=-10 ** 400, max_value=10 ** 400)
           | st.floats(allow_nan=True, allow_infinity=True) | any_text
           | st.sampled_from(["3d", "9" * 5000, "9" * 60 + "d", "-1s", "2100-01-01T00:00:00Z", "0", ""]))
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(any_text, inner, max_size=4), max_leaves=12)
words = st.text("abcxyz ", min_size=1, max_size=12)
# Values that pass a field's own check, so that the other fields' checks are reached.
PLAUSIBLE = {
    "title": words, "options": st.lists(words | st.sampled_from(["pizza", "sushi"]), min_size=1, max_size=4),
    "close_date": scalars,
    "kind": st.sampled_from(["single", "multiple", "ranked", "score"]),
    "method": st.sampled_from(["plurality", "approval", "irv", "schulze", "star", "score"]),
    "min_choices": st.integers(0, 3), "max_choices": st.integers(0, 5),
    "poll_id": st.just("nope"), "poll_title": st.just("Lunch?"), "option": st.sampled_from(["pizza", "sushi"]),
    "scores": st.dictionaries(st.sampled_from(["pizza", "sushi", "PIZZA"]), st.integers(-1, 6), max_size=3),
    "voter": words,
    "allow_change": st.booleans(), "secret": st.booleans(), "quorum": st.integers(0, 3),
    "results": st.sampled_from(["always", "voted", "closed"]),
}
bodies = st.one_of(
    st.fixed_dictionaries({}, optional={name: plausible | json_values
                                        for name, plausible in PLAUSIBLE.items()}).map(json.dumps),
    json_values.map(json.dumps),
    st.binary(max_size=200),
    st.integers(1, 3000).map(lambda depth: "[" * depth + "]" * depth),
)


@pytest.fixture
def live(start_server):
    server = start_server(token=TOKEN)
    # Changes allowed and results hidden until one has voted, so that changing and
    # withdrawing a vote, and hidden counts, are reached too.
    poll_id = server.post("/api/polls", json={"title": "Lunch?", "options": ["pizza", "sushi"],
                                              "allow_change": True, "results": "voted"}).json()["poll"]["id"]
    return server, poll_id


def check(response) -> None:
    assert response.status_code < 500, (response.status_code, response.text[:300])
    if response.request.method != "HEAD" and response.status_code >= 400:
        assert "error" in response.json()


def test_no_body_on_any_endpoint_or_method_is_a_500(live, backend):
    server, poll_id = live
    paths = ["/api/polls", "/api/poll/vote", f"/api/poll/{poll_id}/close", f"/api/poll/{poll_id}/reopen",
             f"/api/poll/{poll_id}", "/api/polls/options"]

    @given(method=st.sampled_from(METHODS), path=st.sampled_from(paths), body=bodies,
           content_type=st.sampled_from(["application/json", "application/json; charset=utf-8", "text/plain"]))
    @settings(max_examples=EXAMPLES[backend] * len(paths), deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    def run(method, path, body, content_type):
        body = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
        check(server.request(method, path, data=body, headers={"Content-Type": content_type}))

    run()
    poll = server.get(f"/api/poll/{poll_id}").json()["Polls"][0]
    assert poll["title"] == "Lunch?"


def test_no_path_or_query_is_a_500(live, backend):
    server, _ = live

    @given(method=st.sampled_from(METHODS), segment=any_text, status=any_text, voter=any_text,
           prefix=st.sampled_from(["/api/poll/", "/api/polls/", "/api/", "/"]),
           suffix=st.sampled_from(["", "/close", "/reopen", "/vote"]))
    @settings(max_examples=EXAMPLES[backend] * 4, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    def run(method, segment, status, voter, prefix, suffix):
        # Percent-encoded UTF-8, with surrogates passed through as their (invalid) bytes.
        raw = segment.encode("utf-8", "surrogatepass")
        path = prefix + quote(raw, safe="") + suffix
        check(server.request(method, path, params={"status": status.encode("utf-8", "surrogatepass"),
                                                   "voter": voter.encode("utf-8", "surrogatepass")}, json={}))

    run()
