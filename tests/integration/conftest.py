"""Fixtures shared by the integration tests."""

from __future__ import annotations

import pytest

from tests.conftest import site_with_counters


@pytest.fixture
def admin_server(make_server):
    """A server with two counters, a clerk (clerk1) and an admin (boss)."""
    server = make_server(site=site_with_counters(2), clerks=1)
    server.add_users([("boss", "secret-boss", "admin")])
    return server


@pytest.fixture
def boss(admin_server):
    """The admin's logged-in session (CSRF header set)."""
    return admin_server.login("boss", "secret-boss")
