"""Who manages a structure, and telling them: shared by the structure services and the
domain proof."""

from outbox.services import email_queue
from structures.models import Membership, Structure


def is_primary_manager(user, structure: Structure) -> bool:
    return (
        Membership.objects.active()
        .filter(user=user, structure=structure, role=Membership.Role.PRIMARY_MANAGER)
        .exists()
    )


def managers_mail(*, structure: Structure, kind: str, template: str, context: dict) -> None:
    """Queue one mail per active manager of the structure, each in their language, with
    `manager` added to the context."""
    for manager in Membership.objects.managers().filter(structure=structure).select_related("user"):
        email_queue(
            kind=kind,
            to=manager.user.notification_email,
            template=template,
            context={**context, "manager": manager.user},
            language=manager.user.preferred_language,
            user=manager.user,
        )
