from django.contrib import admin
from django.utils.translation import gettext as _

from audit.admin import AuditedAdminMixin
from helpdesk.models import Question
from helpdesk.services import question_save


@admin.register(Question)
class QuestionAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "status", "subject", "email", "name", "replied_at")
    list_filter = ("status", "subject")
    search_fields = ("email", "name", "message")
    date_hierarchy = "created_at"
    fields = (
        "created_at",
        "name",
        "email",
        "siret",
        "language",
        "subject",
        "message",
        "reply",
        "status",
        "replied_at",
    )
    readonly_fields = (
        "created_at",
        "name",
        "email",
        "siret",
        "language",
        "subject",
        "message",
        "replied_at",
    )

    def has_add_permission(self, request):
        # Questions come from the public form only.
        return False

    def save_model(self, request, obj, form, change):
        if question_save(question=obj, actor=request.user):
            self.message_user(
                request, _("The reply was e-mailed to %(email)s.") % {"email": obj.email}
            )
