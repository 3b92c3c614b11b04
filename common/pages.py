"""Prepared pages: the public pages a visitor opens first, rendered once per language and
served to every anonymous visitor with their own tokens.

The home page, the log-in page, the help page… are the same HTML for every visitor who has no
session yet, except for two values made for each response: the CSRF token of each form and
the proof-of-work challenge of the robot check. Rendering those templates (a layout, forms
rendered field by field, translations) took most of these requests' time. A view decorated
with `@prepared_page` renders once with a marked hole where each of those values goes, keeps
that text for PREPARED_PAGES_SECONDS in the process's memory, and fills the holes for each
response: the visitor receives the same bytes a full render would have given them.

Only a request that cannot change the page is served this way: a GET without a query string
from a visitor without a session or pending messages (so anonymous, with no draft to prefill
and nothing to show). Every other request renders in full, as before.
"""

import json
import re
import threading
import time
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils.cache import patch_vary_headers
from django.utils.html import escape
from django.utils.translation import get_language

from common import altcha

_ATTRIBUTE = "prepared_page"
_HOLE = "chorushole{}x"
_HOLES = re.compile(r"chorushole(csrf|altcha-[a-z0-9_]+)x")
MAX_PAGES = 256


@dataclass(frozen=True)
class _Prepared:
    text: str
    content_type: str
    expires: float


_pages: dict[tuple, _Prepared] = {}
_lock = threading.Lock()


def csrf_hole() -> str:
    return _HOLE.format("csrf")


def altcha_hole(form: str) -> str:
    return _HOLE.format(f"altcha-{form}")


def preparing(request) -> bool:
    """The page being rendered will be kept: per-visitor values are written as holes."""
    return bool(getattr(request, _ATTRIBUTE, False))


def holes(request) -> dict:
    """Context processor (after Django's csrf one): the CSRF token is a hole while preparing."""
    return {"csrf_token": csrf_hole()} if preparing(request) else {}


def _fill(text: str, request) -> str:
    token = None

    def value(match: re.Match) -> str:
        nonlocal token
        name = match[1]
        if name == "csrf":
            if token is None:
                token = get_token(request)
            return token
        form = name.removeprefix("altcha-")
        return escape(json.dumps(altcha.challenge(form), separators=(",", ":")))

    return _HOLES.sub(value, text)


def _servable(request) -> bool:
    cookies = request.COOKIES
    return (
        settings.PREPARED_PAGES_SECONDS > 0
        and request.method == "GET"
        and not request.META.get("QUERY_STRING")
        and settings.SESSION_COOKIE_NAME not in cookies
        and CookieStorage.cookie_name not in cookies
    )


def forget_all() -> None:
    with _lock:
        _pages.clear()


def prepared_page(view):
    """Serves `view`'s page from the prepared text when the request cannot change it."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not _servable(request):
            return view(request, *args, **kwargs)
        key = (view.__module__, view.__qualname__, request.path, get_language())
        now = time.monotonic()
        prepared = _pages.get(key)
        if prepared is None or prepared.expires <= now:
            setattr(request, _ATTRIBUTE, True)
            try:
                response = view(request, *args, **kwargs)
            finally:
                setattr(request, _ATTRIBUTE, False)
            if response.status_code != 200 or response.streaming or response.cookies:
                # Not a plain page (a redirect, a cookie set for this visitor): never kept.
                if not response.streaming:
                    response.content = _fill(response.content.decode(), request)
                return response
            prepared = _Prepared(
                text=response.content.decode(response.charset),
                content_type=response["Content-Type"],
                expires=now + settings.PREPARED_PAGES_SECONDS,
            )
            with _lock:
                if len(_pages) >= MAX_PAGES:
                    _pages.clear()
                _pages[key] = prepared
        response = HttpResponse(_fill(prepared.text, request), content_type=prepared.content_type)
        # What was served depends on the absence of a session: caches must tell visitors apart.
        patch_vary_headers(response, ("Cookie",))
        return response

    return wrapper
