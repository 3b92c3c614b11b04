"""Hooks of the apps that own a kind of mail.

The outbox sends any mail without knowing what it carries. An app whose mail needs something
done when it actually leaves (a link whose lifetime starts at sending, say) registers a hook
for its kind in its AppConfig.ready(); the send task calls it inside the transaction that
marks the row sent.
"""

from collections import defaultdict
from collections.abc import Callable

from outbox.models import OutgoingEmail

SentHook = Callable[[OutgoingEmail], None]

_after_sent: dict[str, list[SentHook]] = defaultdict(list)


def register(kind: str, *, after_sent: SentHook) -> None:
    """Call `after_sent(email)` each time a mail of `kind` has been handed to the SMTP server."""
    if after_sent not in _after_sent[kind]:
        _after_sent[kind].append(after_sent)


def mail_sent(email: OutgoingEmail) -> None:
    for hook in _after_sent.get(email.kind, ()):
        hook(email)
