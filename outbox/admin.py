"""The outbox in the admin: read the mails, retry the failed ones."""

import re

from django.contrib import admin, messages
from django.db import transaction
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from audit.admin import AuditedAdminMixin
from audit.services import record_admin_action
from outbox.models import OutgoingEmail
from outbox.tasks import enqueue_send

# A one-time link's secret is 256 random bits in URL-safe base64 (43 characters). The mail is
# the only place it exists: shown in the admin, it would let an admin use someone's link.
_LINK_SECRET = re.compile(r"[A-Za-z0-9_-]{40,}")


def _hide_link_secrets(text: str) -> str:
    return _LINK_SECRET.sub("[secret hidden]", text)


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = (
        "created_at",
        "status",
        "to",
        "subject",
        "kind",
        "attempts",
        "short_error",
        "sent_at",
    )
    list_filter = ("status", "kind", "created_at")
    search_fields = ("to", "subject")
    ordering = ("-created_at",)
    fields = (
        "kind",
        "to",
        "subject",
        "language",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "next_attempt_at",
        "sent_at",
        "message_id",
        "user",
        "body_text_display",
        "body_html_display",
    )
    readonly_fields = fields
    actions = ("retry_now",)

    def has_add_permission(self, request):
        # A mail is written by the code that sends it, never by hand.
        return False

    def has_change_permission(self, request, obj=None):
        # The rows belong to the send task; the admin may only act on them (retry), so the
        # change page is read-only while the changelist keeps its actions.
        return obj is None and super().has_change_permission(request)

    @admin.display(description=_("last error"))
    def short_error(self, email):
        return email.last_error[:80]

    @admin.display(description=_("text body"))
    def body_text_display(self, email):
        return format_html(
            '<pre style="white-space: pre-wrap">{}</pre>',
            _hide_link_secrets(email.body_text),
        )

    @admin.display(description=_("HTML body (source)"))
    def body_html_display(self, email):
        if not email.body_html:
            return self.get_empty_value_display()
        return format_html(
            '<pre style="white-space: pre-wrap">{}</pre>',
            _hide_link_secrets(email.body_html),
        )

    @admin.action(description=_("Retry now"), permissions=["change"])
    def retry_now(self, request, queryset):
        retried = skipped = 0
        for email in queryset.select_related("user"):
            with transaction.atomic():
                # Conditional update: the send task may have touched the row meanwhile.
                changed = OutgoingEmail.objects.filter(
                    pk=email.pk, status=OutgoingEmail.Status.FAILED
                ).update(status=OutgoingEmail.Status.PENDING, next_attempt_at=None)
                if not changed:
                    skipped += 1
                    continue
                record_admin_action(
                    request, action="retry_email", obj=email, user=email.user, email=email.to
                )
                transaction.on_commit(lambda pk=email.pk: enqueue_send(pk))
            retried += 1
        if retried:
            self.message_user(
                request,
                ngettext(
                    "%(count)d e-mail queued again.", "%(count)d e-mails queued again.", retried
                )
                % {"count": retried},
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d e-mail skipped: only failed e-mails are retried.",
                    "%(count)d e-mails skipped: only failed e-mails are retried.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )
