"""Virtual users of the onboarding journey, run by bench/run.py (`locust --headless`).

BENCH_MODE picks what the users do:
- journey: a new supplier each iteration, from the home page to the first log-in (steps 1-3,
  the activation mail, the activation page, the log-in with its second step: the code mailed
  to the login e-mail, then the dashboard), with BENCH_THINK_MIN..MAX seconds between pages;
- burst: steps 1-3 only, BENCH_BURST_COUNT registrations in all, one every BENCH_BURST_PACING
  seconds per user;
- capacity: each GET page of the journey in turn, alone, as fast as the users can ask
  (no pause), BENCH_PHASE_SECONDS each, the floor (/healthz) first and last. The users first
  walk the journey far enough to hold a session for every page.

Every virtual person sends its own X-Forwarded-For (the portal runs with
TRUSTED_PROXY_COUNT=1), as real people behind the proxy do: the per-IP throttles apply to it.

Each request is recorded with its Server-Timing and X-SQL-Queries headers and written as JSON
to BENCH_OUT when locust quits; run.py computes every figure from those samples.
"""

import itertools
import json
import os
import re
import time
import urllib.parse
import urllib.request

import gevent
from gevent.event import Event
from locust import between, constant, constant_pacing, events, task
from locust.contrib.fasthttp import FastHttpSession, FastHttpUser
from locust.exception import RescheduleTask
from sirets import siret_for

MODE = os.environ.get("BENCH_MODE", "journey")
OUT = os.environ.get("BENCH_OUT", "")
MAILBOX = os.environ.get("BENCH_MAILBOX", "")
TAG = os.environ.get("BENCH_TAG", str(int(time.time())))
SIRET_OFFSET = int(os.environ.get("BENCH_SIRET_OFFSET", "0"))
THINK_MIN = float(os.environ.get("BENCH_THINK_MIN", "0.5"))
THINK_MAX = float(os.environ.get("BENCH_THINK_MAX", "1.5"))
MAIL_TIMEOUT = float(os.environ.get("BENCH_MAIL_TIMEOUT", "30"))
USERS = int(os.environ.get("BENCH_USERS", "1"))
PHASE_SECONDS = float(os.environ.get("BENCH_PHASE_SECONDS", "6"))
BURST_COUNT = int(os.environ.get("BENCH_BURST_COUNT", "200"))
BURST_PACING = float(os.environ.get("BENCH_BURST_PACING", "15"))
# Light-page probes beside the journeys: visitors asking for the log-in page every
# PROBE_PACING seconds, to see whether the journeys' hashing starves the pages that do not hash.
PROBE_USERS = int(os.environ.get("BENCH_PROBE_USERS", "0"))
PROBE_PACING = float(os.environ.get("BENCH_PROBE_PACING", "0.25"))
PROBE_PAGE = "/login/"
# Where the probes ask: the light pool (as docker-compose.pools.yml's proxy routes the public
# pages), or the main pool when the portal runs as one pool.
PROBE_URL = os.environ.get("BENCH_PROBE_URL", "")

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
TIMING = re.compile(r"(\w+);dur=([0-9.]+)")
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
DETAILS = {
    "contact_email": "",
    "first_name": "Claire",
    "last_name": "Martin",
    "phone": "",
    "company_name": "Banc d'essai",
    "address_line": "12 bis Quai de la Garonne",
    "address_complement": "",
    "postal_code": "31000",
    "city": "Toulouse",
    "country": "FR",
}
AREAS = ["issued-invoices"]
PASSWORD = "Violet-Harbour-{n}!"  # 12+ characters, 4 classes, unlike the e-mail and the name
ANSWER = "Moustache"

# The pages measured alone in capacity mode, in order; the floor comes first and last.
CAPACITY_PAGES = [
    "/bench/floor/",
    "/",
    "/login/",
    "/help/",
    "/password/forgot/",
    "/register/details/",
    "/register/areas/",
    "/register/sent/",
    "/activate/<token>/",
    "/activate/",
    "/bench/floor/",
]

_people = itertools.count()
_samples: list[list] = []
_meta: dict = {"mode": MODE, "tag": TAG}
_ready = Event()
_ready_count = 0
_done = Event()
_burst_started = 0
_burst_finished = 0


@events.request.add_listener
def _record(request_type, name, response_time, response, exception, start_time=None, **_kw):
    """Keep one sample per request: [method, name, start, ms, ok, status, sql, app, db, hash,
    error]."""
    status = sql = app = db = hash_ms = None
    if response is not None and getattr(response, "headers", None) is not None:
        status = getattr(response, "status_code", None)
        headers = response.headers
        queries = headers.get("X-SQL-Queries")
        sql = int(queries) if queries else None
        timing = dict(TIMING.findall(headers.get("Server-Timing") or ""))
        app = float(timing["app"]) if "app" in timing else None
        db = float(timing["db"]) if "db" in timing else None
        hash_ms = float(timing["hash"]) if "hash" in timing else None
    started = start_time if start_time is not None else time.time() - response_time / 1000
    error = None if exception is None else str(exception)[:200]
    _samples.append(
        [request_type, name, started, response_time, exception is None, status, sql, app, db,
         hash_ms, error]
    )  # fmt: skip


@events.test_start.add_listener
def _watch(environment, **_kw):
    """Quit as soon as the mode's work is done, rather than at the end of --run-time."""

    def wait_and_quit():
        _done.wait()
        gevent.sleep(0.5)
        environment.runner.quit()

    gevent.spawn(wait_and_quit)


@events.quitting.add_listener
def _write(environment, **_kw):
    if OUT:
        with open(OUT, "w") as output:
            json.dump({"meta": _meta, "samples": _samples}, output)


def _fire(environment, request_type, name, started, exception=None):
    environment.events.request.fire(
        request_type=request_type,
        name=name,
        response_time=(time.time() - started) * 1000,
        response_length=0,
        response=None,
        context={},
        exception=exception,
        start_time=started,
    )


class StepFailed(Exception):
    """A page did not answer as the journey expects: this journey stops here."""


class Person:
    """One person at one browser: a cookie jar and an address of their own."""

    def __init__(self, user: "OnboardingUser", session: FastHttpSession | None = None) -> None:
        self.user = user
        self.number = next(_people)
        self.client = session or FastHttpSession(
            user.host, request_event=user.environment.events.request, user=user
        )
        self.client.cookiejar.clear()
        # An address of its own, in every scenario: each scenario is a new locust process whose
        # people are numbered from 0 again, so the scenario's offset keeps the per-IP throttles
        # of one scenario from counting the requests of the one before (seconds apart in --quick).
        n = SIRET_OFFSET + self.number
        self.ip = f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"
        self.email = f"bench-{TAG}-{MODE}-{self.number}@example.org"
        self.siret = siret_for(SIRET_OFFSET + self.number)
        self.csrf = ""
        self.activation_path = ""
        self.codes_read = 0  # code mails already read: the next log-in waits for a newer one

    def call(self, method, path, *, name=None, expect=200, location=None, data=None):
        """One request, failed (and StepFailed raised) unless it answers `expect` (and, for a
        redirect, goes to `location`)."""
        headers = {"X-Forwarded-For": self.ip}
        body = None
        if data is not None:
            headers.update(FORM)
            body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": self.csrf}, doseq=True)
        with self.client.request(
            method,
            path,
            name=name or path,
            data=body,
            headers=headers,
            allow_redirects=False,
            catch_response=True,
        ) as response:
            problem = None
            if response.status_code != expect:
                problem = f"{method} {name or path}: {response.status_code} instead of {expect}"
            elif location is not None:
                target = urllib.parse.urlsplit(response.headers.get("Location") or "").path
                if target != location:
                    problem = f"{method} {name or path}: redirected to {target!r}, not {location}"
            if problem:
                response.failure(problem)
                raise StepFailed(problem)
            response.success()
            if expect == 200:
                match = CSRF.search(response.text or "")
                if match:
                    self.csrf = match.group(1)
            return response

    # The journey, page by page.

    def register(self, think=lambda: None):
        """Steps 1 to 3, ending on the confirmation page."""
        self.call("GET", "/")
        think()
        self.call(
            "POST", "/register/", location="/register/details/", expect=302,
            data={"email": self.email, "siret": self.siret},
        )  # fmt: skip
        self.call("GET", "/register/details/")
        think()
        self.call(
            "POST", "/register/details/", location="/register/areas/", expect=302, data=DETAILS
        )
        self.call("GET", "/register/areas/")
        think()
        self.call(
            "POST", "/register/areas/", location="/register/sent/", expect=302,
            data={"areas": AREAS},
        )  # fmt: skip
        self.call("GET", "/register/sent/")

    def read_activation_mail(self):
        """Wait for the activation mail at the SMTP sink (long poll); its link's path."""
        started = time.time()
        query = urllib.parse.urlencode({"to": self.email, "wait": MAIL_TIMEOUT})
        try:
            with urllib.request.urlopen(f"{MAILBOX}?{query}", timeout=MAIL_TIMEOUT + 5) as reply:
                self.activation_path = json.load(reply)["path"]
        except Exception as exc:  # 404 after the wait, or the mailbox is gone
            problem = StepFailed(f"no activation mail within {MAIL_TIMEOUT:.0f} s ({exc})")
            _fire(self.user.environment, "MAIL", "activation mail", started, problem)
            raise problem from None
        _fire(self.user.environment, "MAIL", "activation mail", started)

    def read_code_mail(self) -> str:
        """Wait for the second step's code mail at the SMTP sink (long poll); its code."""
        started = time.time()
        query = urllib.parse.urlencode(
            {"to": self.email, "wait": MAIL_TIMEOUT, "since": self.codes_read}
        )
        try:
            with urllib.request.urlopen(
                f"{MAILBOX}code?{query}", timeout=MAIL_TIMEOUT + 5
            ) as reply:
                code = json.load(reply)["code"]
        except Exception as exc:  # 404 after the wait, or the mailbox is gone
            problem = StepFailed(f"no code mail within {MAIL_TIMEOUT:.0f} s ({exc})")
            _fire(self.user.environment, "MAIL", "code mail", started, problem)
            raise problem from None
        self.codes_read += 1
        _fire(self.user.environment, "MAIL", "code mail", started)
        return code

    def activate(self, think=lambda: None):
        self.call(
            "GET", self.activation_path, name="/activate/<token>/", expect=302,
            location="/activate/",
        )  # fmt: skip
        self.call("GET", "/activate/")
        think()
        password = PASSWORD.format(n=self.number)
        self.call(
            "POST", "/activate/", expect=302, location="/activate/done/",
            data={
                "password": password,
                "confirmation": password,
                "secret_question": "pet",
                "custom_question": "",
                "answer": ANSWER,
            },
        )  # fmt: skip

    def log_in(self, think=lambda: None):
        """The password, then the second step: the page mails a code to someone with no
        factor yet, the code is read at the SMTP sink and typed; a first log-in goes on to
        "Choose your second factor", and the person opens the dashboard."""
        self.call("GET", "/login/")
        think()
        self.call(
            "POST", "/login/", expect=302, location="/login/verify/",
            data={"login-email": self.email, "login-password": PASSWORD.format(n=self.number)},
        )  # fmt: skip
        self.call("GET", "/login/verify/")
        code = self.read_code_mail()
        think()
        self.call(
            "POST", "/login/verify/", expect=302, location="/account/two-step/choose/",
            data={"code": code},
        )  # fmt: skip
        self.call("GET", "/dashboard/")


class OnboardingUser(FastHttpUser):
    # Journeys pause inside the task (think); a burst user starts one registration per pacing.
    wait_time = constant_pacing(BURST_PACING) if MODE == "burst" else constant(0)

    think_time = between(THINK_MIN, THINK_MAX)

    def think(self):
        if THINK_MAX > 0:
            gevent.sleep(self.think_time())

    def on_start(self):
        if MODE == "capacity":
            self._prepare_capacity()

    @task
    def iteration(self):
        if MODE == "journey":
            self._journey()
        elif MODE == "burst":
            self._burst()
        else:
            self._capacity()

    # journey

    def _journey(self):
        started = time.time()
        person = Person(self, self.client)
        try:
            person.register(self.think)
            person.read_activation_mail()
            person.activate(self.think)
            self.think()
            person.log_in(self.think)
        except StepFailed:
            self.think()  # a broken page is not hammered in a loop
            raise RescheduleTask() from None
        _fire(self.environment, "JOURNEY", "complete", started)
        self.think()

    # burst

    def _burst(self):
        global _burst_started, _burst_finished
        if _burst_started >= BURST_COUNT:
            gevent.sleep(1)
            return
        _burst_started += 1
        started = time.time()
        person = Person(self, self.client)
        try:
            person.register()
        except StepFailed as exc:
            _fire(self.environment, "JOURNEY", "registration", started, exc)
        else:
            _fire(self.environment, "JOURNEY", "registration", started)
        finally:
            _burst_finished += 1
            if _burst_finished >= BURST_COUNT:
                _done.set()

    # capacity

    def _prepare_capacity(self):
        """A session for each page: one stopped before step 2, one before step 3, one on the
        confirmation page whose activation link opens the activation page."""
        global _ready_count
        self.sessions: dict[str, Person] = {}
        try:
            anonymous = Person(self, self.client)
            # The drafts share one SIRET, so INSEE is asked once for them (then the cache).
            shared_siret = siret_for(SIRET_OFFSET + 999_999)
            before_details = Person(self)
            before_details.call("GET", "/", name="prepare")
            before_details.call(
                "POST", "/register/", name="prepare", expect=302,
                data={"email": before_details.email, "siret": shared_siret},
            )  # fmt: skip
            before_areas = Person(self)
            before_areas.call("GET", "/", name="prepare")
            before_areas.call(
                "POST", "/register/", name="prepare", expect=302,
                data={"email": before_areas.email, "siret": shared_siret},
            )  # fmt: skip
            before_areas.call("GET", "/register/details/", name="prepare")
            before_areas.call(
                "POST", "/register/details/", name="prepare", expect=302, data=DETAILS
            )
            registered = Person(self)
            registered.register()
            registered.read_activation_mail()
            activating = Person(self)
            activating.activation_path = registered.activation_path
            activating.call("GET", registered.activation_path, name="prepare", expect=302)
            self.sessions = {
                "/bench/floor/": anonymous,
                "/": anonymous,
                "/login/": anonymous,
                "/help/": anonymous,
                "/password/forgot/": anonymous,
                "/register/details/": before_details,
                "/register/areas/": before_areas,
                "/register/sent/": registered,
                "/activate/<token>/": registered,
                "/activate/": activating,
            }
        except StepFailed:
            pass  # this user sits the phases out; the failure is in the samples
        finally:
            _ready_count += 1
            if _ready_count >= USERS and not _ready.is_set():
                _meta["t0"] = time.time() + 0.5
                _meta["phase_seconds"] = PHASE_SECONDS
                _meta["pages"] = CAPACITY_PAGES
                _ready.set()

    def _capacity(self):
        _ready.wait()
        phase = int((time.time() - _meta["t0"]) // PHASE_SECONDS)
        if phase < 0:
            gevent.sleep(_meta["t0"] - time.time())
            return
        if phase >= len(CAPACITY_PAGES):
            _done.set()
            gevent.sleep(1)
            return
        page = CAPACITY_PAGES[phase]
        person = self.sessions.get(page)
        if person is None:
            gevent.sleep(0.5)
            return
        path = person.activation_path if page == "/activate/<token>/" else page
        expect = 302 if page == "/activate/<token>/" else 200
        try:
            person.call("GET", path, name=f"capacity {phase}: {page}", expect=expect)
        except StepFailed:
            gevent.sleep(0.05)


if PROBE_USERS > 0:

    class LightPageProbe(FastHttpUser):
        """A visitor opening the log-in page (a page that does not hash) at a steady pace."""

        fixed_count = PROBE_USERS
        wait_time = constant_pacing(PROBE_PACING)

        def on_start(self):
            self.pool = self.client
            if PROBE_URL:
                self.pool = FastHttpSession(
                    PROBE_URL, request_event=self.environment.events.request, user=self
                )

        @task
        def light_page(self):
            self.pool.get(PROBE_PAGE, name=f"probe GET {PROBE_PAGE}")
