"""The "Ask a question" form: validation, throttling, the stored question and the mail."""

import pytest
from django.test import Client

from helpdesk.models import Question
from outbox.models import OutgoingEmail
from tests import challenges

pytestmark = pytest.mark.django_db

VALID_SIRET = "73282932000074"


def _data(**overrides):
    data = {
        "name": "Claire Martin",
        "email": "claire@example.org",
        "siret": "",
        "subject": "activation_email",
        "message": "The activation e-mail never arrived in my inbox.",
    }
    data.update(overrides)
    return data


def _ask(client, *, solved=True, **overrides):
    """Send the form as a browser does: with the proof-of-work check solved (JavaScript), or
    without it (`solved=False`)."""
    data = _data(**overrides)
    if solved:
        data["altcha"] = challenges.solution("help_question")
    return client.post("/help/ask/", data)


def test_form_page_renders(client):
    """The form page shows every field with its label."""
    page = client.get("/help/ask/").content.decode()
    for field in ("name", "email", "siret", "subject", "message"):
        assert f'<label for="id_{field}">' in page


def test_subject_can_be_preselected(client):
    """?subject=password preselects that subject; an unknown value is ignored."""
    page = client.get("/help/ask/?subject=password").content.decode()
    assert '<option value="password" selected>' in page
    assert client.get("/help/ask/?subject=nonsense").status_code == 200


def test_valid_question_is_stored(client, django_capture_on_commit_callbacks):
    """A valid question is stored as new, with its language, and redirects to the confirmation."""
    with django_capture_on_commit_callbacks():
        response = _ask(client, siret="732 829 320 00074")
    assert response.status_code == 302
    assert response["Location"] == "/help/sent/"
    question = Question.objects.get()
    assert question.name == "Claire Martin"
    assert question.email == "claire@example.org"
    assert question.siret == VALID_SIRET
    assert question.subject == Question.Subject.ACTIVATION_EMAIL
    assert question.status == Question.Status.NEW
    assert question.language == "en"
    assert question.replied_at is None


def test_confirmation_page_names_the_address(client):
    """After sending, the confirmation names the address and links back home."""
    response = _ask(client)
    page = client.get(response["Location"]).content.decode()
    assert "claire@example.org" in page
    assert 'href="/"' in page


def test_confirmation_page_without_question_redirects(client):
    """The confirmation page, reached directly, sends back to the help page."""
    response = client.get("/help/sent/")
    assert response.status_code == 302
    assert response["Location"] == "/help/"


def test_acknowledgement_mail_is_queued(client, django_capture_on_commit_callbacks):
    """The person gets an acknowledgement row, queued for sending after commit."""
    with django_capture_on_commit_callbacks() as callbacks:
        _ask(client)
    mail = OutgoingEmail.objects.get()
    assert mail.kind == "help_ack"
    assert mail.to == "claire@example.org"
    assert mail.language == "en"
    assert mail.subject == "We have received your question"
    assert "The activation e-mail" in mail.body_text
    assert len(callbacks) == 1


def test_acknowledgement_does_not_repeat_the_message(client):
    """The acknowledgement carries no text typed by the sender (the form is no spam relay)."""
    _ask(client, name="Visit spam.example", message="Buy cheap things at spam.example now")
    mail = OutgoingEmail.objects.get(kind="help_ack")
    assert "spam.example" not in mail.body_text
    assert "spam.example" not in mail.body_html


def test_question_in_french_is_acknowledged_in_french(client):
    """A question sent from the French page is stored and acknowledged in French."""
    client.cookies["django_language"] = "fr"
    _ask(client)
    assert Question.objects.get().language == "fr"
    assert OutgoingEmail.objects.get(kind="help_ack").language == "fr"


def test_missing_fields_are_reported_next_to_them(client):
    """An empty form names each required field's error next to it, nothing stored."""
    response = client.post("/help/ask/", {})
    page = response.content.decode()
    assert response.status_code == 200
    for field in ("name", "email", "subject", "message"):
        assert f'id="id_{field}-error"' in page
    assert 'id="id_siret-error"' not in page
    assert 'id="error-summary"' in page
    assert "Enter your name." in page
    assert "Write your question." in page
    assert not Question.objects.exists()
    assert not OutgoingEmail.objects.exists()


def test_bad_email_is_refused_and_input_kept(client):
    """An address without a domain is refused; what was typed stays in the form."""
    page = _ask(client, email="claire@").content.decode()
    assert 'id="id_email-error"' in page
    assert "Enter an e-mail address in the form name@example.fr." in page
    assert 'value="Claire Martin"' in page
    assert "The activation e-mail never arrived in my inbox." in page
    assert not Question.objects.exists()


def test_bad_siret_is_refused(client):
    """A SIRET with a wrong checksum is refused with the SIRET rules' message."""
    page = _ask(client, siret="73282932000075").content.decode()
    assert 'id="id_siret-error"' in page
    assert "This SIRET is not valid" in page
    assert not Question.objects.exists()


def test_short_message_is_refused(client):
    """A message under 10 characters is refused."""
    page = _ask(client, message="Help me").content.decode()
    assert 'id="id_message-error"' in page
    assert "at least 10 characters" in page
    assert not Question.objects.exists()


def test_long_message_is_refused(client):
    """A message over 5000 characters is refused."""
    page = _ask(client, message="x" * 5001).content.decode()
    assert 'id="id_message-error"' in page
    assert not Question.objects.exists()


def test_long_name_is_refused(client):
    """A name over 150 characters is refused."""
    page = _ask(client, name="n" * 151).content.decode()
    assert 'id="id_name-error"' in page
    assert not Question.objects.exists()


def test_unknown_subject_is_refused(client):
    """A subject outside the list is refused."""
    page = _ask(client, subject="spam").content.decode()
    assert 'id="id_subject-error"' in page
    assert not Question.objects.exists()


def test_nul_character_is_refused(client):
    """A NUL character in the message is refused, not stored."""
    page = _ask(client, message="Hello\x00 my activation failed").content.decode()
    assert 'id="id_message-error"' in page
    assert "characters that are not allowed" in page
    assert not Question.objects.exists()


def test_sixth_question_in_an_hour_is_throttled(client):
    """Five questions an hour from one IP are accepted; the sixth gets 429 and is not stored."""
    for _ in range(5):
        assert _ask(client).status_code == 302
    response = _ask(client)
    assert response.status_code == 429
    assert Question.objects.count() == 5
    assert OutgoingEmail.objects.filter(kind="help_ack").count() == 5


def test_throttle_counts_per_ip(client):
    """Another IP is not blocked by the first one's questions."""
    solved = [challenges.solution("help_question") for _ in range(7)]
    for payload in solved[:6]:
        client.post("/help/ask/", _data(altcha=payload), REMOTE_ADDR="192.0.2.1")
    response = client.post(
        "/help/ask/",
        _data(altcha=solved[6]),
        REMOTE_ADDR="192.0.2.2",
    )
    assert response.status_code == 302


def test_csrf_is_required():
    """A post without the CSRF token is refused."""
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/help/ask/", _data())
    assert response.status_code == 403
    assert not Question.objects.exists()


# -- Robots: the proof-of-work check ------------------------------------------------------------


def test_the_page_challenge_solved_is_accepted(client):
    """The form carries a challenge and its status line; solved (with the altcha library's
    solver), the question goes through."""
    page = client.get("/help/ask/").content.decode()
    (challenge,) = challenges.challenges_in(page)
    assert 'role="status" aria-live="polite"' in page
    response = client.post("/help/ask/", _data(altcha=challenges.solve(challenge)))
    assert response["Location"] == "/help/sent/"


@pytest.mark.parametrize("kind", ["forged", "other form", "replayed"])
def test_an_invalid_or_replayed_solution_is_refused_with_input_kept(client, kind):
    """A forged solution, one found for step 1 or one already used is refused with a message
    next to the form; what was typed stays and nothing is stored or mailed."""
    if kind == "forged":
        payload = "eyJhbGdvcml0aG0iOiAiU0hBLTI1NiJ9"  # {"algorithm": "SHA-256"}
    elif kind == "other form":
        payload = challenges.solution("step1")
    else:
        payload = challenges.solution("help_question")
        assert Client().post("/help/ask/", _data(altcha=payload)).status_code == 302
        Question.objects.all().delete()
        OutgoingEmail.objects.all().delete()
    response = client.post("/help/ask/", _data(altcha=payload))
    page = response.content.decode()
    assert response.status_code == 200
    assert "The automatic check that a person is sending this form did not pass" in page
    assert 'value="Claire Martin"' in page
    assert "The activation e-mail never arrived in my inbox." in page
    assert not Question.objects.exists()
    assert not OutgoingEmail.objects.exists()


def test_without_javascript_questions_count_against_a_stricter_rate(client):
    """Without a solution a question is still accepted, within the stricter
    HELP_QUESTIONS_PER_IP_WITHOUT_CHALLENGE (2/h, 5/d); the third gets 429 and is not stored,
    while a browser that solves the check still gets through."""
    assert _ask(client, solved=False).status_code == 302
    assert _ask(client, solved=False).status_code == 302
    assert _ask(client, solved=False).status_code == 429
    assert Question.objects.count() == 2
    assert _ask(client).status_code == 302
