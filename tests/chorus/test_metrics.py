"""/metrics: behind its token, and the portal's counters and gauges move with a journey."""

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests import journey
from tests.mail import deliver

pytestmark = pytest.mark.django_db

TOKEN = "scrape-token-for-tests"
ACTIVATION = {
    "password": "ÉtéFacture2026",
    "confirmation": "ÉtéFacture2026",
    "secret_question": "pet",
    "custom_question": "",
    "answer": "Médor",
}


def scrape(client) -> dict:
    """{(sample name, sorted labels): value} of one scrape."""
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def test_metrics_answer_only_with_the_token(client, settings):
    """No token configured: no page; a token configured: 401 without it or with another."""
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404
    settings.METRICS_TOKEN = TOKEN
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer nope").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200


def test_a_journey_moves_the_counters_and_the_gauges(client, settings, transactional_db):
    """Registration, its mail, activation and a wrong password each show in the next scrape
    (a mail counts as queued once its transaction committed: the journey's really commit)."""
    settings.METRICS_TOKEN = TOKEN
    before = scrape(client)
    response = journey.register(client, "metrics@example.org")
    assert response.status_code == 302, response.content.decode()[-3000:]
    waiting = scrape(client)
    assert waiting[("chorus_outbox_mails", (("status", "pending"),))] == 1
    assert waiting[("chorus_outbox_oldest_pending_age_seconds", ())] >= 0
    deliver(to="metrics@example.org")
    client.get(journey.activation_path("metrics@example.org"))
    assert client.post("/activate/", ACTIVATION).status_code == 302
    client.post("/login/", {"login-email": "metrics@example.org", "login-password": "wrong"})
    after = scrape(client)

    def moved(name, **labels):
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0) - before.get(key, 0)

    assert moved("chorus_registrations_started_total") == 1
    assert moved("chorus_audit_events_total", kind="registration") == 1
    assert moved("chorus_audit_events_total", kind="activation") == 1
    assert moved("chorus_audit_events_total", kind="login_failure") == 1
    assert moved("chorus_mails_total", event="queued") == 1
    assert moved("chorus_mails_total", event="sent") == 1
    assert moved("chorus_insee_total", event="lookups") >= 1
    assert after[("chorus_outbox_mails", (("status", "sent"),))] == 1
    assert after[("chorus_outbox_oldest_pending_age_seconds", ())] == 0
    assert ("chorus_structures_awaiting_verification", ()) in after
    assert after[("chorus_insee_quota_left", ())] >= 0
    assert (
        moved(
            "django_http_requests_total_by_view_transport_method_total",
            view="onboarding:register_start",
            transport="http",
            method="POST",
        )
        == 1
    )
