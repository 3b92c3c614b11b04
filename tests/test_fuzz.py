"""Robustness against bad input: Hypothesis throws random and hostile data at every form and URL.

Whatever arrives (any Unicode text, control characters, NUL, 10,000-character strings, fields
missing or repeated, unknown fields, multipart or urlencoded bodies, PUT/PATCH/DELETE, junk in
paths and query strings), the answer is one of 200, 302, 400, 403, 404, 405 and 429, never a
500, and nothing is left half-saved (a user without a membership, a structure without members,
an account awaiting activation without a link...).

How a body is built: from values that pass, each field is kept, replaced by junk, emptied,
left out or repeated, and unknown fields are added; one body in five is left whole so that the
success paths (an account created, a password changed, a request approved) run too.

Settings (FUZZ below): `max_examples` = FUZZ_EXAMPLES (80 unless the environment says
otherwise) for each of the 18 Hypothesis tests; `deadline=None` (a request on a loaded CI
machine may take a while); `database=None` (no .hypothesis/ folder in the repository);
shrinking off unless FUZZ_SHRINK=1 (shrinking replays hundreds of requests, minutes: a failure
is reported with the example as generated, which names the URL, the body and the traceback);
`print_blob=True`. Each example starts with an empty cache (the per-IP throttles would
otherwise answer 429 to most examples; 429 is allowed all the same) and no cookies, and runs in
a savepoint rolled back at its end, the invariants being checked just before. The module takes
75 to 95 seconds on 2 cores, the database set-up included.

The password hasher: new passwords are hashed with MD5 here. Argon2 costs about half a second
per hash or check on a 2-core machine, which would leave a handful of examples per form;
what is fuzzed is how the forms parse and validate, and the validators are the production
ones. Argon2 stays configured, so the secret answers (always Argon2) work as in production.
"""

import base64
import os
import traceback
from contextlib import contextmanager
from urllib.parse import quote, urlencode

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from accounts.models import OneTimeToken, User
from accounts.services.links import SESSION_KEYS, link_create
from helpdesk.models import Question
from onboarding.views.registration import SENT_KEY
from outbox.models import OutgoingEmail
from structures.models import Membership, Structure
from tests import challenges, journey
from tests.factories import ANSWER, PASSWORD, MembershipFactory, UserFactory
from workareas.models import WorkArea

pytestmark = pytest.mark.django_db

ALLOWED = {200, 302, 400, 403, 404, 405, 429}

FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "80")),
    deadline=None,
    database=None,
    print_blob=True,
    # Shrinking a failure replays hundreds of requests (minutes): only on demand.
    phases=list(Phase)
    if os.environ.get("FUZZ_SHRINK")
    else [p for p in Phase if p not in (Phase.shrink, Phase.explain)],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# -- What robots send -------------------------------------------------------------------------

CONTROL = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=0, max_codepoint=31),
        st.sampled_from("\x7f\x85\u200b\u200e\u202e\u2028\u2029\ufeff\ufffd"),
    ),
    min_size=1,
    max_size=12,
)
HOSTILE = st.sampled_from(
    [
        "",
        " ",
        "\x00",
        "a\x00b",
        "\r\nBcc: victim@example.org",
        "<script>alert(1)</script>",
        '"><img src=x onerror=alert(1)>',
        "' OR 1=1 --",
        "%00",
        "%",
        "../../etc/passwd",
        "{{ settings.SECRET_KEY }}",
        "${jndi:ldap://x}",
        "²",
        "١٢٣",
        "٠",
        "9" * 30,
        "-1",
        "0",
        "NaN",
        "1e309",
        "[]",
        "null",
        "true",
        "on",
        "@",
        "a@b",
        "x" * 250 + "@example.org",
        "claire@exämple.org",
        "claire@[127.0.0.1]",
        "𝕮𝖍𝖔𝖗𝖚𝖘 𝕻𝖗𝖔",
        "e\u0301",
        "ﷺ" * 40,
        "\ud7ff\ue000\uffff",
        "🏳️‍🌈" * 10,
    ]
)
LONG = st.builds(
    lambda unit, size: (unit * size)[:size],
    st.text(min_size=1, max_size=3),
    st.sampled_from([129, 255, 256, 4096, 4097, 10_000]),
)
SPLICED = st.builds(lambda a, b, c: a + b + c, st.text(max_size=20), CONTROL, st.text(max_size=20))
JUNK = st.one_of(st.text(), CONTROL, HOSTILE, LONG, SPLICED)

EMAILS = st.sampled_from(["claire@example.org", "Claire.Martin@Example.ORG ", "x@example.fr"])
SIRETS = st.sampled_from(
    [journey.COMPANY_SIRET, "526 018 155 90833", journey.CLOSED_SIRET, journey.UNKNOWN_SIRET]
)
GOOD_PASSWORDS = st.sampled_from(
    ["Factur3s-Publiques!", "Une-Longue-Phrase 2026", "短い密码Ab1!xyzw"]
)
QUESTIONS = st.sampled_from(["pet", "birth_city", "custom", "", "admin"])


def altcha_payloads(form_name: str):
    """Solutions of the proof-of-work check for `form_name` (solved with the altcha library),
    and payloads that look like one and are not."""
    forged = [
        '"algorithm challenge number salt signature"',
        "[]",
        "{}",
        '{"algorithm": "SHA-256", "challenge": 1, "number": "1", "salt": [], "signature": null}',
        '{"algorithm": "SHA-256", "challenge": "a", "number": 1e400, "salt": "", "signature": ""}',
        '{"algorithm": "SHA-256", "challenge": "a", "number": true, "salt": "", "signature": ""}',
        '{"algorithm": "SHA-1", "challenge": "a", "number": 1, "salt": "?expires=x&", '
        '"signature": "a"}',
        "[" * 600 + "]" * 600,  # deep, within the length a payload may have
    ]
    return st.one_of(
        st.builds(challenges.solution, st.just(form_name)),
        st.sampled_from([base64.b64encode(text.encode()).decode() for text in forged]),
    )


AREA_CODES = st.sampled_from(
    ["issued-invoices", "commitments", "sent-requests", "work-invoices", "no-such-area"]
)


@st.composite
def form(draw, fields: dict):
    """A form body from values that pass (`fields` maps each name to a strategy of them): each
    field is then kept, replaced by junk, emptied, left out or repeated, and unknown fields
    are added. One body in five is left whole, so that the forms' success paths run too."""
    whole = draw(st.integers(0, 4)) == 0
    data = {}
    for name, good in fields.items():
        mode = "good" if whole else draw(st.sampled_from(MODES))
        if mode == "good":
            data[name] = [draw(good)]
        elif mode == "junk":
            data[name] = [draw(JUNK)]
        elif mode == "empty":
            data[name] = [""]
        elif mode == "repeated":
            data[name] = draw(st.lists(st.one_of(good, JUNK), min_size=2, max_size=3))
    if not whole:
        extra = draw(st.dictionaries(st.text(max_size=12), st.lists(JUNK, max_size=2), max_size=2))
        for name, values in extra.items():
            data.setdefault(name, values)
    return data


MODES = ["good", "good", "junk", "junk", "empty", "missing", "repeated"]
ENCODINGS = st.sampled_from(["multipart", "urlencoded"])


# -- Running one example ----------------------------------------------------------------------


def new_client(**kwargs) -> Client:
    client = Client(**kwargs)
    client.raise_request_exception = False  # a crash is a 500 response here, and a failure
    return client


def send(client, method: str, path: str, data=None, encoding="multipart"):
    """Send a request; fail with the traceback when the answer is not an allowed status."""
    data = data or {}
    if method == "GET":
        response = client.get(path, data)
    elif method == "POST" and encoding == "multipart":
        response = client.post(path, data)
    else:
        response = client.generic(
            method,
            path,
            urlencode(data, doseq=True),
            content_type="application/x-www-form-urlencoded",
        )
    if response.status_code not in ALLOWED:
        crash = "".join(traceback.format_exception(*response.exc_info)) if response.exc_info else ""
        raise AssertionError(
            f"{method} {path} answered {response.status_code}\n"
            f"data: {str(data)[:1500]!s}\n{crash[-6000:]}"
        )
    return response


def assert_nothing_half_saved() -> None:
    """The registration's all-or-nothing, and every membership with its always-on area."""
    orphans = User.objects.filter(is_staff=False, memberships__isnull=True)
    assert not orphans.exists(), f"users without a membership: {list(orphans.values('email'))}"
    empty = Structure.objects.filter(memberships__isnull=True)
    assert not empty.exists(), f"structures without a member: {list(empty.values('siret'))}"
    awaiting = Membership.objects.filter(status=Membership.Status.AWAITING_ACTIVATION)
    # The link is minted when its mail leaves: every such account has its activation mail.
    mailed = OutgoingEmail.objects.filter(kind="activation").values("user")
    no_link = awaiting.exclude(user__in=mailed).exclude(
        user__tokens__purpose=OneTimeToken.Purpose.ACTIVATION
    )
    assert not no_link.exists(), "accounts awaiting activation without any activation mail"
    stuck = awaiting.filter(user__is_active=True)
    assert not stuck.exists(), "active accounts whose membership still awaits activation"
    active_without_secret = User.objects.filter(is_active=True, secret_answer_hash="")
    assert not active_without_secret.exists(), "active accounts without a secret answer"
    always = WorkArea.objects.filter(always_on=True)
    missing = Membership.objects.exclude(area_assignments__area__in=always)
    assert not missing.exists(), "memberships without the always-on work area"


@contextmanager
def isolated(client: Client):
    """One example: empty cache (throttles, sessions), no cookies, a savepoint rolled back at
    the end. The client is the test's own: a new one would load the middleware again, and
    WhiteNoise's scan of the static files with it."""
    cache.clear()
    client.cookies.clear()
    with transaction.atomic():
        yield
        assert_nothing_half_saved()
        transaction.set_rollback(True)


def with_session(client: Client, **values) -> None:
    session = client.session
    session.update(values)
    session.save()


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        *settings.PASSWORD_HASHERS,
    ]


@pytest.fixture
def member():
    """An active primary manager (password PASSWORD, answer ANSWER) of a verified structure."""
    return MembershipFactory(primary_manager=True, user__email="manager@example.org")


# -- Registration -----------------------------------------------------------------------------


def test_step1_never_crashes():
    """Step 1 (POST /register/ and POST /) with anything in the e-mail and SIRET fields."""

    client = new_client()

    @FUZZ
    @given(
        path=st.sampled_from(["/register/", "/"]),
        data=form({"email": EMAILS, "siret": SIRETS, "altcha": altcha_payloads("step1")}),
        encoding=ENCODINGS,
    )
    def run(path, data, encoding):
        with isolated(client):
            send(client, "POST", path, data, encoding)

    run()


DETAILS = {
    "contact_email": EMAILS,
    "first_name": st.just("Claire"),
    "last_name": st.just("Martin"),
    "phone": st.sampled_from(["01 23 45 67 89", "+33 1 23 45 67 89"]),
    "company_name": st.just("Ateliers du Pont Neuf"),
    "address_line": st.just("12 bis Quai de la Garonne"),
    "address_complement": st.sampled_from(["", "Bâtiment B"]),
    "postal_code": st.sampled_from(["31000", "10117"]),
    "city": st.just("Toulouse"),
    "country": st.sampled_from(["FR", "DE", "ZZ", "fr"]),
    "non_diffusible": st.sampled_from(["on", "true", "1"]),
}


def test_step2_never_crashes():
    """Step 2 after a valid step 1, for a new structure, an existing one, one INSEE hides and
    one it cannot give."""
    MembershipFactory(primary_manager=True, structure__siret=journey.SECONDARY_SIRET)

    client = new_client()

    @FUZZ
    @given(
        siret=st.sampled_from(
            [
                journey.COMPANY_SIRET,
                journey.SECONDARY_SIRET,
                journey.NOT_PUBLIC_SIRET,
                journey.UNAVAILABLE_SIRET,
                journey.PARTIAL_SIRET,
            ]
        ),
        data=form(DETAILS),
        encoding=ENCODINGS,
    )
    def run(siret, data, encoding):
        with isolated(client):
            assert journey.step1(client, "claire@example.org", siret).status_code == 302
            response = send(client, "POST", "/register/details/", data, encoding)
            if response.status_code == 302:
                assert response["Location"] == "/register/areas/"
                send(client, "GET", "/register/areas/")

    run()


def test_step3_never_crashes_nor_half_saves():
    """Step 3 after valid steps 1 and 2: junk area codes, repeated, missing. An account is
    created whole (user, structure, membership, areas, link) or not at all."""
    MembershipFactory(
        primary_manager=True,
        structure__siret=journey.SECONDARY_SIRET,
        user__email="manager@example.org",
    )

    client = new_client()

    @FUZZ
    @given(
        siret=st.sampled_from([journey.COMPANY_SIRET, journey.SECONDARY_SIRET]),
        email=st.sampled_from(["new@example.org", "manager@example.org"]),
        data=form({"areas": AREA_CODES}),
        encoding=ENCODINGS,
    )
    def run(siret, email, data, encoding):
        with isolated(client):
            assert journey.step1(client, email, siret).status_code == 302
            assert journey.step2(client).status_code == 302
            response = send(client, "POST", "/register/areas/", data, encoding)
            if response.status_code == 302 and response["Location"] == "/register/sent/":
                user = User.objects.get(email=email)
                assert user.memberships.count() == 1
                send(client, "GET", "/register/sent/")
                send(client, "POST", "/register/resend/", data, encoding)

    run()


def test_resend_never_crashes():
    """ "Send me a new link" (POST /register/resend/) with junk fields, for an address awaiting
    activation, an unknown one, and no registration in the session. (The session holds what
    step 3 put there, an address the form validated: robots cannot write into it.)"""
    user = UserFactory(email="waiting@example.org")
    MembershipFactory(user=user, status=Membership.Status.AWAITING_ACTIVATION)
    link_create(user=user, purpose=OneTimeToken.Purpose.ACTIVATION)

    client = new_client()

    @FUZZ
    @given(
        sent_to=st.sampled_from(["waiting@example.org", "nobody@example.org", None]),
        data=form({"email": EMAILS}),
        encoding=ENCODINGS,
    )
    def run(sent_to, data, encoding):
        with isolated(client):
            if sent_to:
                with_session(client, **{SENT_KEY: sent_to})
            send(client, "POST", "/register/resend/", data, encoding)

    run()


# -- Activation, log-in, recovery -------------------------------------------------------------


@st.composite
def password_pair(draw, extra: dict):
    """A new password and its confirmation (often equal), with the form's other fields."""
    password = draw(GOOD_PASSWORDS)
    confirmation = password if draw(st.booleans()) else draw(GOOD_PASSWORDS)
    fields = {
        "password": st.just(password),
        "confirmation": st.just(confirmation),
        **extra,
    }
    return draw(form(fields))


def test_activation_never_crashes():
    """The activation page (POST /activate/ with a valid link in the session)."""
    user = UserFactory(email="newcomer@example.org")
    MembershipFactory(user=user, primary_manager=True, status=Membership.Status.AWAITING_ACTIVATION)
    _, raw = link_create(user=user, purpose=OneTimeToken.Purpose.ACTIVATION)

    client = new_client()

    @FUZZ
    @given(
        data=password_pair(
            {
                "secret_question": QUESTIONS,
                "custom_question": st.just("Name of my first boat?"),
                "answer": st.just(ANSWER),
            }
        ),
        encoding=ENCODINGS,
    )
    def run(data, encoding):
        with isolated(client):
            with_session(client, **{SESSION_KEYS[OneTimeToken.Purpose.ACTIVATION]: raw})
            response = send(client, "POST", "/activate/", data, encoding)
            if response.status_code == 302:
                user.refresh_from_db()
                assert user.is_active
                assert user.memberships.get().status == Membership.Status.ACTIVE

    run()


def test_login_never_crashes(member):
    """The log-in form (POST /login/), with junk and with the right address and password; the
    explicit example is a relative `next` without "/" or ".", once taken for a view name."""
    client = new_client()

    @FUZZ
    @example(
        data={"login-email": [member.user.email], "login-password": [PASSWORD], "next": ["null"]},
        encoding="urlencoded",
    )
    @given(
        data=form(
            {
                "login-email": st.just("manager@example.org"),
                "login-password": st.just(PASSWORD),
                "next": st.sampled_from(["/account/", "//evil.example/", "https://x", "null"]),
            }
        ),
        encoding=ENCODINGS,
    )
    def run(data, encoding):
        with isolated(client):
            send(client, "POST", "/login/", data, encoding)

    run()


def test_forgot_password_never_crashes(member):
    """ "Forgot your password?" (POST /password/forgot/)."""

    client = new_client()

    @FUZZ
    @given(data=form({"email": st.just("manager@example.org")}), encoding=ENCODINGS)
    def run(data, encoding):
        with isolated(client):
            send(client, "POST", "/password/forgot/", data, encoding)

    run()


def test_password_reset_never_crashes(member):
    """The reset page (POST /password/reset/ with a valid link in the session)."""

    client = new_client()

    @FUZZ
    @given(data=password_pair({"answer": st.just(ANSWER)}), encoding=ENCODINGS)
    def run(data, encoding):
        with isolated(client):
            _, raw = link_create(user=member.user, purpose=OneTimeToken.Purpose.PASSWORD_RESET)
            with_session(client, **{SESSION_KEYS[OneTimeToken.Purpose.PASSWORD_RESET]: raw})
            send(client, "POST", "/password/reset/", data, encoding)

    run()


# -- My account -------------------------------------------------------------------------------


ACCOUNT_FORMS = {
    "/account/": {
        "first_name": st.just("Claire"),
        "last_name": st.just("Martin"),
        "phone": st.just("01 23 45 67 89"),
        "preferred_language": st.sampled_from(["en", "fr", "de"]),
        "contact_email": EMAILS,
    },
    "/account/password/": {
        "current_password": st.just(PASSWORD),
        "password": GOOD_PASSWORDS,
        "confirmation": GOOD_PASSWORDS,
    },
    "/account/secret-question/": {
        "current_password": st.just(PASSWORD),
        "secret_question": QUESTIONS,
        "custom_question": st.sampled_from(["", "Name of my first boat?"]),
        "answer": st.just("Rex le chien"),
    },
}


@pytest.mark.parametrize("path", list(ACCOUNT_FORMS))
def test_my_account_forms_never_crash(path, member):
    """My account's forms, logged in: profile, password, secret question, work areas."""
    fields = ACCOUNT_FORMS[path]

    client = new_client()

    @FUZZ
    @given(data=form(fields), encoding=ENCODINGS)
    def run(data, encoding):
        with isolated(client):
            client.force_login(member.user)
            send(client, "POST", path, data, encoding)

    run()


def test_work_areas_form_never_crashes(member):
    """My work areas (POST /account/work-areas/ and GET ?structure=): junk area codes and junk
    structure ids; the explicit examples are the digits Python's isdigit() accepts and int()
    refuses or reads (², ١), and an id beyond PostgreSQL's bigint."""
    other = MembershipFactory()  # a structure the member does not belong to

    client = new_client()

    @FUZZ
    @example(data={"structure": ["²"], "areas": ["commitments"]}, encoding="urlencoded")
    @example(data={"structure": ["١"]}, encoding="multipart")
    @example(data={"structure": ["9" * 25]}, encoding="multipart")
    @given(
        data=form(
            {
                "areas": AREA_CODES,
                "structure": st.sampled_from(
                    [str(member.structure_id), str(other.structure_id), "0", "", "²", "١"]
                ),
            }
        ),
        encoding=ENCODINGS,
    )
    def run(data, encoding):
        with isolated(client):
            client.force_login(member.user)
            send(client, "POST", "/account/work-areas/", data, encoding)
            send(client, "GET", "/account/work-areas/", {"structure": data.get("structure", [])})

    run()


# -- Structures and join requests -------------------------------------------------------------


def test_structure_page_never_crashes(member):
    """The structure page of its primary manager: the edit form and the transfer form."""
    colleague = MembershipFactory(structure=member.structure)
    fields = {
        "name": st.just("Ateliers du Pont Neuf"),
        **{k: v for k, v in DETAILS.items() if k not in ("company_name", "first_name")},
        "transfer": st.sampled_from(["1", ""]),
        "member": st.sampled_from([str(colleague.pk), str(member.pk), "0"]),
        "password": st.just(PASSWORD),
    }

    client = new_client()

    @FUZZ
    @given(data=form(fields), encoding=ENCODINGS)
    def run(data, encoding):
        with isolated(client):
            client.force_login(member.user)
            send(client, "POST", f"/structures/{member.structure_id}/", data, encoding)

    run()


def test_join_decision_never_crashes(member):
    """Approve / Refuse (POST /structure/requests/<pk>/decide/) with junk actions and reasons,
    on the pending request, on the manager's own membership and on no membership at all."""
    pending = MembershipFactory(structure=member.structure, requested=True)

    client = new_client()

    @FUZZ
    @given(
        pk=st.sampled_from([pending.pk, member.pk, 0, 10**20]),
        data=form(
            {
                "action": st.sampled_from(["approve", "refuse"]),
                "reason": st.just("Not one of us"),
            }
        ),
        encoding=ENCODINGS,
    )
    def run(pk, data, encoding):
        with isolated(client):
            client.force_login(member.user)
            send(client, "POST", f"/structure/requests/{pk}/decide/", data, encoding)

    run()


# -- Help desk and language -------------------------------------------------------------------


def test_help_question_never_crashes():
    """ "Ask a question" (POST /help/ask/)."""

    client = new_client()

    @FUZZ
    @given(
        data=form(
            {
                "name": st.just("Claire Martin"),
                "email": EMAILS,
                "siret": SIRETS,
                "subject": st.sampled_from([*Question.Subject.values, "no-such-subject"]),
                "message": st.just("How do I find my SIRET, please?"),
                "altcha": altcha_payloads("help_question"),
            }
        ),
        encoding=ENCODINGS,
    )
    def run(data, encoding):
        with isolated(client):
            send(client, "POST", "/help/ask/", data, encoding)

    run()


def test_language_switch_never_crashes():
    """The header's language buttons (POST /i18n/setlang/)."""

    client = new_client()

    @FUZZ
    @given(
        data=form(
            {
                "language": st.sampled_from(["en", "fr", "de", "fr-FR"]),
                "next": st.sampled_from(["/", "/register/details/", "//evil.example/"]),
            }
        ),
        encoding=ENCODINGS,
    )
    def run(data, encoding):
        with isolated(client):
            send(client, "POST", "/i18n/setlang/", data, encoding)

    run()


# -- Every URL: paths, query strings, methods, CSRF -------------------------------------------


def _urls(member, pending) -> list[str]:
    return [
        "/",
        "/register/",
        "/register/details/",
        "/register/areas/",
        "/register/sent/",
        "/register/resend/",
        "/activate/",
        "/activate/done/",
        "/activate/resend/",
        "/activate/abc/",
        "/login/",
        "/logout/",
        "/password/forgot/",
        "/password/reset/",
        "/password/reset/abc/",
        "/dashboard/",
        "/dashboard/areas/issued-invoices/",
        "/account/",
        "/account/password/",
        "/account/secret-question/",
        "/account/work-areas/",
        "/account/contact-email/abc/",
        "/account/contact-email/",
        "/mailbox/",
        "/structure/requests/",
        f"/structure/requests/{pending.pk}/decide/",
        f"/structure/requests/{pending.pk}/again/",
        f"/structures/{member.structure_id}/",
        "/help/",
        "/help/ask/",
        "/help/sent/",
        "/i18n/setlang/",
        "/jsi18n/",
        "/healthz",
        "/admin/login/",
    ]


FORM_URLS = [
    "/",
    "/register/",
    "/register/details/",
    "/register/areas/",
    "/register/resend/",
    "/activate/",
    "/activate/resend/",
    "/login/",
    "/logout/",
    "/password/forgot/",
    "/password/reset/",
    "/account/",
    "/account/password/",
    "/account/secret-question/",
    "/account/work-areas/",
    "/account/contact-email/",
    "/help/ask/",
    "/i18n/setlang/",
]


@pytest.mark.parametrize("logged_in", [False, True], ids=["anonymous", "logged-in"])
def test_wrong_methods_are_refused_cleanly(logged_in, member):
    """PUT, PATCH, DELETE (and OPTIONS) on every URL: never a 500, and nothing changes."""
    pending = MembershipFactory(structure=member.structure, requested=True)
    client = new_client()
    if logged_in:
        client.force_login(member.user)
    journey.step1(client, "claire@example.org", journey.COMPANY_SIRET)
    for url in _urls(member, pending):
        for method in ("PUT", "PATCH", "DELETE", "OPTIONS"):
            send(client, method, url, {"email": "x@example.org", "areas": ["x"]})
    pending.refresh_from_db()
    assert pending.status == Membership.Status.REQUESTED
    assert_nothing_half_saved()


def test_query_strings_and_paths_never_crash(member):
    """GET on every URL with junk query strings, and junk in every path parameter (the
    mails' links included, followed to the page they lead to, then posted to)."""
    pending = MembershipFactory(structure=member.structure, requested=True)
    urls = _urls(member, pending)
    templates = [
        "/activate/{}/",
        "/password/reset/{}/",
        "/account/contact-email/{}/",
        "/dashboard/areas/{}/",
        "/structures/{}/",
        "/structure/requests/{}/decide/",
        "/{}",
        "/static/{}",
    ]

    client = new_client()

    @FUZZ
    @given(
        url=st.sampled_from(urls),
        query=st.dictionaries(
            st.sampled_from(["next", "structure", "subject", "page", "lang"]) | st.text(max_size=8),
            st.lists(st.one_of(JUNK, st.sampled_from(["1", "/account/", "siret"])), max_size=3),
            max_size=3,
        ),
        template=st.sampled_from(templates),
        segment=st.one_of(JUNK, st.sampled_from(["1", "0", "9" * 25, "issued-invoices"])),
        logged_in=st.booleans(),
    )
    def run(url, query, template, segment, logged_in):
        with isolated(client):
            if logged_in:
                client.force_login(member.user)
            send(client, "GET", url, query)
            response = send(client, "GET", template.format(quote(segment, safe="")))
            # The links from mails store their secret in the session and redirect: follow.
            if response.status_code == 302 and response["Location"].startswith("/"):
                send(client, "GET", response["Location"])
                send(client, "POST", response["Location"])

    run()


@pytest.mark.filterwarnings("ignore::django.core.cache.CacheKeyWarning")  # memcached-only
def test_headers_and_cookies_never_crash(member):
    """Junk in the headers a browser sends: Accept-Language, the session, CSRF and language
    cookies, Referer, X-Forwarded-For, User-Agent, Host."""
    client = new_client()
    headers = {
        "HTTP_ACCEPT_LANGUAGE": st.one_of(JUNK, st.sampled_from(["fr-FR,fr;q=0.9", "*", "xx"])),
        "HTTP_COOKIE": st.builds(
            "{}={}".format,
            st.sampled_from(["sessionid", "csrftoken", "django_language", ""]),
            st.one_of(JUNK, st.sampled_from(["fr", "0" * 32, "a" * 64])),
        ),
        "HTTP_REFERER": JUNK,
        "HTTP_X_FORWARDED_FOR": st.one_of(JUNK, st.just("203.0.113.7, 10.0.0.1")),
        "HTTP_USER_AGENT": JUNK,
        "HTTP_HOST": st.one_of(JUNK, st.sampled_from(["localhost", "127.0.0.1:8000"])),
    }

    @FUZZ
    @given(
        method=st.sampled_from(["GET", "POST"]),
        url=st.sampled_from(["/", "/login/", "/register/details/", "/dashboard/", "/help/"]),
        extra=st.fixed_dictionaries({}, optional=headers),
        logged_in=st.booleans(),
    )
    def run(method, url, extra, logged_in):
        with isolated(client):
            if logged_in:
                client.force_login(member.user)
            # A WSGI server hands headers over as bytes decoded from ISO-8859-1 (PEP 3333).
            extra = {k: v.encode("utf-8").decode("iso-8859-1") for k, v in extra.items()}
            response = client.generic(method, url, **extra)
            assert response.status_code in ALLOWED, (
                method,
                url,
                extra,
                response.status_code,
                "".join(traceback.format_exception(*response.exc_info))[-6000:]
                if response.exc_info
                else "",
            )

    run()


@pytest.mark.parametrize("url", FORM_URLS)
def test_forms_without_csrf_token_get_the_expired_form_page(url, member):
    """A POST without the CSRF token is answered by the site's own 403 page."""
    client = new_client(enforce_csrf_checks=True)
    client.force_login(member.user)
    response = send(client, "POST", url, {"email": "claire@example.org"})
    assert response.status_code == 403
    assert "This form has expired" in response.content.decode()
