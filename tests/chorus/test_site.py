"""Security headers, error pages, the Mailbox page."""

import pytest
from django.core.mail import EmailMessage

pytestmark = pytest.mark.django_db


def test_security_headers(client):
    """A page carries the CSP without unsafe-inline scripts, nosniff, DENY and the referrer
    policy."""
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_cookies_are_httponly_and_samesite(client):
    """The CSRF cookie set by a form page is HttpOnly and SameSite=Lax."""
    response = client.get("/")
    cookie = response.cookies["csrftoken"]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"


def test_custom_404_in_site_layout(client):
    """An unknown address shows our page, with a way back home."""
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Page not found" in page and 'href="/"' in page and "skip-link" in page


def test_csrf_failure_page(db):
    """A form posted without its token gets the site's 403 page."""
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post("/register/", {"email": "a@b.fr"})
    assert response.status_code == 403
    assert "This form has expired" in response.content.decode()


def test_base_layout_is_accessible(client):
    """Landmarks, skip link, language switch and the help link are on every page."""
    page = client.get("/").content.decode()
    assert '<html lang="en">' in page
    assert 'class="skip-link" href="#main"' in page
    assert 'role="banner"' in page and 'role="contentinfo"' in page and '<main id="main"' in page
    assert 'value="fr" lang="fr"' in page
    assert "Need help? Ask a question" in page
    assert "<script src=" in page and "<script>" not in page


def test_french_is_served(client):
    """Choosing French switches the page language."""
    client.post("/i18n/setlang/", {"language": "fr", "next": "/"})
    page = client.get("/").content.decode()
    assert '<html lang="fr">' in page
    assert "Nouveau sur Chorus Pro ?" in page


def test_mailbox_is_404_without_debug(client):
    """The Mailbox page does not exist in production."""
    assert client.get("/mailbox/").status_code == 404


def test_mailbox_lists_mails_with_clickable_links(client, settings, tmp_path):
    """With DEBUG on, mails written by the local backend are listed, links clickable."""
    settings.DEBUG = True
    settings.EMAIL_BACKEND = "outbox.mailbox.LocalMailboxBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    EmailMessage(
        "Activate your Chorus Pro account",
        "Open http://127.0.0.1:8000/activate/abc123/ now.\n<script>alert(1)</script>",
        "no-reply@localhost",
        ["claire@example.org"],
    ).send()
    page = client.get("/mailbox/").content.decode()
    assert "Activate your Chorus Pro account" in page
    assert '<a href="http://127.0.0.1:8000/activate/abc123/">' in page
    assert "<script>alert(1)</script>" not in page


def test_favicon(client):
    """/favicon.ico leads to the icon instead of a 404."""
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith(".svg")


def test_project_files_are_never_served(client):
    """Nothing outside the static files is served from the project folder."""
    assert client.get("/chorus/settings.py").status_code == 404
    assert client.get("/media/../chorus/settings.py").status_code == 404
