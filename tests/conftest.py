import pytest
from django.conf import settings
from django.core.cache import cache

from structures.sirene import mirror
from tests.factories import MembershipFactory
from tests.xdist import separate_redis_per_worker

separate_redis_per_worker(settings)


@pytest.fixture(scope="session", autouse=True)
def _collected_static():
    """Pages are rendered with the production storage (hashed names from the manifest).

    pytest-xdist's workers share the static folder: one collects at a time."""
    import fcntl

    from django.conf import settings
    from django.core.management import call_command

    settings.STATIC_ROOT.mkdir(parents=True, exist_ok=True)
    with open(settings.STATIC_ROOT.parent / ".collectstatic.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        call_command("collectstatic", "--noinput", verbosity=0)


@pytest.fixture(autouse=True)
def _catalogue_after_flush(request):
    """Transactional tests empty every table, seeded rows too: put the catalogue back."""
    if "transactional_db" in request.fixturenames or "live_server" in request.fixturenames:
        request.getfixturevalue("transactional_db")
        from workareas.catalogue import seed_catalogue
        from workareas.models import WorkArea

        seed_catalogue(WorkArea)


@pytest.fixture(autouse=True)
def _english_outside_requests():
    """A request leaves its language active in the thread (LocaleMiddleware activates, nothing
    deactivates): each test starts in the default language, whatever the previous one asked."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _clear_cache():
    """Throttles, the INSEE cache and sessions live in the cache, prepared pages in the
    process: every test starts empty (and reads the Sirene mirror's description afresh, as
    each process keeps it a few seconds)."""
    from common.pages import forget_all

    cache.clear()
    forget_all()
    mirror.forget_state()
    yield
    cache.clear()
    forget_all()
    mirror.forget_state()


@pytest.fixture
def manager(db):
    """An active primary manager of a verified structure."""
    return MembershipFactory(primary_manager=True)


@pytest.fixture
def logged_in_manager(client, manager):
    client.force_login(manager.user)
    return manager


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on loopback; the portal sends to it through Django's SMTP backend."""
    from tests.services import SmtpServer

    with SmtpServer() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = server.port
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_HOST_USER = ""
        settings.EMAIL_HOST_PASSWORD = ""
        yield server


@pytest.fixture
def celery_worker(transactional_db, settings):
    """A real Celery worker (solo pool, in a thread of this process) consuming from Redis.

    The tests that use it commit their data (transactional_db) so that the worker sees it.
    """
    from celery.contrib.testing.worker import start_worker

    from chorus.celery import app

    settings.MAIL_RETRY_BASE_DELAY = 0.5
    app.control.purge()
    with start_worker(
        app,
        pool="solo",
        concurrency=1,
        perform_ping_check=False,
        loglevel="WARNING",
        shutdown_timeout=20,
    ) as worker:
        yield worker


@pytest.fixture
def admin_client(client, admin_user):
    """A superuser logged in through the real admin login form."""
    from tests.admin_support import log_in

    log_in(client, admin_user.email, "password")
    # The admin's log-in mailed a second-step code: the tests start with an empty outbox.
    from django.core import mail

    from outbox.models import OutgoingEmail

    OutgoingEmail.objects.filter(kind="mfa_code").delete()
    mail.outbox.clear()
    return client


@pytest.fixture
def steady_rate_windows(monkeypatch):
    """django-ratelimit counts in fixed windows (this minute, this hour): a test that crossed a
    window's end would see its count start again. Its clock is held still during the test."""
    import types

    import django_ratelimit.core

    now = django_ratelimit.core.time.time()
    monkeypatch.setattr(django_ratelimit.core, "time", types.SimpleNamespace(time=lambda: now))


@pytest.fixture(autouse=True)
def _force_login_includes_the_second_factor(monkeypatch):
    """`client.force_login(user)` stands for a person fully logged in: password and second
    factor (the tests of the second step itself log in through the pages)."""
    import time

    from django.test import Client

    from accounts.views.mfa import SESSION_FACTOR_AT, SESSION_VERIFIED_AT

    original = Client.force_login

    def force_login(self, user, backend=None):
        original(self, user, backend)
        session = self.session
        session[SESSION_VERIFIED_AT] = session[SESSION_FACTOR_AT] = time.time()
        session.save()

    monkeypatch.setattr(Client, "force_login", force_login)
