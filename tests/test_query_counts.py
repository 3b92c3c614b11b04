"""At most 8 SQL queries on every page of the journey (the benchmark prints the same figure),
the session's own statements apart: it is kept in the database, so that it survives a Redis
outage, and a page that creates one or changes its key (log-in, a mailed link
opened) pays a few statements for it."""

from contextlib import contextmanager

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import journey
from tests.factories import PASSWORD
from tests.mfa import last_code

pytestmark = pytest.mark.django_db

MAX = 8


@contextmanager
def max_queries(limit):
    """Count the statements a page sends, less the SAVEPOINT/RELEASE pairs that exist only
    because each test runs inside a transaction (in production the page's transaction is
    BEGIN/COMMIT, which Django does not send as statements)."""
    with CaptureQueriesContext(connection) as context:
        yield
    queries = [
        q["sql"]
        for q in context.captured_queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT"))
    ]
    session = [sql for sql in queries if '"django_session"' in sql]
    page = [sql for sql in queries if sql not in session]
    assert len(page) <= limit, "\n".join(queries)
    # At worst a key cycled: read the old, check the new key is free, insert it, read it,
    # delete the old, save (sessions live in the database only, so reading one is a statement).
    assert len(session) <= 6, "\n".join(session)


def test_registration_pages(client):
    """Steps 1 to 3, GET and POST, and the confirmation page."""
    with max_queries(MAX):
        client.get("/")
    with max_queries(MAX):
        journey.step1(client, "count@example.org", journey.COMPANY_SIRET)
    with max_queries(MAX):
        client.get("/register/details/")
    with max_queries(MAX):
        journey.step2(client)
    with max_queries(MAX):
        client.get("/register/areas/")
    with max_queries(MAX):
        assert journey.step3(client, ["issued-invoices", "commitments"]).status_code == 302
    with max_queries(MAX):
        client.get("/register/sent/")


def test_activation_and_login_pages(client):
    """The link, the activation page and its POST, the log-in page and its POST."""
    journey.register(client, "count@example.org")
    path = journey.activation_path("count@example.org")
    with max_queries(MAX):
        client.get(path)
    with max_queries(MAX):
        client.get("/activate/")
    data = {
        "password": PASSWORD,
        "confirmation": PASSWORD,
        "secret_question": "pet",
        "custom_question": "",
        "answer": "Médor",
    }
    with max_queries(MAX):
        assert client.post("/activate/", data).status_code == 302
    with max_queries(MAX):
        client.get("/login/")
    with max_queries(MAX):
        response = client.post(
            "/login/", {"login-email": "count@example.org", "login-password": PASSWORD}
        )
    assert response["Location"] == "/login/verify/"
    with max_queries(MAX):
        client.get("/login/verify/")  # mails the code (first log-in: no factor yet)
    code = last_code("count@example.org")
    # The POST that logs in: the person's row locked and the cap counted (so that parallel
    # guesses queue), the code (read, used up, audited), then Django's log-in (last log-in,
    # axes' reset, the audit event).
    with max_queries(MAX + 4):
        response = client.post("/login/verify/", {"code": code})
    assert response["Location"] == "/account/two-step/choose/"
    with max_queries(MAX):
        client.get("/dashboard/")
