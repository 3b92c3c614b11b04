"""Hooks of the apps that own a kind of mail.

The outbox sends any mail without knowing what it carries. A mail can leave named *slots* in
its text (`email_queue(slots=...)`): placeholders, random per mail, that the app owning the
mail's kind fills in when the mail actually leaves, through the `before_send` hook it
registered in its AppConfig.ready(). That is how a link's secret is minted at sending time and
never stored: the row holds only the placeholder.

A hook runs inside the send task's first transaction, under the row's lock, and what it writes
(a link's token) is committed with the row's "sending" mark before the SMTP server is
contacted: a copy that reached the person before a worker died stays meaningful (its link
says a newer one was sent once the mail is sent again). It returns the slots' values, or None
when the mail must not leave any more (a newer mail of the same kind replaced it). When the
SMTP server then refuses the mail, the kind's `not_sent` hook undoes what `before_send` minted,
so no live secret outlives a failed attempt.
"""

from collections.abc import Callable

from outbox.models import OutgoingEmail

BeforeSend = Callable[[OutgoingEmail], dict[str, str] | None]
NotSent = Callable[[OutgoingEmail], None]

_before_send: dict[str, BeforeSend] = {}
_not_sent: dict[str, NotSent] = {}


class SlotsUnfilled(Exception):
    """A mail has slots but no hook of its kind filled them."""


_newest_only: set[str] = set()


def register(
    kind: str,
    *,
    before_send: BeforeSend,
    not_sent: NotSent | None = None,
    newest_only: bool = False,
) -> None:
    """Call `before_send(email)` each time a mail of `kind` is about to be handed to SMTP, and
    `not_sent(email)` when that attempt failed.

    `newest_only`: a mail of this kind whose slots are still to fill is not sent (the hook is
    not even called) when a newer one of the same kind was queued for the same person since,
    or when that person is gone: only the newest secret may exist."""
    _before_send[kind] = before_send
    if not_sent is not None:
        _not_sent[kind] = not_sent
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


def undo(email: OutgoingEmail) -> None:
    """The attempt to send `email` failed: revoke what its kind's hook minted for it."""
    hook = _not_sent.get(email.kind)
    if hook is not None:
        hook(email)


def fill(text: str, email: OutgoingEmail, values: dict[str, str]) -> str:
    for name, placeholder in email.slots.items():
        text = text.replace(placeholder, values[name])
    return text
