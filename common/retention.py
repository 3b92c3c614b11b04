"""Keeping data no longer than needed: what every app's nightly purge shares."""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

BATCH_SIZE = 1000


def retention_limit(days: int, *, now: datetime | None = None) -> datetime:
    """The moment before which a row kept `days` days is deleted."""
    return (now or timezone.now()) - timedelta(days=days)


def delete_in_batches(queryset, *, batch_size: int = BATCH_SIZE) -> int:
    """Delete the rows of `queryset` a batch at a time and return how many were deleted.

    Each batch is its own short transaction, so a purge that meets a year of rows never holds
    locks on a busy table (the outbox, the audit log) for long.
    """
    model = queryset.model
    deleted = 0
    while pks := list(queryset.order_by().values_list("pk", flat=True)[:batch_size]):
        with transaction.atomic():
            _total, per_model = model._base_manager.filter(pk__in=pks).delete()
        count = per_model.get(model._meta.label, 0)
        if not count:
            break  # the rows went meanwhile (another purge): never spin on them
        deleted += count
    return deleted
