"""The audit log in the admin (read-only), and the mixin that audits every admin's change."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from audit.models import AuditEvent
from audit.services import record_admin_action
from common.admin import ReadOnlyAdminMixin, pretty_json


class AuditedAdminMixin:
    """What an admin adds, changes or deletes, on any page of the admin, is audited.

    An add or a change is recorded in `save_related()`: Django calls it right after
    `save_model()`, inside the same transaction, on the add and change pages and for each
    edited row of a `list_editable` changelist; it sees the form, its many-to-many fields
    (groups, permissions) and the inlines together, so one save makes one event. Only the
    names of the changed fields are kept, never their values: a password, a hash or a reply
    to a question has no place in the audit log.
    """

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        fields = list(form.changed_data)
        inlines = [row for formset in formsets for row in _inline_changes(formset)]
        if change and not fields and not inlines:
            return  # saved as it was: nothing changed, nothing to record
        detail = {"fields": fields, "inlines": inlines} if inlines else {"fields": fields}
        record_admin_action(
            request,
            action="change" if change else "add",
            obj=form.instance,
            user=self.audited_user(form.instance),
            **detail,
        )

    def audited_user(self, obj):
        """The person an add or a change is about: the user edited, or the object's user."""
        user_model = get_user_model()
        if isinstance(obj, user_model):
            return obj
        user = getattr(obj, "user", None)
        return user if isinstance(user, user_model) else None

    def delete_model(self, request, obj):
        with transaction.atomic():
            _record_deletion(request, obj)
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                _record_deletion(request, obj)
            super().delete_queryset(request, queryset)


def _inline_changes(formset) -> list[dict]:
    """The rows an inline added, changed or deleted, with the names of the changed fields."""
    rows = [("add", obj, ()) for obj in formset.new_objects]
    rows += [("change", obj, fields) for obj, fields in formset.changed_objects]
    rows += [("delete", obj, ()) for obj in formset.deleted_objects]
    return [
        {
            "action": action,
            "model": obj._meta.label_lower,
            "object": str(obj)[:200],
            "fields": list(fields),
        }
        for action, obj, fields in rows
    ]


def _record_deletion(request, obj):
    # A deleted user cannot be linked to the event: their address is kept instead.
    email = obj.email if isinstance(obj, get_user_model()) else ""
    record_admin_action(request, action="delete", obj=obj, email=email)


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
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

    @admin.display(description=_("user agent"))
    def short_user_agent(self, event):
        return event.user_agent[:60]

    @admin.display(description=_("detail"))
    def detail_display(self, event):
        return pretty_json(event.detail)
