"""The proof-of-work check (static/js/altcha.js) in a real browser: it runs by itself, says so
in its status line, holds a submit until it is done, and the server accepts what it found."""

import time
from urllib.parse import parse_qs

from altcha import v1
from django.test import Client
from playwright.sync_api import expect

from common import altcha
from helpdesk.models import Question
from tests import journey
from tests.e2e import support
from tests.factories import PASSWORD, MembershipFactory

pytestmark = support.MARKS


def _posted_solution(request) -> str:
    """The `altcha` field of a form the browser posted (urlencoded)."""
    return parse_qs(request.post_data or "").get("altcha", [""])[0]


def test_step1_check_runs_at_the_first_focus_and_is_accepted(portal, page, shot):
    """Typing in step 1 starts the check; the status line says it is running then complete,
    the hidden field holds a solution the server verifies, and Enter sends it on."""
    page.goto(portal.url + "/")
    status = page.locator("form[action='/register/'] .altcha-status")
    expect(status).to_have_text("")
    expect(status).to_have_attribute("aria-live", "polite")
    page.locator("#id_email").fill("robot.check@example.org")
    expect(status).to_have_text("Check complete.")
    solution = page.locator("form[action='/register/'] input[name=altcha]").input_value()
    ok, _error = v1.verify_solution(solution, altcha.hmac_key())
    assert ok
    page.locator("#id_siret").fill(journey.COMPANY_SIRET)
    shot("step 1 checked")
    with page.expect_request(lambda r: r.method == "POST" and r.url.endswith("/register/")) as sent:
        page.locator("#id_siret").press("Enter")
    assert _posted_solution(sent.value) == solution
    expect(page.get_by_role("heading", level=1)).to_have_text("Personal information and structure")


def test_a_question_sent_at_once_waits_for_the_check(portal, page, shot):
    """A person quick enough to send before the check ends (focus never entered the form:
    values pasted by a tool) is held until it ends; the question goes with its solution."""
    page.goto(portal.url + "/help/ask/")
    page.evaluate(
        """() => {
            document.getElementById('id_name').value = 'Claire Martin';
            document.getElementById('id_email').value = 'claire@example.org';
            document.getElementById('id_subject').value = 'password';
            document.getElementById('id_message').value = 'I cannot find the reset link.';
        }"""
    )
    form = page.locator("main form[method=post]")
    with page.expect_request(lambda r: r.method == "POST" and "/help/ask/" in r.url) as sent:
        form.evaluate("form => form.requestSubmit()")
    assert _posted_solution(sent.value)
    expect(page).to_have_url(portal.url + "/help/sent/")
    assert Question.objects.get().email == "claire@example.org"
    shot("question sent")


def test_the_browser_solves_the_log_in_check_of_an_account_under_attack(
    portal, page, shot, smtp_server
):
    """After failures from elsewhere, the log-in page says why a check is needed, the browser
    solves it at once (in well under a second), and the owner logs in."""
    member = MembershipFactory(primary_manager=True, user__email="owner@example.org")
    for n in range(3):
        robot = Client(REMOTE_ADDR=f"198.51.100.{n + 1}")
        robot.post("/login/", {"login-email": member.user.email, "login-password": "Wrong-1!"})
    page.goto(portal.url + "/login/")
    support.textbox(page, "Login email").fill(member.user.email)
    support.textbox(page, "Password").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("Too many failed log-ins for this account")
    started = time.monotonic()
    expect(page.locator(".altcha-status")).to_have_text("Check complete.")
    assert time.monotonic() - started < 5
    shot("log-in check complete")
    support.textbox(page, "Password").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Log in").click()
    support.second_step(page, portal.url, member.user.email, smtp_server=smtp_server)
