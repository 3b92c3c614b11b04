"""Structured logs: JSON lines, one request id from a request to the mail its task sends,
e-mail addresses and link secrets masked."""

import io
import json
import logging

import pytest

from common.logs import mask
from outbox.models import OutgoingEmail
from tests import journey
from tests.services import wait_for


@pytest.fixture
def log_lines():
    """The lines the portal's log handler writes, as they would reach the operator's log, at
    LOG_LEVEL's INFO (the suite's Celery workers, started at WARNING, lower the root's level)."""
    root = logging.getLogger()
    console = next(h for h in root.handlers if h.name == "console")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(console.formatter)
    level = root.level
    root.setLevel(logging.INFO)
    root.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)
    root.setLevel(level)


@pytest.mark.worker
def test_a_request_and_the_mail_its_task_sends_share_a_request_id(
    client, celery_worker, smtp_server, log_lines
):
    """Step 3's request id is on the line of the mail the worker sent; the address is masked."""
    journey.register(client, "claire.martin@example.org")
    row = OutgoingEmail.objects.get(to="claire.martin@example.org")
    assert wait_for(lambda: len(smtp_server.messages) == 1)

    def sent_line():
        return [line for line in log_lines() if line["event"].startswith(f"outbox: mail {row.pk} ")]

    assert wait_for(sent_line)
    lines = log_lines()  # every line parsed as JSON
    step3 = [
        line
        for line in lines
        if line["event"] == "request_finished" and line["request"] == "POST /register/areas/"
    ]
    assert len(step3) == 1 and step3[0]["code"] == 302
    (sent,) = sent_line()
    assert sent["request_id"] == step3[0]["request_id"]
    assert sent["event"] == f"outbox: mail {row.pk} (activation) sent to c***@example.org"
    assert all("claire.martin@example.org" not in json.dumps(line) for line in lines)


def test_mask_hides_addresses_and_link_secrets():
    """Addresses keep their first letter and domain; a link's secret in a path is replaced."""
    secret = "A" * 20 + "b-_" * 8
    assert mask("to jean.dupont+x@mairie.example.fr, ok") == "to j***@mairie.example.fr, ok"
    assert mask(f"GET /activate/{secret}/") == "GET /activate/[secret]/"
    assert mask("GET /register/areas/") == "GET /register/areas/"
