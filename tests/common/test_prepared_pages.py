"""Prepared pages: the public pages served to visitors without a session from a kept render,
byte for byte what a full render gives, each visitor with their own tokens."""

import re

import pytest
from django.test import Client

from common import pages
from tests import challenges, journey

pytestmark = pytest.mark.django_db

PUBLIC_PAGES = ["/", "/login/", "/help/", "/password/forgot/", "/help/ask/"]
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _tokens_out(page: str) -> str:
    """The page without its per-visitor values (CSRF tokens and robot-check challenges)."""
    page = CSRF.sub('name="csrfmiddlewaretoken" value="TOKEN"', page)
    return challenges.WIDGET.sub('<div class="altcha" data-altcha="CHALLENGE"', page)


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_a_prepared_page_is_the_full_render(path, settings):
    """Served from the kept render or rendered in full, a visitor receives the same page."""
    settings.PREPARED_PAGES_SECONDS = 0
    full = Client().get(path)
    settings.PREPARED_PAGES_SECONDS = 60
    first, second = Client().get(path), Client().get(path)
    assert full.status_code == first.status_code == second.status_code == 200
    assert _tokens_out(first.content.decode()) == _tokens_out(full.content.decode())
    assert _tokens_out(second.content.decode()) == _tokens_out(full.content.decode())
    assert "chorushole" not in second.content.decode()
    assert "Cookie" in second["Vary"]


def test_the_page_is_kept_once_per_path_and_language():
    """After the first visitor, the page comes from the kept render (no second render)."""
    Client().get("/help/")
    Client().get("/help/", headers={"accept-language": "fr"})
    kept = {key[2:] for key in pages._pages}
    assert {("/help/", "en"), ("/help/", "fr")} <= kept


def test_each_visitor_gets_their_own_tokens_and_they_work(client):
    """Two visitors get different CSRF tokens and challenges; each one is accepted."""
    other = Client(enforce_csrf_checks=True)
    mine = Client(enforce_csrf_checks=True)
    theirs_page = other.get("/").content.decode()
    my_page = mine.get("/").content.decode()
    assert CSRF.search(my_page)[1] != CSRF.search(theirs_page)[1]
    assert challenges.challenges_in(my_page) != challenges.challenges_in(theirs_page)
    response = mine.post(
        "/register/",
        {
            "csrfmiddlewaretoken": CSRF.search(my_page)[1],
            "email": "claire@example.org",
            "siret": journey.COMPANY_SIRET,
            "altcha": challenges.solve(challenges.challenges_in(my_page)[0]),
        },
    )
    assert response.status_code == 302 and response["Location"] == "/register/details/"


def test_a_visitor_with_a_session_gets_a_full_render(client):
    """Someone coming back to step 1 sees what they typed: their page is never the kept one."""
    Client().get("/")  # kept for visitors without a session
    journey.step1(client, "claire@example.org", journey.COMPANY_SIRET)
    page = client.get("/").content.decode()
    assert 'value="claire@example.org"' in page


def test_a_query_string_is_rendered_in_full(client):
    """A page whose address carries parameters depends on them: it is rendered every time."""
    Client().get("/help/ask/")
    page = client.get("/help/ask/?subject=activation_email").content.decode()
    assert re.search(r'<option value="activation_email"\s+selected', page)


def test_the_language_is_the_visitors(client):
    """An English page kept first does not answer a French visitor."""
    Client().get("/login/")
    page = Client().get("/login/", headers={"accept-language": "fr"}).content.decode()
    assert 'lang="fr"' in page


def test_a_kept_page_expires(settings, monkeypatch):
    """A change in what the page shows (the catalogue on the help page) shows within the
    configured seconds."""
    from workareas.models import WorkArea

    settings.PREPARED_PAGES_SECONDS = 60
    area = WorkArea.objects.available().first()
    Client().get("/help/")
    WorkArea.objects.filter(pk=area.pk).update(name_en="Renamed area for the test")
    assert "Renamed area for the test" not in Client().get("/help/").content.decode()
    clock = pages.time.monotonic() + 61
    monkeypatch.setattr(pages.time, "monotonic", lambda: clock)
    assert "Renamed area for the test" in Client().get("/help/").content.decode()
