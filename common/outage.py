"""The site's 503 page when a part it depends on is down, instead of a 500.

A database that does not answer, or a door whose throttle fails closed while Redis is down
(common.throttle), gives the 503 page "try again in a minute" with `Retry-After: 60`. The page
is rendered without touching the session, the user or the messages: they may live in the very
part that is down.
"""

import logging

from django.contrib.auth.models import AnonymousUser
from django.db import InterfaceError, OperationalError
from django.shortcuts import render

from common.cache import CacheUnavailable
from common.throttle import ThrottleUnavailable

logger = logging.getLogger(__name__)

OUTAGES = (OperationalError, InterfaceError, CacheUnavailable, ThrottleUnavailable)
RETRY_AFTER_SECONDS = 60


def is_outage(exception: BaseException | None) -> bool:
    return isinstance(exception, OUTAGES)


def unavailable(request):
    """The 503 page, safe to render with the database or Redis down."""
    response = render(
        request, "503.html", {"user": AnonymousUser(), "perms": {}, "messages": []}, status=503
    )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class OutageMiddleware:
    """Views that meet an outage answer the 503 page (chorus.views.server_error does the same
    for what the middlewares meet)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_outage(exception):
            return None
        logger.warning(
            "outage: %s answered 503 (%s: %s)", request.path, type(exception).__name__, exception
        )
        return unavailable(request)
