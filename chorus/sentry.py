"""Error reports to Sentry, on only when SENTRY_DSN is set, with personal data scrubbed.

Nothing personal leaves: no cookies, no form data, no headers but the harmless ones, no IP,
the user as an id only, and every text (messages, exception values, breadcrumbs, log lines)
masked like the logs (common.logs.mask: addresses and link secrets).
"""

import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.integrations.redis import RedisIntegration

from common.logs import mask

KEPT_HEADERS = {"Accept-Language", "Content-Type", "Host", "User-Agent", "Referer"}


def _mask_all(value):
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {key: _mask_all(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_mask_all(item) for item in value]
    return value


def scrub(event: dict, _hint=None) -> dict:
    """before_send / before_send_transaction: keep what helps to fix a bug, nothing personal."""
    request = event.get("request")
    if request:
        for key in ("cookies", "data", "env", "query_string"):
            request.pop(key, None)
        request["headers"] = {
            name: value
            for name, value in (request.get("headers") or {}).items()
            if name in KEPT_HEADERS
        }
    user = event.get("user")
    if user:
        event["user"] = {"id": user["id"]} if "id" in user else {}
    # Local variables of the frames may hold passwords or addresses: they are not sent at all.
    for exception in (event.get("exception") or {}).get("values", []):
        for frame in (exception.get("stacktrace") or {}).get("frames", []):
            frame.pop("vars", None)
    return _mask_all(event)


def scrub_breadcrumb(crumb: dict, _hint=None) -> dict | None:
    if crumb.get("category") == "redis":
        return None  # cache keys carry session keys
    return _mask_all(crumb)


def sentry_init(*, dsn: str, environment: str, transport=None) -> None:
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        disabled_integrations=[RedisIntegration()],
        include_local_variables=False,
        max_request_body_size="never",
        before_send=scrub,
        before_send_transaction=scrub,
        before_breadcrumb=scrub_breadcrumb,
        traces_sample_rate=0.0,
        transport=transport,
    )
