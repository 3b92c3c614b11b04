"""Step 4: the activation link opens the page where the password and secret question are set."""

import enum

from django.db import transaction
from django.utils import timezone

from accounts.models import OneTimeToken, User
from accounts.services import links
from accounts.services.account import user_activate
from audit import services as audit
from audit.models import AuditEvent
from structures.services import memberships_activate

PURPOSE = OneTimeToken.Purpose.ACTIVATION


class ActivationState(enum.StrEnum):
    """A link's state (accounts.services.links.LinkState), plus "the account is already
    active", which an activation page tells apart."""

    VALID = links.LinkState.VALID
    EXPIRED = links.LinkState.EXPIRED
    USED = links.LinkState.USED
    REPLACED = links.LinkState.REPLACED
    INVALID = links.LinkState.INVALID
    ALREADY_ACTIVE = "already_active"


def _state(token: OneTimeToken | None) -> ActivationState:
    state = links.link_state(token)
    if state not in (links.LinkState.INVALID, links.LinkState.USED) and (
        token.user.is_active or token.user.activated_at
    ):
        return ActivationState.ALREADY_ACTIVE
    return ActivationState(state)


def activation_link_state(*, raw_token: str | None) -> tuple[ActivationState, OneTimeToken | None]:
    """What the page should show for this link, and its token when there is one."""
    token = links.link_find(raw=raw_token, purpose=PURPOSE)
    return _state(token), token


class ActivationRefused(Exception):
    def __init__(self, state: ActivationState):
        super().__init__(state)
        self.state = state


@transaction.atomic
def account_activate(*, raw_token: str, password: str, question: str, answer: str) -> User:
    """Set the password and secret answer, consume the link and activate the account and its
    membership: the first person of a new structure becomes its primary manager; someone who
    asked to join an existing structure now has a pending join request."""
    try:
        token = links.link_lock(raw=raw_token, purpose=PURPOSE)
    except links.LinkRefused:
        state, _token = activation_link_state(raw_token=raw_token)
        raise ActivationRefused(state) from None
    state = _state(token)
    if state != ActivationState.VALID:
        raise ActivationRefused(state)
    now = timezone.now()
    user = user_activate(user=token.user, password=password, question=question, answer=answer)
    links.link_use(token, now=now)
    audit.record(AuditEvent.Kind.ACTIVATION, user=user)
    memberships_activate(user=user, now=now)
    return user
