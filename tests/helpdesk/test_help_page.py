"""The help page: its answers, its anchors, its catalogue from the database, its languages."""

import re

import pytest

from workareas.models import WorkArea

pytestmark = pytest.mark.django_db

ANCHORS = [
    "create-account",
    "siret",
    "own-siret",
    "not-diffusible",
    "work-areas",
    "activation-link",
    "password-rules",
    "join-company",
    "forgotten-password",
    "ask",
]


def _page(client, **headers):
    response = client.get("/help/", **headers)
    assert response.status_code == 200
    return response.content.decode()


def test_help_page_in_english(client):
    """The help page answers in English by default, with its table of contents."""
    page = _page(client)
    assert '<html lang="en">' in page
    assert "What is a SIRET and where do I find it?" in page
    assert "Kbis" in page
    assert 'href="#own-siret"' in page


def test_help_page_in_french_by_cookie(client):
    """With the language cookie set to French, the page renders in French."""
    client.cookies["django_language"] = "fr"
    assert '<html lang="fr">' in _page(client)


def test_help_page_in_french_by_browser(client):
    """A browser asking for French gets the page in French."""
    assert '<html lang="fr">' in _page(client, HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9")


@pytest.mark.parametrize("anchor", ANCHORS)
def test_every_anchor_is_present_and_in_the_contents(client, anchor):
    """Each answer has its id and a link in the table of contents."""
    page = _page(client)
    assert f'id="{anchor}"' in page
    assert f'href="#{anchor}"' in page


def test_each_answer_is_a_section_with_a_heading(client):
    """Each anchor is a <section> whose first heading is an h2, after the single h1."""
    page = _page(client)
    assert page.count("<h1") == 1
    for anchor in ANCHORS:
        match = re.search(rf'<section[^>]*id="{anchor}"[^>]*>\s*<h2', page)
        assert match, anchor


def test_work_areas_come_from_the_catalogue(client):
    """Renaming an area in the database changes the help page."""
    area = WorkArea.objects.available().first()
    area.name_en = "Renamed area for the help page"
    area.save()
    assert "Renamed area for the help page" in _page(client)


def test_unavailable_work_area_is_not_listed(client):
    """An area withdrawn from the catalogue is not explained any more."""
    area = WorkArea.objects.available().first()
    area.name_en = "Withdrawn area"
    area.is_available = False
    area.save()
    assert "Withdrawn area" not in _page(client)


def test_work_areas_are_localised(client):
    """In French, the areas show their French names from the catalogue."""
    area = WorkArea.objects.available().first()
    area.name_fr = "Domaine renommé"
    area.save()
    client.cookies["django_language"] = "fr"
    assert "Domaine renommé" in _page(client)


def test_password_rules_come_from_the_validators(client, settings):
    """A changed minimum length in the validators shows on the help page."""
    settings.AUTH_PASSWORD_VALIDATORS = [
        {
            "NAME": "accounts.passwords.MinimumLengthValidator",
            "OPTIONS": {"min_length": 17},
        },
    ]
    page = _page(client)
    assert "At least 17 characters." in page
    assert "Not a common password" in page


def test_activation_answer_uses_the_configured_lifetime(client, settings):
    """The activation link's lifetime is the one configured, in minutes."""
    settings.ACTIVATION_LINK_TTL = 45 * 60
    page = _page(client)
    assert "The link is valid for 45 minutes" in page
    assert 'href="/register/sent/"' in page


def test_forgotten_password_answer_links_to_the_form(client):
    """The forgotten password answer links to /password/forgot/."""
    assert 'href="/password/forgot/"' in _page(client)


def test_help_page_links_to_the_question_form(client):
    """The #ask section leads to the "Ask a question" form."""
    assert 'href="/help/ask/"' in _page(client)


@pytest.mark.parametrize("anchor", ["siret", "own-siret"])
def test_home_page_help_links_resolve(client, anchor):
    """The help links of step 1 point to ids that exist on the help page."""
    home = client.get("/").content.decode()
    assert f'href="/help/#{anchor}"' in home
    assert f'id="{anchor}"' in _page(client)


def test_header_link_reaches_the_help_page(client):
    """The header's "Need help? Ask a question" link goes to /help/."""
    home = client.get("/").content.decode()
    assert 'href="/help/">Need help? Ask a question' in home
