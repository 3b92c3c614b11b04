"""Step 4: the activation link opens the page where the password and secret question are set."""

from django.db import transaction
from django.utils import timezone

from accounts import audit, secret
from accounts.flows.tokens import find_token
from accounts.models import AuditEvent, OneTimeToken, User, hash_token
from structures.models import Membership

SESSION_KEY = "activation_token"


class State:
    VALID = "valid"
    EXPIRED = "expired"
    USED = "used"
    REPLACED = "replaced"
    ALREADY_ACTIVE = "already_active"
    INVALID = "invalid"


def link_state(raw: str | None) -> tuple[str, OneTimeToken | None]:
    """What the page should show for this link, and its token when there is one."""
    token = find_token(raw or "", OneTimeToken.Purpose.ACTIVATION)
    return _state_of(token), token


def _state_of(token: OneTimeToken | None) -> str:
    if token is None:
        return State.INVALID
    if token.used_at:
        return State.USED
    if token.user.is_active or token.user.activated_at:
        return State.ALREADY_ACTIVE
    if token.revoked_at:
        return State.REPLACED
    if token.expires_at <= timezone.now():
        return State.EXPIRED
    return State.VALID


class ActivationRefused(Exception):
    def __init__(self, state: str):
        super().__init__(state)
        self.state = state


@transaction.atomic
def activate_account(*, raw_token: str, password: str, question: str, answer: str) -> User:
    """Set the password and secret answer, consume the link and activate the account and its
    membership: the first person of a new structure becomes its primary manager; someone who
    asked to join an existing structure now has a pending join request."""
    # One query locks the link and its user (FOR UPDATE covers both joined rows), so two
    # posts of the same link cannot both activate.
    token = (
        OneTimeToken.objects.select_for_update()
        .select_related("user")
        .filter(token_hash=hash_token(raw_token or ""), purpose=OneTimeToken.Purpose.ACTIVATION)
        .first()
    )
    state = _state_of(token)
    if state != State.VALID:
        raise ActivationRefused(state)
    now = timezone.now()
    user = token.user
    user.set_password(password)
    user.secret_question = question
    user.secret_answer_hash = secret.hash_answer(answer)
    user.is_active = True
    user.activated_at = now
    user.save(
        update_fields=[
            "password",
            "secret_question",
            "secret_answer_hash",
            "is_active",
            "activated_at",
        ]
    )
    # Older activation links were revoked when this one was issued.
    token.used_at = now
    token.save(update_fields=["used_at"])
    audit.record(AuditEvent.Kind.ACTIVATION, user=user)
    from structures.services import join_request_submit

    for membership in Membership.objects.select_related("structure").filter(
        user=user, status=Membership.Status.AWAITING_ACTIVATION
    ):
        if membership.role == Membership.Role.PRIMARY_MANAGER:
            membership.status = Membership.Status.ACTIVE
            membership.decided_at = now
            membership.save(update_fields=["status", "decided_at"])
        else:
            join_request_submit(membership=membership)
    return user
