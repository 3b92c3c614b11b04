"""The web tier holds no state: two gunicorn instances serve one person's whole journey, each
request on the other instance than the one before, as a round-robin load balancer would send it.

Sessions, CSRF tokens, the registration draft, the proof-of-work replay guard, the log-in
throttles, the pending second step and the authenticator app being added live in Redis or
PostgreSQL, so any instance carries on where the other stopped. Each instance writes an access
log: at the end, each log must list exactly the requests sent to its port."""

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pyotp
import pytest
import requests
from django.conf import settings

from outbox.models import OutgoingEmail
from tests import challenges, journey
from tests.services import free_port, wait_for

pytestmark = pytest.mark.worker

REPO = Path(__file__).resolve().parents[2]
EMAIL = "claire.martin@example.org"
PASSWORD = "Factur3s-Publiques!"
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SETUP_KEY = re.compile(r'<code id="setup-key"[^>]*>([A-Z2-7 ]+)</code>')
LINK_PATH = re.compile(r"https?://[^\s\"<>/]+(/activate/[A-Za-z0-9_\-]+/)")
CODE = re.compile(r"\b(\d{6})\b")
# One line per request: "<worker pid> <method> <path> <status>".
ACCESS_FORMAT = "%(p)s %(m)s %(U)s %(s)s"


def _database_url() -> str:
    """The URL of the database this test runs on (pytest-django's test database)."""
    db = settings.DATABASES["default"]
    assert db["ENGINE"].endswith("postgresql"), "the instances need a shared PostgreSQL"
    user = quote(db.get("USER") or "", safe="")
    password = quote(db.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    return (
        f"postgres://{credentials}{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/"
        f"{quote(db['NAME'], safe='')}"
    )


@dataclass
class Instance:
    """One gunicorn master with its sync workers, on its own port."""

    name: str
    port: int
    logs: Path
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def access_log(self) -> Path:
        return self.logs / f"{self.name}-access.log"

    @property
    def output(self) -> Path:
        return self.logs / f"{self.name}-output.log"

    def start(self, environ: dict) -> None:
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "chorus.wsgi",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--worker-class",
            "sync",
            "--workers",
            "2",
            "--preload",  # the application is imported once, then the workers fork
            "--timeout",
            "30",
            "--graceful-timeout",
            "2",
            "--access-logfile",
            str(self.access_log),
            "--access-logformat",
            ACCESS_FORMAT,
        ]
        with self.output.open("wb") as output:
            self.process = subprocess.Popen(
                command,
                cwd=REPO,
                env=environ,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: the workers go with it
            )

    def ready(self) -> bool:
        assert self.process.poll() is None, f"{self.name} exited:\n{self.output.read_text()}"
        try:
            return requests.get(self.url + "/healthz", timeout=5).status_code == 200
        except requests.RequestException:  # not listening yet, or still booting
            return False

    def stop(self) -> None:
        """SIGTERM to the master and its workers; SIGKILL to them all if they linger."""
        if self.process is None or self.process.poll() is not None:
            return
        # The group this test created (start_new_session), held while its master is unreaped;
        # a master that exits on SIGTERM has stopped its workers first.
        group = self.process.pid
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGTERM)
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(group, signal.SIGKILL)
            self.process.wait(timeout=5)

    def served(self) -> list[tuple[str, str, str, str]]:
        """(pid, method, path, status) of every request it answered, health checks left out."""
        lines = self.access_log.read_text().splitlines() if self.access_log.exists() else []
        rows = [tuple(line.split(" ")) for line in lines if line.strip()]
        return [row for row in rows if row[2] != "/healthz"]


@pytest.fixture
def instances(celery_worker, smtp_server, settings, tmp_path):
    """Two gunicorn instances of the portal on free ports, on this test's committed database,
    Redis and broker; the mails their requests queue leave through the test's Celery worker
    to its SMTP server. Stopped at teardown whatever happened."""
    assert settings.REDIS_URL, "the instances share sessions and throttles through Redis"
    pair = [Instance("a", free_port(), tmp_path), Instance("b", free_port(), tmp_path)]
    site_url = pair[0].url
    settings.SITE_URL = site_url  # the worker (in this process) writes the mails' links
    environ = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "SECRET_KEY": settings.SECRET_KEY,
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": site_url,
        "SIRENE_BACKEND": "stub",
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_server.port}",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    try:
        for instance in pair:
            instance.start(environ)
        for instance in pair:
            assert wait_for(instance.ready, timeout=20, interval=0.1), (
                f"{instance.name} did not answer /healthz:\n{instance.output.read_text()}"
            )
        yield pair
    finally:
        for instance in pair:
            instance.stop()


@dataclass
class Balancer:
    """Round robin: every request, whoever sends it, goes to the other instance."""

    instances: list[Instance]
    # (instance name, method, path, status) of every request, in order.
    sent: list[tuple[str, str, str, int]] = field(default_factory=list)

    def next(self) -> Instance:
        return self.instances[len(self.sent) % len(self.instances)]


class Browser:
    """One person's browser: one cookie jar, redirects followed through the balancer."""

    def __init__(self, balancer: Balancer):
        self.balancer = balancer
        self.http = requests.Session()

    def request(self, method: str, path: str, data=None) -> requests.Response:
        instance = self.balancer.next()
        response = self.http.request(
            method, instance.url + path, data=data, allow_redirects=False, timeout=20
        )
        self.balancer.sent.append((instance.name, method, path, response.status_code))
        assert response.status_code < 500, (method, path, response.text[:2000])
        return response

    def get(self, path: str, *, status: int = 200) -> requests.Response:
        response = self.request("GET", path)
        assert response.status_code == status, (path, response.status_code, response.text[:2000])
        return response

    def post(self, path: str, data: dict, *, page: str | None = None) -> requests.Response:
        """The form as a browser sends it: with the CSRF token of the page it was on."""
        if page is not None:
            data = {"csrfmiddlewaretoken": CSRF.search(page).group(1), **data}
        return self.request("POST", path, data)

    def follow(self, response: requests.Response, to: str) -> requests.Response:
        """The redirect `response` asked for (to `to`), on the next instance."""
        assert response.status_code == 302, (response.status_code, response.text[:2000])
        assert response.headers["Location"] == to, response.headers["Location"]
        return self.get(to)


def _mail_code(smtp_server, email: str) -> str:
    """The code of the newest second-step mail queued for `email`, as the SMTP server got it."""
    queued = OutgoingEmail.objects.filter(to=email, kind="mfa_code").order_by("-pk").first()
    assert queued is not None, "no code mail was queued"

    def received():
        for message in smtp_server.handler.to(email):
            if message["Message-ID"] == queued.message_id:
                return message
        return None

    message = wait_for(received, timeout=20)
    assert message is not None, "the code mail never reached the SMTP server"
    return CODE.search(message.get_body(("plain",)).get_content()).group(1)


def test_two_instances_serve_one_journey_alternately(instances, smtp_server):
    """Steps 1-3, the mailed activation, a first log-in enrolling an authenticator app, log-out
    and a log-in with it, each request on the other instance: sessions, CSRF tokens, draft,
    robot check, throttles and second step cross instances, and the person ends on the
    dashboard."""
    balancer = Balancer(instances)
    claire = Browser(balancer)

    # Step 1 with the challenge the first instance embedded, solved as the page's script does.
    home = claire.get("/").text
    (challenge,) = challenges.challenges_in(home)
    solved = challenges.solve(challenge)
    started = claire.post(
        "/register/", {"email": EMAIL, "siret": journey.COMPANY_SIRET, "altcha": solved}, page=home
    )
    # Step 2, prefilled from the draft the other instance put in the session.
    details = claire.follow(started, "/register/details/").text
    assert "12 bis Quai de la Garonne" in details

    # The used solution is refused by the other instance too (the replay guard is shared)...
    robot = Browser(balancer)
    robot_home = robot.get("/").text
    replayed = robot.post(
        "/register/",
        {"email": "r@example.org", "siret": journey.PARIS_SIRET, "altcha": solved},
        page=robot_home,
    )
    assert replayed.status_code == 200 and "did not pass" in replayed.text
    # ...and a form without its CSRF token is refused: the tokens accepted below are checked.
    assert claire.post("/register/details/", journey.DETAILS).status_code == 403

    areas = claire.follow(
        claire.post("/register/details/", journey.DETAILS, page=details), "/register/areas/"
    ).text
    sent = claire.post("/register/areas/", {"areas": ["issued-invoices"]}, page=areas)
    assert EMAIL in claire.follow(sent, "/register/sent/").text

    # The activation mail, queued by an instance and sent by the Celery worker.
    assert wait_for(lambda: smtp_server.handler.to(EMAIL), timeout=20), "no activation mail"
    (mail,) = smtp_server.handler.to(EMAIL)
    link = LINK_PATH.search(mail.get_body(("plain",)).get_content()).group(1)
    form = claire.follow(claire.get(link, status=302), "/activate/").text
    assert "User account activation" in form
    activated = claire.post(
        "/activate/",
        {
            "password": PASSWORD,
            "confirmation": PASSWORD,
            "secret_question": "pet",
            "custom_question": "",
            "answer": "Médor le chien",
        },
        page=form,
    )
    assert "Your account has been activated" in claire.follow(activated, "/activate/done/").text

    # Failed log-ins are counted across instances: after LOGIN_CHALLENGE_AFTER of them, sent
    # alternately, the address needs the proof-of-work check.
    stranger = Browser(balancer)
    login = stranger.get("/login/").text
    wrong = {"login-email": "nobody@example.org", "login-password": "not the password"}
    for _ in range(settings.LOGIN_CHALLENGE_AFTER - 1):
        assert not challenges.challenges_in(stranger.post("/login/", wrong, page=login).text)
    refused = stranger.post("/login/", wrong, page=login).text
    assert challenges.challenges_in(refused), refused[:2000]

    # First log-in: the password, then the code mailed by the worker.
    login = claire.get("/login/").text
    credentials = {"login-email": EMAIL, "login-password": PASSWORD}
    verify = claire.follow(claire.post("/login/", credentials, page=login), "/login/verify/").text
    assert "Two-step verification" in verify
    passed = claire.post("/login/verify/", {"code": _mail_code(smtp_server, EMAIL)}, page=verify)
    choose = claire.follow(passed, "/account/two-step/choose/").text
    assert 'href="/account/two-step/app/"' in choose

    # The authenticator app: the key shown by one instance, confirmed on the other.
    app_page = claire.get("/account/two-step/app/").text
    totp = pyotp.TOTP(SETUP_KEY.search(app_page).group(1).replace(" ", ""))
    codes = claire.post("/account/two-step/app/", {"code": totp.now()}, page=app_page)
    assert codes.status_code == 200 and "Recovery codes" in codes.text, codes.text[:2000]
    dashboard = claire.get("/dashboard/").text
    assert "Hello Claire Martin" in dashboard

    # Log-out on one instance ends the session on both.
    claire.follow(claire.post("/logout/", {}, page=dashboard), "/")
    assert claire.get("/dashboard/", status=302).headers["Location"].startswith("/login/")

    # Log-in again: the password, then the app's next code (the one above is used up).
    login = claire.get("/login/").text
    verify = claire.follow(claire.post("/login/", credentials, page=login), "/login/verify/").text
    code = totp.at(time.time() + totp.interval)
    dashboard = claire.follow(
        claire.post("/login/verify/", {"code": code}, page=verify), "/dashboard/"
    )
    assert "Hello Claire Martin" in dashboard.text

    # Every request went to the other instance than the one before...
    names = [name for name, *_ in balancer.sent]
    assert all(a != b for a, b in zip(names, names[1:], strict=False)), names
    # ...and each instance's own access log holds exactly the requests sent to its port.
    for instance in instances:
        instance.stop()
    for instance in instances:
        served = instance.served()
        expected = [
            (method, path.split("?")[0], str(status))
            for name, method, path, status in balancer.sent
            if name == instance.name
        ]
        assert [row[1:] for row in served] == expected, instance.output.read_text()
        assert "Traceback" not in instance.output.read_text()
    assert abs(len(instances[0].served()) - len(instances[1].served())) <= 1
