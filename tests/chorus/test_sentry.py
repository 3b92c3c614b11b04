"""Sentry: off without SENTRY_DSN; when on, an error's report carries nothing personal."""

import pytest
import sentry_sdk
from django.test import Client
from sentry_sdk.transport import Transport

from chorus.sentry import sentry_init
from tests import challenges, journey

pytestmark = pytest.mark.django_db


class Captured(Transport):
    """Keeps the events instead of sending them."""

    def __init__(self, options=None):
        super().__init__(options)
        self.events = []

    def capture_envelope(self, envelope):
        self.events.extend(item.payload.json for item in envelope.items if item.type == "event")


@pytest.fixture
def sentry_events():
    transport = Captured()
    sentry_init(
        dsn="https://public@sentry.example.invalid/1", environment="test", transport=transport
    )
    yield transport.events
    sentry_sdk.init(dsn=None)


def test_sentry_is_off_by_default():
    """Without SENTRY_DSN nothing is set up: no report can leave."""
    assert not sentry_sdk.get_client().is_active()


def test_an_error_report_carries_no_personal_data(sentry_events, monkeypatch):
    """A 500 on step 1 is reported with its exception, but without the address, the posted
    form, the cookies or the frames' variables."""

    def broken(**kwargs):
        raise RuntimeError(f"lookup failed for {kwargs['email']}")

    monkeypatch.setattr("onboarding.services.registration.registration_start", broken)
    client = Client(raise_request_exception=False)
    client.cookies["sessionid"] = "a-session-cookie"
    solution = challenges.solution("step1")
    response = client.post(
        "/register/",
        {
            "email": "claire.martin@example.org",
            "siret": journey.COMPANY_SIRET,
            "altcha": solution,
        },
    )
    assert response.status_code == 500
    sentry_sdk.flush()
    (event,) = sentry_events
    # Everything but the frames' source lines (this very test's code is one of them).
    text = str({key: value for key, value in event.items() if key != "exception"})
    assert event["exception"]["values"][-1]["type"] == "RuntimeError"
    assert "c***@example.org" in event["exception"]["values"][-1]["value"]
    assert "claire.martin" not in text
    assert "a-session-cookie" not in text and solution not in text
    assert "data" not in event["request"] and "cookies" not in event["request"]
    assert all(
        "vars" not in frame for frame in event["exception"]["values"][-1]["stacktrace"]["frames"]
    )
