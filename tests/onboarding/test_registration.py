"""Registration steps 1 to 3, through the views, against the INSEE stub."""

import base64
import json
import re
from datetime import timedelta

import pytest
from altcha import v1
from django.contrib.auth.hashers import is_password_usable
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from accounts.models import OneTimeToken, User
from common import altcha
from outbox.models import OutgoingEmail
from structures.models import Membership, Structure
from tests import challenges, journey
from tests.factories import MembershipFactory, UserFactory
from tests.mail import deliver

pytestmark = pytest.mark.django_db


def _input_tag(page: str, element_id: str) -> str:
    """The whole <input …> tag carrying this id."""
    match = re.search(rf'<input[^>]*id="{element_id}"[^>]*>', page)
    assert match, element_id
    return match.group(0)


def test_home_shows_both_blocks(client):
    """The home page offers step 1 with its labels and caution, and the log-in block."""
    page = client.get("/").content.decode()
    assert "New on Chorus Pro?" in page
    assert '<label for="id_email">Login email' in page
    assert '<label for="id_siret">Company registration number' in page
    assert "not the number of your public customer" in page
    assert 'action="/login/"' in page


def test_step1_errors_are_next_to_the_field_and_input_kept(client):
    """A bad SIRET is explained next to its field, linked by aria-describedby, input kept."""
    response = journey.step1(client, "claire@example.org", "1234")
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_siret-error"' in page
    assert 'aria-describedby="id_siret-hint id_siret-error"' in page
    assert 'aria-invalid="true"' in page
    assert 'value="1234"' in page
    assert 'value="claire@example.org"' in page
    assert 'id="error-summary"' in page


def test_step1_rejects_bad_email(client):
    """An address without a domain is refused in plain words."""
    page = journey.step1(client, "claire@", journey.COMPANY_SIRET).content.decode()
    assert "Enter an e-mail address in the form name@example.fr." in page


def test_step1_email_is_normalised(client):
    """The login e-mail is trimmed and lower-cased in the draft."""
    journey.step1(client, "  Claire.Martin@Example.ORG ", journey.COMPANY_SIRET)
    assert client.session["registration"]["email"] == "claire.martin@example.org"


def test_step1_accepts_spaces_and_dots_in_siret(client):
    """ "526 018 155.90833" is the same SIRET as its 14 digits."""
    response = journey.step1(client, "a@example.org", "526 018 155.908-33")
    assert response.status_code == 302
    assert client.session["registration"]["siret"] == journey.COMPANY_SIRET


def test_found_goes_to_step2_autofilled(client):
    """An active establishment known to INSEE fills in step 2."""
    response = journey.step1(client, "a@example.org", journey.COMPANY_SIRET)
    assert response["Location"] == "/register/details/"
    page = client.get("/register/details/").content.decode()
    assert 'value="ATELIERS DU PONT NEUF"' in page or "ATELIERS DU PONT NEUF" in page
    assert 'value="Toulouse"' in page
    assert 'value="31000"' in page
    assert "filled in from the INSEE register" in page


def test_not_found_stays_on_step1(client):
    """A SIRET unknown to INSEE keeps the user on step 1 with the message."""
    page = journey.step1(client, "a@example.org", journey.UNKNOWN_SIRET).content.decode()
    assert "This SIRET is not in the INSEE register" in page
    assert "registration" not in client.session


def test_closed_establishment_stays_on_step1(client):
    """A closed establishment is refused with a clear error."""
    page = journey.step1(client, "a@example.org", journey.CLOSED_SIRET).content.decode()
    assert "This establishment is closed in the INSEE register" in page


def test_not_public_goes_to_step2_with_box_ticked_and_empty_fields(client):
    """INSEE's 403 leads to step 2 with "INSEE not diffusible" ticked and nothing filled in."""
    journey.step1(client, "a@example.org", journey.NOT_PUBLIC_SIRET)
    page = client.get("/register/details/").content.decode()
    assert "checked" in _input_tag(page, "id_non_diffusible")
    assert 'name="company_name"' in page
    assert 'id="address-fields" data-masked-by="id_non_diffusible" hidden' in page


def test_partially_diffusible_never_shows_nd(client):
    """No "[ND]" reaches a page for a partially diffusible establishment."""
    journey.step1(client, "a@example.org", journey.PARTIAL_SIRET)
    page = client.get("/register/details/").content.decode()
    assert "[ND]" not in page
    assert 'id="address-fields" data-masked-by="id_non_diffusible" hidden' in page


def test_unavailable_gives_editable_empty_step2_and_unverified_structure(client):
    """INSEE down: step 2 with a notice and empty fields; the structure is saved not verified."""
    journey.step1(client, "a@example.org", journey.UNAVAILABLE_SIRET)
    page = client.get("/register/details/").content.decode()
    assert "could not be reached" in page
    assert "value=" not in _input_tag(page, "id_company_name")
    journey.step2(client)
    journey.step3(client)
    structure = Structure.objects.get(siret=journey.UNAVAILABLE_SIRET)
    assert structure.verification == Structure.Verification.PENDING
    assert structure.insee_snapshot is None


def test_existing_structure_is_shown_read_only_with_join_message(client):
    """A SIRET already in the portal, with an active manager, shows that structure and asks
    only personal fields."""
    structure = MembershipFactory(
        primary_manager=True,
        structure__siret=journey.COMPANY_SIRET,
        structure__name="Ateliers du Pont Neuf",
    ).structure
    journey.step1(client, "new@example.org", structure.siret)
    page = client.get("/register/details/").content.decode()
    assert "is already registered on Chorus Pro" in page
    assert "request to join it will be sent to its manager" in page
    assert 'name="company_name"' not in page
    assert 'name="first_name"' in page
    assert "12 bis Quai de la Garonne" in page


def test_existing_non_diffusible_structure_masks_its_address(client):
    """The address of an existing non-diffusible structure is not shown to a newcomer."""
    structure = MembershipFactory(
        primary_manager=True, structure__siret=journey.COMPANY_SIRET, structure__non_diffusible=True
    ).structure
    journey.step1(client, "new@example.org", structure.siret)
    page = client.get("/register/details/").content.decode()
    assert structure.address_line not in page
    assert "Hidden (INSEE not diffusible)" in page


def test_step2_without_step1_goes_back_to_step1(client):
    """Opening step 2 (or 3) directly leads back to step 1."""
    assert client.get("/register/details/")["Location"] == "/"
    assert client.get("/register/areas/")["Location"] == "/"


def test_step2_option_button_and_contact_email(client):
    """The Option "+" button is a real button with aria-expanded; the contact e-mail defaults
    to the login e-mail."""
    journey.step1(client, "a@example.org", journey.COMPANY_SIRET)
    page = client.get("/register/details/").content.decode()
    assert '<button type="button" class="toggle-button" data-toggle="contact-email-group"' in page
    assert 'aria-expanded="false"' in page
    assert 'name="contact_email" value="a@example.org"' in page
    assert ">Login email address<" in page
    assert 'value="a@example.org" readonly' in page


def test_step2_required_fields_and_asterisks(client):
    """Missing names are refused next to the field; required fields carry the asterisk."""
    journey.step1(client, "a@example.org", journey.COMPANY_SIRET)
    page = journey.step2(client, first_name="", last_name="").content.decode()
    assert "Enter your first name." in page
    assert "Enter your last name." in page
    assert '<span class="required" aria-hidden="true">*</span>' in page
    assert "Fields marked * are required." in page


def test_step2_non_diffusible_makes_the_address_optional(client):
    """With the box ticked the address may stay empty."""
    journey.step1(client, "a@example.org", journey.COMPANY_SIRET)
    response = journey.step2(
        client, non_diffusible="on", address_line="", postal_code="", city="", country=""
    )
    assert response.status_code == 302
    response = journey.step2(client, address_line="", postal_code="", city="")
    assert "Enter the address of the establishment." in response.content.decode()


def test_step2_french_postal_code_has_five_digits(client):
    """A French postal code must have 5 digits; a foreign one is free."""
    journey.step1(client, "a@example.org", journey.COMPANY_SIRET)
    page = journey.step2(client, postal_code="3100").content.decode()
    assert "A French postal code has 5 digits" in page
    assert journey.step2(client, postal_code="D-10115", country="DE").status_code == 302


def test_back_and_forward_keep_what_was_typed(client):
    """Coming back to step 2 shows what was typed, not INSEE's values again."""
    journey.step1(client, "a@example.org", journey.COMPANY_SIRET)
    journey.step2(client, first_name="Amélie", company_name="Mon nom à moi")
    page = client.get("/register/details/").content.decode()
    assert 'value="Amélie"' in page
    assert 'value="Mon nom à moi"' in page
    journey.step1(client, "a@example.org", journey.COMPANY_SIRET)
    assert 'value="Mon nom à moi"' in client.get("/register/details/").content.decode()


def test_step3_shows_the_catalogue_as_switches(client):
    """Every area has a switch named by the area; Issued invoices on, Sent requests locked."""
    journey.step1(client, "a@example.org", journey.COMPANY_SIRET)
    journey.step2(client)
    page = client.get("/register/areas/").content.decode()
    assert "Welcome Ateliers du Pont Neuf" in page
    assert "a@example.org is being created" in page
    assert page.count('role="switch"') == 9
    assert 'aria-labelledby="area-name-issued-invoices"' in page
    assert '<th scope="row" id="area-name-issued-invoices">Issued invoices</th>' in page
    issued = page.split('id="area-issued-invoices"')[1].split(">")[0]
    assert "checked" in issued
    sent = page.split('id="area-sent-requests"')[1].split(">")[0]
    assert "checked" in sent and "disabled" in sent
    commitments = page.split('id="area-commitments"')[1].split(">")[0]
    assert "checked" not in commitments


def test_validate_creates_everything_at_once(client):
    """Validate creates structure, inactive user, primary-manager membership, areas, token and
    the outgoing mail, then confirms."""
    response = journey.register(
        client, "claire@example.org", areas=["issued-invoices", "commitments"]
    )
    assert response["Location"] == "/register/sent/"
    user = User.objects.get(email="claire@example.org")
    assert not user.is_active
    assert not is_password_usable(user.password)
    structure = Structure.objects.get(siret=journey.COMPANY_SIRET)
    assert structure.verification == Structure.Verification.VERIFIED
    assert structure.insee_snapshot["etablissement"]["siret"] == journey.COMPANY_SIRET
    membership = Membership.objects.get(user=user)
    assert membership.role == Membership.Role.PRIMARY_MANAGER
    assert membership.status == Membership.Status.AWAITING_ACTIVATION
    codes = set(membership.area_assignments.values_list("area__code", flat=True))
    assert codes == {"issued-invoices", "commitments", "sent-requests"}
    mail = OutgoingEmail.objects.get(to="claire@example.org")
    assert mail.subject == "Activate your Chorus Pro account"
    assert not OneTimeToken.objects.exists()  # minted when the mail leaves
    deliver(to="claire@example.org")
    assert OneTimeToken.objects.filter(user=user, purpose="activation").usable().count() == 1
    page = client.get("/register/sent/").content.decode()
    assert (
        "Your account is created and an activation e-mail has been sent to claire@example.org."
        in page
    )
    assert "valid for 60 minutes" in page
    assert "Send me a new link" in page


def test_validate_rolls_back_everything_on_failure(client, monkeypatch):
    """If any part fails, nothing is saved, the user sees a clear error and the draft stays."""
    from django.db import DatabaseError

    from accounts.services import links

    def broken(*args, **kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr(links, "email_queue", broken)
    journey.step1(client, "claire@example.org", journey.COMPANY_SIRET)
    journey.step2(client)
    response = journey.step3(client)
    assert response.status_code == 200
    assert "Nothing was saved" in response.content.decode()
    assert not User.objects.filter(email="claire@example.org").exists()
    assert not Structure.objects.filter(siret=journey.COMPANY_SIRET).exists()
    assert not OutgoingEmail.objects.exists()
    assert client.session["registration"]["details"]["first_name"] == "Claire"


def test_registering_an_existing_structure_creates_a_join_membership(client):
    """A newcomer to an existing structure is a plain user awaiting activation."""
    manager = MembershipFactory(primary_manager=True, structure__siret=journey.COMPANY_SIRET)
    journey.step1(client, "newcomer@example.org", journey.COMPANY_SIRET)
    journey.step2(client)
    journey.step3(client)
    membership = Membership.objects.get(user__email="newcomer@example.org")
    assert membership.structure == manager.structure
    assert membership.role == Membership.Role.USER
    assert Structure.objects.count() == 1


def test_existing_active_account_gets_a_mail_not_a_second_account(client):
    """Same confirmation page; the address is told an account exists; nothing is created."""
    UserFactory(email="taken@example.org", active=True)
    response = journey.register(client, "taken@example.org")
    assert response["Location"] == "/register/sent/"
    assert User.objects.filter(email="taken@example.org").count() == 1
    mail = OutgoingEmail.objects.get(to="taken@example.org")
    assert mail.kind == "account_exists"
    assert "/login/" in mail.body_text and "/password/forgot/" in mail.body_text
    assert not Structure.objects.exists()


def test_registering_again_before_activation_sends_a_new_link(client):
    """An account never activated is registered again (a minute later) with a new link; the
    old one stops working."""
    journey.register(client, "again@example.org")
    old_path = journey.activation_path("again@example.org")
    cache.clear()  # a minute later: the per-address limit of registrations has passed
    journey.register(client, "Again@Example.org")
    new_path = journey.activation_path("again@example.org")
    assert new_path != old_path
    assert OneTimeToken.objects.filter(user__email="again@example.org").usable().count() == 1
    assert User.objects.filter(email="again@example.org").count() == 1
    client.get(old_path)
    assert "This link is not valid" in client.get("/activate/").content.decode()


def test_resend_is_throttled_and_neutral(client):
    """ "Send me a new link": a new token at most once a minute, same message every time."""
    journey.register(client, "resend@example.org")
    first = client.post("/register/resend/", follow=True).content.decode()
    second = client.post("/register/resend/", follow=True).content.decode()
    assert "If an account is waiting for activation at this address" in first
    assert "If an account is waiting for activation at this address" in second
    assert OutgoingEmail.objects.filter(to="resend@example.org").count() == 2


def test_country_select_keeps_the_choice_in_each_language(client):
    """The country of a foreign establishment is selected, with names in the page's language."""
    journey.step1(client, "a@example.org", journey.FOREIGN_SIRET)
    page = client.get("/register/details/").content.decode()
    assert '<option value="DE" selected>Germany</option>' in page
    assert '<option value="FR">France</option>' in page
    client.post("/i18n/setlang/", {"language": "fr", "next": "/"})
    page = client.get("/register/details/").content.decode()
    assert '<option value="DE" selected>Allemagne</option>' in page


def _age_draft(client, hours: float) -> None:
    from datetime import timedelta

    from django.utils import timezone

    session = client.session
    draft = session["registration"]
    draft["started_at"] = (timezone.now() - timedelta(hours=hours)).isoformat()
    session["registration"] = draft
    session.save()


def test_a_draft_older_than_two_hours_starts_over_with_a_message(client):
    """Step 2 of a draft begun more than two hours ago sends the person back to step 1, says
    why, and keeps nothing of the old draft."""
    journey.step1(client, "claire@example.org", journey.COMPANY_SIRET)
    journey.step2(client)
    _age_draft(client, hours=2.1)
    response = client.get("/register/details/", follow=True)
    page = response.content.decode()
    assert response.redirect_chain[-1][0] == "/"
    assert "more than two hours ago" in page
    assert "registration" not in client.session
    assert 'value="claire@example.org"' not in page


def test_a_draft_younger_than_two_hours_is_kept(client):
    """Within two hours, step 2 shows what the person typed."""
    journey.step1(client, "claire@example.org", journey.COMPANY_SIRET)
    journey.step2(client, first_name="Céline")
    _age_draft(client, hours=1.9)
    page = client.get("/register/details/").content.decode()
    assert 'value="Céline"' in page


def test_the_draft_keeps_the_insee_establishment_as_a_typed_value(client):
    """What INSEE said survives the session round trip as an Establishment, not a dict."""
    from onboarding.draft import Lookup, RegistrationDraft
    from structures.sirene import Establishment

    journey.step1(client, "claire@example.org", journey.COMPANY_SIRET)
    draft = RegistrationDraft.from_session(client.session)
    assert draft.lookup == Lookup.FOUND
    assert isinstance(draft.establishment, Establishment)
    assert draft.establishment.siret == journey.COMPANY_SIRET
    assert draft.establishment.city == "Toulouse"


# Mail abuse ---------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["Claire\nBcc: victim@example.org", "Claire\u2028Martin"])
def test_names_refuse_line_breaks(client, value):
    """A name, a company name or an address with a line break (any Unicode one) is refused
    next to the field, and nothing typed is lost."""
    journey.step1(client, "claire@example.org", journey.COMPANY_SIRET)
    page = journey.step2(client, first_name=value, company_name=value).content.decode()
    assert page.count("Write this on a single line") >= 2
    assert 'value="Martin"' in page


def test_the_activation_mail_does_not_echo_what_the_visitor_typed(client):
    """The address is not proven yet: the activation mail carries none of the names typed at
    step 2 (nobody can make the portal mail a message of their own to a stranger)."""
    journey.register(
        client, "victim@example.org", first_name="Win a prize at evil.example", last_name="Now"
    )
    mail = OutgoingEmail.objects.get(kind="activation")
    assert "evil.example" not in mail.body_text + mail.body_html + mail.subject


def test_registering_a_pending_address_again_replaces_its_details(client):
    """A registration never activated is replaced by the next one: the newest contact e-mail
    and names win, only the newest link works, the first mail never leaves."""
    journey.register(client, "target@example.org", contact_email="attacker@example.org")
    client.cookies.clear()
    other = Client(REMOTE_ADDR="10.0.0.7")
    journey.register(other, "target@example.org", first_name="Real", last_name="Owner")
    user = User.objects.get(email="target@example.org")
    assert (user.first_name, user.contact_email) == ("Real", "target@example.org")
    sent = deliver(to="target@example.org")
    assert len(sent) == 1
    assert User.objects.filter(email="target@example.org").count() == 1
    assert Membership.objects.filter(user=user).count() == 1


def test_registering_again_obeys_the_per_address_limit(client):
    """Step 3 for the same address and IP twice in a minute sends one mail only, and both
    times the person sees the same page."""
    first = journey.register(client, "again-fast@example.org")
    second = journey.register(client, "again-fast@example.org")
    assert first["Location"] == second["Location"] == "/register/sent/"
    assert OutgoingEmail.objects.filter(to="again-fast@example.org").count() == 1


def test_a_stranger_cannot_use_up_the_resend_budget_of_an_address(client):
    """ "Send me a new link" is counted per address and IP: requests from another IP do not
    stop the owner's own."""
    journey.register(client, "owner@example.org")
    stranger = Client(REMOTE_ADDR="10.9.9.9")
    stranger.get("/")
    session = stranger.session
    session["registration_sent_to"] = "owner@example.org"
    session.save()
    for _ in range(6):
        stranger.post("/register/resend/")
    before = OutgoingEmail.objects.filter(to="owner@example.org").count()
    client.post("/register/resend/")
    assert OutgoingEmail.objects.filter(to="owner@example.org").count() == before + 1


# What a stranger may see ---------------------------------------------------------------------


def test_a_non_diffusible_structure_is_not_named_to_a_newcomer(client):
    """At steps 2 and 3, a newcomer reads that the structure is registered, never its name."""
    MembershipFactory(
        primary_manager=True,
        structure__siret=journey.COMPANY_SIRET,
        structure__name="Marie Dupont",
        structure__non_diffusible=True,
    )
    journey.step1(client, "newcomer@example.org", journey.COMPANY_SIRET)
    step2 = client.get("/register/details/").content.decode()
    assert "Marie Dupont" not in step2
    assert "This structure is already registered on Chorus Pro" in step2
    journey.step2(client)
    step3 = client.get("/register/areas/").content.decode()
    assert "Marie Dupont" not in step3


def test_a_requester_sees_no_name_of_a_non_diffusible_structure_until_approved(client):
    """In "Sent requests" and in the refusal mail, the requester reads the SIRET only."""
    manager = MembershipFactory(
        primary_manager=True, structure__name="Marie Dupont", structure__non_diffusible=True
    )
    requester = MembershipFactory(structure=manager.structure, requested=True)
    client.force_login(requester.user)
    page = client.get("/dashboard/areas/sent-requests/").content.decode()
    assert "Marie Dupont" not in page
    assert manager.structure.siret in page
    from structures.services import join_request_refuse

    join_request_refuse(membership_id=requester.pk, decided_by=manager.user, reason="")
    refusal = OutgoingEmail.objects.get(kind="join_decision")
    assert "Marie Dupont" not in refusal.subject + refusal.body_text + refusal.body_html


# -- Step 1: the INSEE quota and robots --------------------------------------------------------


def _step1_data(**extra):
    return {"email": "claire@example.org", "siret": journey.COMPANY_SIRET, **extra}


def test_step1_lookups_per_ip_are_a_small_share_of_the_insee_quota(client, steady_rate_windows):
    """STEP1_LOOKUPS_PER_IP (3/m, 20/h): three solved look-ups a minute from one IP, the fourth
    gets the 429 page and no look-up; another IP is not concerned."""
    for _ in range(3):
        assert journey.step1(client, "claire@example.org", journey.COMPANY_SIRET).status_code == 302
    robot = Client()  # same IP, new session
    response = journey.step1(robot, "claire@example.org", journey.COMPANY_SIRET)
    assert response.status_code == 429
    assert "registration" not in robot.session
    other = journey.step1(
        client, "claire@example.org", journey.COMPANY_SIRET, REMOTE_ADDR="192.0.2.9"
    )
    assert other.status_code == 302


def test_step1_page_challenge_solved_is_accepted(client):
    """The home page carries a challenge and its status line; solved (with the altcha
    library's solver), it lets step 1 through."""
    page = client.get("/").content.decode()
    (challenge,) = challenges.challenges_in(page)
    assert 'class="altcha-status" role="status" aria-live="polite"' in page
    response = client.post("/register/", _step1_data(altcha=challenges.solve(challenge)))
    assert response["Location"] == "/register/details/"


@pytest.mark.parametrize(
    "payload",
    [
        "not base64 at all",
        "bm90IGpzb24=",  # "not json"
        "WyJhbGdvcml0aG0iXQ==",  # ["algorithm"]
        "help_question",  # a solution found for the help desk's form
        "tampered",  # a real solution with another number
    ],
)
def test_step1_invalid_solution_is_refused_with_input_kept(client, payload):
    """A forged solution is refused with a message next to the form; what was typed stays and
    INSEE is not asked."""
    if payload == "help_question":
        payload = challenges.solution("help_question")
    elif payload == "tampered":
        data = json.loads(base64.b64decode(challenges.solution("step1")))
        data["number"] += 1
        payload = base64.b64encode(json.dumps(data).encode()).decode()
    response = client.post("/register/", _step1_data(altcha=payload))
    page = response.content.decode()
    assert response.status_code == 200
    assert "The automatic check that a person is sending this form did not pass" in page
    assert 'id="error-summary"' in page
    assert 'value="claire@example.org"' in page and f'value="{journey.COMPANY_SIRET}"' in page
    assert "registration" not in client.session
    assert len(challenges.challenges_in(page)) == 1  # a new one, to send again


def test_step1_replayed_solution_is_refused(client):
    """A solution works once: sent again (another browser, the same robot), it is refused."""
    solution = challenges.solution("step1")
    assert client.post("/register/", _step1_data(altcha=solution)).status_code == 302
    replay = Client().post("/register/", _step1_data(altcha=solution))
    assert replay.status_code == 200
    assert "did not pass" in replay.content.decode()


def test_step1_without_javascript_works_at_a_stricter_rate(client, steady_rate_windows):
    """Without a solution the form still works, but counts against the stricter
    STEP1_LOOKUPS_PER_IP_WITHOUT_CHALLENGE (1/m, 5/h): the second in a minute gets 429, while
    a browser that solves the check still goes through."""
    first = journey.step1(client, "claire@example.org", journey.COMPANY_SIRET, solved=False)
    assert first.status_code == 302
    second = journey.step1(client, "claire@example.org", journey.COMPANY_SIRET, solved=False)
    assert second.status_code == 429
    solved = journey.step1(client, "claire@example.org", journey.COMPANY_SIRET)
    assert solved.status_code == 302


def test_step1_expired_solution_counts_as_none(client, steady_rate_windows):
    """A genuine solution whose challenge expired (10 minutes) is not refused: it is taken as
    no solution, so the stricter rate applies."""
    expired = v1.create_challenge(
        v1.ChallengeOptions(
            max_number=1000,
            hmac_key=altcha.hmac_key(),
            expires=timezone.now() - timedelta(seconds=1),
            params={"form": "step1"},
        )
    )
    payload = challenges.solve(expired.to_dict())
    assert client.post("/register/", _step1_data(altcha=payload)).status_code == 302
    again = client.post("/register/", _step1_data(altcha=payload))
    assert again.status_code == 429
