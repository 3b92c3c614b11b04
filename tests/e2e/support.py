"""Helpers of the browser suite: marks, mails read from the SMTP server, keyboard focus,
screenshots and the axe-core audit."""

import re
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from tests.services import wait_for

REPO = Path(__file__).resolve().parents[2]
RESULTS = REPO / "test-results" / "e2e"
AXE_PREFIX = REPO / ".cache" / "axe"
AXE_FILE = AXE_PREFIX / "node_modules" / "axe-core" / "axe.min.js"

CHROMIUM = shutil.which("chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# Every browser module carries these: it needs Debian's chromium and starts a Celery worker.
MARKS = [
    pytest.mark.e2e,
    pytest.mark.worker,
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="Debian's chromium is not installed (apt-get install chromium): "
        "the browser suite drives it through Playwright and never downloads a browser",
    ),
]

PASSWORD = "Factur3s-Publiques!"
ANSWER = "Médor le chien"
ACTIVATION_LINK = re.compile(r"https?://[^\s\"<>]+/activate/[A-Za-z0-9_\-]+/")
VERIFICATION_CODE = re.compile(r"\b(\d{6})\b")


def mails_to(smtp_server, address: str) -> list:
    return smtp_server.handler.to(address)


def wait_for_mail(
    smtp_server, address: str, count: int = 1, timeout: float = 30.0, *, subject: str = ""
):
    """The `count`-th mail received by the SMTP server for this address (1-based), among
    those with this subject when one is given."""

    def received():
        mails = mails_to(smtp_server, address)
        return [m for m in mails if m["Subject"] == subject] if subject else mails

    assert wait_for(lambda: len(received()) >= count, timeout=timeout), (
        f"mail #{count} to {address} never reached the SMTP server; it holds "
        f"{[(m['to'], m['message']['Subject']) for m in smtp_server.messages]}"
    )
    return received()[count - 1]


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def activation_link_in(message) -> str:
    match = ACTIVATION_LINK.search(text_of(message))
    assert match, text_of(message)
    link = match.group(0)
    assert link.startswith(settings.SITE_URL + "/"), (link, settings.SITE_URL)
    return link


def focused(page: Page) -> dict:
    """What has the keyboard focus: tag, id, name, role, type and text."""
    return page.evaluate(
        """() => {
            const el = document.activeElement;
            return el ? {tag: el.tagName.toLowerCase(), id: el.id, name: el.getAttribute('name'),
                         role: el.getAttribute('role'), type: el.getAttribute('type'),
                         text: (el.innerText || el.value || '').trim().slice(0, 80)} : {};
        }"""
    )


def tab_to(page: Page, selector: str, *, backwards: bool = False, limit: int = 60) -> None:
    """Press Tab (Shift+Tab) until the element matching `selector` has the focus."""
    key = "Shift+Tab" if backwards else "Tab"
    seen = []
    for _ in range(limit):
        if page.evaluate("s => document.activeElement?.matches(s) ?? false", selector):
            return
        page.keyboard.press(key)
        seen.append(focused(page))
    raise AssertionError(f"{key} never reached {selector}; focus went through {seen}")


class Screenshots:
    """test-results/e2e/<test-name>/NN-step.png, numbered in the order of the journey."""

    def __init__(self, page: Page, test_name: str):
        self.page = page
        self.directory = RESULTS / re.sub(r"[^A-Za-z0-9_.-]+", "-", test_name).strip("-")
        shutil.rmtree(self.directory, ignore_errors=True)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.count = 0

    def __call__(self, step: str, page: Page | None = None) -> Path:
        self.count += 1
        slug = re.sub(r"[^a-z0-9]+", "-", step.lower()).strip("-")
        path = self.directory / f"{self.count:02d}-{slug}.png"
        (page or self.page).screenshot(path=str(path), full_page=True)
        return path


class AxeAudit:
    """Runs axe-core on the current page and keeps the serious and critical violations.

    axe is evaluated through the DevTools protocol: the site's Content-Security-Policy refuses
    inline scripts, so add_script_tag (which inlines the file) would be blocked."""

    IMPACTS = ("serious", "critical")

    def __init__(self, source: str):
        self.source = source
        self.pages: list[str] = []
        self.findings: list[str] = []

    def check(self, page: Page, label: str) -> list[dict]:
        page.wait_for_load_state("load")
        if not page.evaluate("() => typeof window.axe !== 'undefined'"):
            page.evaluate(self.source)
        result = page.evaluate(
            "() => axe.run(document, {resultTypes: ['violations']})"
            ".then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
            " helpUrl: v.helpUrl, targets: v.nodes.map(n => n.target.join(' ')).slice(0, 8)})))"
        )
        serious = [v for v in result if v["impact"] in self.IMPACTS]
        self.pages.append(f"{label} ({page.url})")
        for v in serious:
            self.findings.append(
                f"{label} {page.url}: [{v['impact']}] {v['id']}: {v['help']} "
                f"({v['helpUrl']}) on {v['targets']}"
            )
        return serious

    def assert_clean(self) -> None:
        assert not self.findings, (
            "axe-core found serious or critical violations:\n  "
            + "\n  ".join(self.findings)
            + f"\n(pages audited: {len(self.pages)})"
        )


# -- The journey, as a person does it, by accessible names (English pages) ----------------


def textbox(scope, name: str, **options):
    """The text input with exactly this accessible name (labels end with an aria-hidden "*",
    which get_by_label's exact match would count)."""
    return scope.get_by_role("textbox", name=name, exact=True, **options)


def start_registration(page: Page, base_url: str, email: str, siret: str) -> None:
    """Step 1 on the home page."""
    page.goto(base_url + "/")
    new = page.get_by_role("region", name="New on Chorus Pro?")
    textbox(new, "Login email").fill(email)
    textbox(new, "Company registration number").fill(siret)
    new.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Personal information and structure")


def fill_person(page: Page, first_name: str, last_name: str) -> None:
    textbox(page, "First name").fill(first_name)
    textbox(page, "Last name").fill(last_name)


def validate_step(page: Page) -> None:
    page.get_by_role("button", name="Validate").click()


def activate(page: Page, link: str, *, password: str = PASSWORD, answer: str = ANSWER) -> None:
    """The page the mail's link opens: password, secret question, Validate."""
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("User account activation")
    textbox(page, "Password").fill(password)
    textbox(page, "Confirmation").fill(password)
    page.get_by_role("combobox", name="Secret question").select_option(
        label="What was the name of your first pet?"
    )
    textbox(page, "Answer").fill(answer)
    validate_step(page)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Your account has been activated")


def latest_code(smtp_server, email: str, timeout: float = 30.0) -> str:
    """The 6-digit code of the newest code mail the portal queued for this address, read from
    the mail the SMTP server received (matched by its Message-ID). Once the second page is
    shown, that mail carries its code: it is queued while the page is made."""
    from outbox.models import OutgoingEmail

    queued = OutgoingEmail.objects.filter(to=email, kind="mfa_code").order_by("-pk").first()
    assert queued is not None, f"no code mail was queued for {email}"

    def received():
        for message in mails_to(smtp_server, email):
            if message["Message-ID"] == queued.message_id:
                return message
        return None

    message = wait_for(received, timeout=timeout)
    assert message is not None, (
        f"the code mail to {email} never reached the SMTP server; it holds "
        f"{[(m['to'], m['message']['Subject']) for m in smtp_server.messages]}"
    )
    match = VERIFICATION_CODE.search(text_of(message))
    assert match, text_of(message)
    return match.group(1)


def log_in_password(page: Page, base_url: str, email: str, password: str = PASSWORD) -> None:
    """The first step only: the log-in form, then the second step's page."""
    page.goto(base_url + "/login/")
    textbox(page, "Login email").fill(email)
    textbox(page, "Password").fill(password)
    page.get_by_role("main").get_by_role("button", name="Log in").click()
    expect(page).to_have_url(base_url + "/login/verify/")


def second_step(page: Page, base_url: str, email: str, *, smtp_server, enrol: bool = True) -> None:
    """The second page after the password, with the code mailed to the login e-mail (read from
    the SMTP server), up to the dashboard. At a first log-in ("Choose your second factor")
    `enrol` keeps receiving codes by e-mail and passes the recovery codes; enrol=False stops
    on the choice. Stable selectors (ids, forms' actions): it serves the French pages too."""
    expect(page).to_have_url(base_url + "/login/verify/")
    page.locator("#id_code").fill(latest_code(smtp_server, email))
    page.locator("main form[method=post]:has(#id_code) button[type=submit]").click()
    page.wait_for_url(re.compile(r"/(dashboard|account/two-step/choose)/$"))
    if page.url.endswith("/account/two-step/choose/"):
        if not enrol:
            return
        page.locator("form[action='/account/two-step/email/'] button[type=submit]").click()
        expect(page.locator("#recovery-codes li")).to_have_count(10)
        page.locator("main a[href='/dashboard/']").click()
    expect(page).to_have_url(base_url + "/dashboard/")


def log_in(
    page: Page,
    base_url: str,
    email: str,
    password: str = PASSWORD,
    *,
    smtp_server,
    enrol: bool = True,
) -> None:
    """Both steps, the second with the code mailed to the login e-mail (see second_step)."""
    log_in_password(page, base_url, email, password)
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-step verification")
    second_step(page, base_url, email, smtp_server=smtp_server, enrol=enrol)
