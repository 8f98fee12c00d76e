"""Every endpoint answers malformed input with a 4xx JSON error; the server keeps serving."""

from __future__ import annotations

import json

import pytest
import requests

from tests.conftest import site_with_counters

BODIES = [
    b"",
    b"not json",
    b"[]",
    b"null",
    b"42",
    b'"text"',
    b"{",
    b'{"service": null}',
    b'{"service": "abc"}',
    b'{"service": true}',
    b'{"service": 1.5}',
    b'{"service": -1}',
    b'{"service": 99999999999999999999}',
    b'{"service": [1]}',
    b'{"service": {"id": 1}}',
    b'{"service": 1, "lang": "<script>"}',
    b'{"service": 1, "lang": 5}',
    b'{"number": "../1"}',
    b'{"number": 7}',
    '{"service": "\u00e4\u0000\ud7ff"}'.encode(),
    b'{"username": ["a"], "password": {}}',
    b"\xff\xfe\x00garbage",
]
PUBLIC = [
    ("POST", "/api/tickets"),
    ("POST", "/api/login"),
    ("GET", "/api/tickets/unknown-token-0000000000"),
    ("POST", "/api/tickets/unknown-token-0000000000/cancel"),
    ("GET", "/api/nothing-here"),
    ("DELETE", "/api/services"),
]
STAFF = [
    "next",
    "recall",
    "no-show",
    "finish",
    "transfer",
    "pause",
    "resume",
    "start",
    "requeue",
    "call",
    "serve",
    "cases",
    "services",
    "release",
    "explode",
]


@pytest.fixture(scope="module")
def server(make_module_server):
    """One server for the module: every request here is refused, or issues a ticket."""
    return make_module_server(site=site_with_counters(2), clerks=2)


def check(response: requests.Response) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    body = response.json()
    assert isinstance(body["error"], str) and body["message"]


@pytest.mark.parametrize("method,path", PUBLIC)
def test_public_endpoints(server, method, path):
    for body in BODIES:
        r = requests.request(
            method, server.url + path, data=body, headers={"Content-Type": "application/json"}
        )
        if path == "/api/tickets" and r.status_code == 201:
            pytest.fail(f"accepted {body!r}")
        check(r)


def test_staff_endpoints_with_a_logged_in_clerk(server):
    clerk = server.login("clerk1", "secret-1")
    for action in STAFF:
        for body in BODIES:
            r = clerk.post(
                f"{server.url}/api/counters/1/{action}",
                data=body,
                headers={"Content-Type": "application/json"},
            )
            if r.status_code == 200:
                assert action in ("next", "pause", "resume", "release", "serve")
                continue
            check(r)
    for counter in ("999", "0", "-1", "abc", "1.5"):
        check(clerk.post(f"{server.url}/api/counters/{counter}/next"))
        check(clerk.get(f"{server.url}/api/counters/{counter}"))


def test_huge_body_is_refused(server):
    r = requests.post(server.url + "/api/tickets", data=b"{" + b" " * 200_000 + b"}")
    assert r.status_code == 413
    check(r)


def test_state_is_unchanged_by_rejected_requests(server):
    before = requests.get(server.url + "/api/state").json()
    for body in BODIES:
        requests.post(server.url + "/api/tickets", data=body)
    after = requests.get(server.url + "/api/state").json()
    assert after == before
    assert requests.get(server.url + "/api/health").json()["ok"] is True


def test_wrong_content_type_still_parsed_or_refused_cleanly(server):
    r = requests.post(server.url + "/api/tickets", data=json.dumps({"service": 1}))
    assert r.status_code == 201
    check(requests.post(server.url + "/api/tickets", data={"service": "1"}))
