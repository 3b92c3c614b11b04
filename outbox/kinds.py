"""Hooks of the apps that own a kind of mail.

The outbox sends any mail without knowing what it carries. A mail can leave named *slots* in
its text (`email_queue(slots=...)`): placeholders, random per mail, that the app owning the
mail's kind fills in when the mail actually leaves, through the `before_send` hook it
registered in its AppConfig.ready(). That is how a link's secret is minted at sending time and
never stored: the row holds only the placeholder.

A hook runs inside the send task's transaction, under the row's lock, in a savepoint that is
rolled back when the SMTP server refuses the mail. It returns the slots' values, or None when
the mail must not leave any more (a newer mail of the same kind replaced it).
"""

from collections.abc import Callable

from outbox.models import OutgoingEmail

BeforeSend = Callable[[OutgoingEmail], dict[str, str] | None]

_before_send: dict[str, BeforeSend] = {}


class SlotsUnfilled(Exception):
    """A mail has slots but no hook of its kind filled them."""


_newest_only: set[str] = set()


def register(kind: str, *, before_send: BeforeSend, newest_only: bool = False) -> None:
    """Call `before_send(email)` each time a mail of `kind` is about to be handed to SMTP.

    `newest_only`: a mail of this kind whose slots are still to fill is not sent (the hook is
    not even called) when a newer one of the same kind was queued for the same person since,
    or when that person is gone: only the newest secret may exist."""
    _before_send[kind] = before_send
    if newest_only:
        _newest_only.add(kind)


def _superseded(email: OutgoingEmail) -> bool:
    if email.user_id is None:
        return True
    newer = OutgoingEmail.objects.filter(kind=email.kind, user=email.user_id, pk__gt=email.pk)
    return newer.exclude(status=OutgoingEmail.Status.FAILED).exists()


def slot_values(email: OutgoingEmail) -> dict[str, str] | None:
    """The values of the mail's slots (empty when it has none), or None: do not send it."""
    hook = _before_send.get(email.kind)
    if hook is None:
        if email.slots:
            raise SlotsUnfilled(f"no hook fills the slots of {email.kind!r} mails")
        return {}
    if email.slots and email.kind in _newest_only and _superseded(email):
        return None
    values = hook(email)
    if values is None:
        return None
    missing = set(email.slots) - set(values)
    if missing:
        raise SlotsUnfilled(f"{email.kind!r} hook left {sorted(missing)} empty")
    return values


def fill(text: str, email: OutgoingEmail, values: dict[str, str]) -> str:
    for name, placeholder in email.slots.items():
        text = text.replace(placeholder, values[name])
    return text
