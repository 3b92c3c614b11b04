"""The admin of the work-area catalogue and of the areas each member has opened."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from audit.admin import AuditedAdminMixin
from workareas.models import AreaAssignment, WorkArea


@admin.register(WorkArea)
class WorkAreaAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = (
        "code",
        "name_en",
        "name_fr",
        "order",
        "on_by_default",
        "always_on",
        "is_available",
    )
    list_display_links = ("code",)
    list_editable = ("order", "on_by_default", "is_available")
    list_filter = ("is_available", "on_by_default", "always_on")
    search_fields = ("code", "name_en", "name_fr")
    ordering = ("order", "code")
    fieldsets = (
        (None, {"fields": ("code", "order")}),
        (_("Names"), {"fields": ("name_en", "name_fr")}),
        (_("Descriptions"), {"fields": ("description_en", "description_fr")}),
        (_("Restriction note"), {"fields": ("restriction_en", "restriction_fr")}),
        (_("Defaults"), {"fields": ("on_by_default", "always_on", "is_available")}),
    )


@admin.register(AreaAssignment)
class AreaAssignmentAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("user_email", "structure", "area", "mode", "created_at")
    list_filter = ("area", "mode")
    search_fields = (
        "membership__user__email",
        "membership__structure__siret",
        "membership__structure__name",
        "area__code",
    )
    list_select_related = ("membership__user", "membership__structure", "area")
    autocomplete_fields = ("membership", "area")
    readonly_fields = ("created_at",)
    ordering = ("-created_at",)

    @admin.display(description=_("user"), ordering="membership__user__email")
    def user_email(self, assignment):
        return assignment.membership.user.email

    @admin.display(description=_("structure"), ordering="membership__structure__name")
    def structure(self, assignment):
        return assignment.membership.structure
