"""Opening a mailed link: the one way for activation, password reset and contact e-mail."""

from django.shortcuts import redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.services.links import MAX_SECRET_LENGTH, SESSION_KEYS


def link_opener(purpose: str, redirect_to: str):
    """The view behind `<path>/<secret>/`. It changes nothing: it gives the browser a new
    session key, moves the secret from the address bar (and so from history and Referer
    headers) into the session, then redirects to the page that uses it."""

    @never_cache
    @require_GET
    def open_link(request, token):
        request.session.cycle_key()
        request.session[SESSION_KEYS[purpose]] = token[:MAX_SECRET_LENGTH]
        return redirect(redirect_to)

    return open_link


def link_secret(request, purpose: str) -> str | None:
    """The secret of the last link of `purpose` opened in this browser."""
    return request.session.get(SESSION_KEYS[purpose])


def link_forget(request, purpose: str) -> None:
    request.session.pop(SESSION_KEYS[purpose], None)
