"""Today's figures on the admin's index, each a link to the list it counts."""

import logging
from dataclasses import dataclass
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from outbox.models import OutgoingEmail
from structures.models import Structure
from structures.sirene import limiter

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Figure:
    label: str
    value: int | str
    url: str = ""


def _changelist(model, **filters) -> str:
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    return f"{url}?{urlencode(filters)}" if filters else url


def today_figures() -> list[Figure]:
    """Registrations and activations since midnight (portal time), the mails waiting or
    failed, INSEE's quota left this minute, the structures awaiting verification."""
    midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    since = midnight.isoformat()
    waiting = ",".join(OutgoingEmail.WAITING)
    try:
        quota = limiter.remaining_this_minute()
    except Exception as exc:  # the counters' cache is down
        logger.warning("admin dashboard: INSEE quota unknown: %s", exc)
        quota = _("unknown")
    pending = Structure.Verification.PENDING
    return [
        Figure(
            _("Registrations today"),
            User.objects.filter(date_joined__gte=midnight).count(),
            _changelist(User, date_joined__gte=since),
        ),
        Figure(
            _("Activations today"),
            User.objects.filter(activated_at__gte=midnight).count(),
            _changelist(User, activated_at__gte=since),
        ),
        Figure(
            _("Mails waiting to leave"),
            OutgoingEmail.objects.filter(status__in=OutgoingEmail.WAITING).count(),
            _changelist(OutgoingEmail, status__in=waiting),
        ),
        Figure(
            _("Mails failed"),
            OutgoingEmail.objects.filter(status=OutgoingEmail.Status.FAILED).count(),
            _changelist(OutgoingEmail, status__exact=OutgoingEmail.Status.FAILED),
        ),
        Figure(_("INSEE requests left this minute"), quota),
        Figure(
            _("Structures awaiting INSEE verification"),
            Structure.objects.filter(verification=pending).count(),
            _changelist(Structure, verification__exact=pending),
        ),
    ]
