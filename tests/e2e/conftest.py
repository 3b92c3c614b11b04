"""The browser suite's fixtures: Debian's chromium driven by Playwright (never downloaded), the
portal on pytest-django's live server with a real Celery worker and a real SMTP server, and a
screenshot of every step under test-results/e2e/<test-name>/."""

import contextlib
import os
import shutil
import subprocess

import pytest

from tests.e2e import support


@pytest.fixture(scope="session")
def live_server(request):
    """pytest-django's live server, serving the site as production does.

    pytest-django wraps the site in Django's StaticFilesHandler, which looks static files up
    with the finders under their source names; pages link the manifest's hashed names
    (css/portal.2b47….css) that no finder knows, so every stylesheet and script answered 404
    and the pages ran without their JavaScript. Inside it, LiveServerThread's media handler,
    with MEDIA_URL unset, serves any file of the working directory (/chorus/settings.py).
    Both are left out: every request reaches the WSGI application, where WhiteNoise serves
    the collected static files.
    """
    from django.test.testcases import LiveServerThread
    from pytest_django.live_server_helper import LiveServer

    request.getfixturevalue("_collected_static")
    server = LiveServer("localhost", start=False)
    server.thread = LiveServerThread(
        "localhost",
        static_handler=lambda media_handler: media_handler.application,
        connections_override=server.thread.connections_override,
    )
    server.thread.daemon = True
    server.start()
    yield server
    server.stop()


@pytest.fixture
def portal(live_server, celery_worker, smtp_server, settings):
    """The site as a person reaches it: its mails really sent, through the worker, over SMTP,
    with links that point at the live server."""
    settings.SITE_URL = live_server.url
    if "localhost" not in settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]
    return live_server


@pytest.fixture(scope="session")
def _playwright():
    """Playwright's sync API keeps an asyncio loop running in the main thread, where Django's
    ORM then refuses to run (SynchronousOnlyOperation) although nothing here is async: the
    tests' own queries and the database flush run in that thread, so the check is lifted
    while Playwright runs (the usual setting for Playwright with Django)."""
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            yield playwright
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def browser(_playwright):
    if support.CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed: the browser suite needs it")
    browser = _playwright.chromium.launch(
        executable_path=support.CHROMIUM, headless=True, args=support.CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture
def new_page(browser):
    """Opens pages in fresh contexts (a person each: own cookies), closed after the test.

    A static file that fails to load, an uncaught script error or a Content-Security-Policy
    violation on any page fails the test at teardown, naming the page."""
    contexts = []
    problems = []

    def watch(page):
        page.on(
            "response",
            lambda r: (
                "/static/" in r.url
                and r.status >= 400
                and problems.append(f"{r.status} for {r.url} (on {page.url})")
            ),
        )
        page.on("pageerror", lambda e: problems.append(f"script error on {page.url}: {e}"))
        page.on(
            "console",
            lambda m: (
                m.type == "error"
                and "Content Security Policy" in m.text
                and problems.append(f"CSP violation on {page.url}: {m.text}")
            ),
        )

    def open_page():
        context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
        context.set_default_timeout(15_000)
        context.set_default_navigation_timeout(30_000)
        contexts.append(context)
        page = context.new_page()
        watch(page)
        return page

    yield open_page
    for context in contexts:
        context.close()
    if problems:
        pytest.fail("the pages had problems:\n  " + "\n  ".join(problems))


@pytest.fixture
def page(new_page):
    return new_page()


@pytest.fixture
def shot(page, request):
    """shot("step") saves test-results/e2e/<test-name>/NN-step.png; a failed test gets a last
    screenshot of the page where it stopped."""
    screenshots = support.Screenshots(page, request.node.name)
    yield screenshots
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed and not page.is_closed():
        # The page may have crashed: the test's own error says more than this screenshot.
        with contextlib.suppress(Exception):
            screenshots("failure")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def axe_source():
    """axe-core's source, installed with npm into .cache/axe when `make axe` has not run."""
    if not support.AXE_FILE.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip("npm is not installed: axe-core cannot be fetched, no accessibility audit")
        support.AXE_PREFIX.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                npm,
                "install",
                "--silent",
                "--no-audit",
                "--no-fund",
                "--prefix",
                str(support.AXE_PREFIX),
                "axe-core@4",
            ],
            check=True,
            timeout=300,
        )
    return support.AXE_FILE.read_text(encoding="utf-8")


@pytest.fixture
def axe(axe_source):
    return support.AxeAudit(axe_source)
