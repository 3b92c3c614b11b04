"""The audit log in the admin (read-only), and the mixin that audits the admin's deletions."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from audit.models import AuditEvent
from audit.services import record_admin_action
from common.admin import pretty_json


class AuditedDeleteMixin:
    """Deleting from the admin, on the delete page or with "Delete selected", is audited too."""

    def delete_model(self, request, obj):
        with transaction.atomic():
            _record_deletion(request, obj)
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                _record_deletion(request, obj)
            super().delete_queryset(request, queryset)


def _record_deletion(request, obj):
    # A deleted user cannot be linked to the event: their address is kept instead.
    email = obj.email if isinstance(obj, get_user_model()) else ""
    record_admin_action(request, action="delete", obj=obj, email=email)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit log is evidence: nobody adds, edits or deletes an event from the admin."""

    list_display = (
        "created_at",
        "kind",
        "email",
        "actor",
        "ip_address",
        "short_user_agent",
    )
    list_filter = ("kind", "created_at")
    search_fields = ("email", "ip_address")
    list_select_related = ("actor",)
    fields = (
        "created_at",
        "kind",
        "user",
        "email",
        "actor",
        "ip_address",
        "user_agent",
        "detail_display",
    )
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("user agent"))
    def short_user_agent(self, event):
        return event.user_agent[:60]

    @admin.display(description=_("detail"))
    def detail_display(self, event):
        return pretty_json(event.detail)
