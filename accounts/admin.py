"""The admin of people: users, the outbox of mails and the audit log.

Every admin action writes an ADMIN_ACTION audit event per object it touched, with the admin as
actor (`record_admin_action`, also used by the structures and work-area admins).
"""

import json
import re

from django.contrib import admin, messages
from django.contrib.auth import admin as auth_admin
from django.contrib.auth import forms as auth_forms
from django.db import transaction
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts import audit, mail
from accounts.flows.tokens import issue_activation_link
from accounts.models import AuditEvent, OutgoingEmail, User


def record_admin_action(
    request, *, action: str, obj, user=None, email: str = "", **detail
) -> AuditEvent:
    """Write the audit event of one object changed by an admin action, the admin as actor.

    `user` and `email` name the person concerned, when there is one.
    """
    return audit.record(
        AuditEvent.Kind.ADMIN_ACTION,
        user=user,
        actor=request.user,
        email=email,
        action=action,
        object=str(obj)[:200],
        model=obj._meta.label_lower,
        pk=obj.pk,
        **detail,
    )


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
    email = obj.email if isinstance(obj, User) else ""
    record_admin_action(request, action="delete", obj=obj, email=email)


def pretty_json(value):
    """A JSON document indented in a <pre>, escaped, for read-only admin fields."""
    if value in (None, "", {}, []):
        return admin.site.empty_value_display
    text = json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)
    return format_html('<pre style="white-space: pre-wrap">{}</pre>', text)


# ---------------------------------------------------------------------------------------------
# Users


class UserCreationForm(auth_forms.AdminUserCreationForm):
    """The login e-mail and an optional password; the rest is edited after creation."""

    class Meta:
        model = User
        fields = ("email",)

    def save(self, commit=True):
        # Same default as UserManager: mails go to the login address until the person sets
        # another contact address.
        self.instance.contact_email = self.instance.contact_email or self.instance.email
        return super().save(commit=commit)


class UserChangeForm(auth_forms.UserChangeForm):
    class Meta:
        model = User
        exclude = ("secret_answer_hash",)


@admin.register(User)
class UserAdmin(AuditedDeleteMixin, auth_admin.UserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (
            _("Personal info"),
            {
                "fields": (
                    "first_name",
                    "last_name",
                    "contact_email",
                    "phone",
                    "preferred_language",
                )
            },
        ),
        (
            _("Permissions"),
            {
                "fields": (
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                )
            },
        ),
        (_("Important dates"), {"fields": ("date_joined", "activated_at", "last_login")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "usable_password", "password1", "password2"),
            },
        ),
    )
    exclude = ("secret_answer_hash",)
    readonly_fields = ("date_joined", "activated_at", "last_login")
    list_display = (
        "email",
        "first_name",
        "last_name",
        "is_active",
        "activated_at",
        "is_staff",
        "date_joined",
    )
    list_filter = ("is_active", "is_staff", "is_superuser")
    search_fields = ("email", "first_name", "last_name", "contact_email")
    ordering = ("email",)
    actions = ("resend_activation_link", "deactivate")

    def lookup_allowed(self, lookup, value, request=None):
        # A filter on the answer's hash in the URL would let an admin guess it from the counts.
        return not lookup.startswith("secret_answer") and super().lookup_allowed(
            lookup, value, request
        )

    @admin.action(description=_("Resend activation link"), permissions=["change"])
    def resend_activation_link(self, request, queryset):
        sent = skipped = 0
        for user in queryset:
            if user.is_active or user.activated_at:
                skipped += 1
                continue
            with transaction.atomic():
                issue_activation_link(user)
                record_admin_action(request, action="resend_activation_link", obj=user, user=user)
            sent += 1
        if sent:
            self.message_user(
                request,
                ngettext(
                    "A new activation link was sent to %(count)d user.",
                    "A new activation link was sent to %(count)d users.",
                    sent,
                )
                % {"count": sent},
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d user skipped: the account is already activated.",
                    "%(count)d users skipped: their accounts are already activated.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )

    @admin.action(description=_("Deactivate"), permissions=["change"])
    def deactivate(self, request, queryset):
        done = skipped = 0
        for user in queryset:
            # Locking oneself out of the admin by mistake helps nobody.
            if not user.is_active or user.pk == request.user.pk:
                skipped += 1
                continue
            with transaction.atomic():
                User.objects.filter(pk=user.pk).update(is_active=False)
                record_admin_action(request, action="deactivate", obj=user, user=user)
            done += 1
        if done:
            self.message_user(
                request,
                ngettext("%(count)d user deactivated.", "%(count)d users deactivated.", done)
                % {"count": done},
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d user skipped: already inactive, or your own account.",
                    "%(count)d users skipped: already inactive, or your own account.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )


# ---------------------------------------------------------------------------------------------
# Outgoing e-mails

# A one-time link's secret is 256 random bits in URL-safe base64 (43 characters). The mail is
# the only place it exists: shown in the admin, it would let an admin use someone's link.
_LINK_SECRET = re.compile(r"[A-Za-z0-9_-]{40,}")


def _hide_link_secrets(email: OutgoingEmail, text: str) -> str:
    if not email.token_id:
        return text
    return _LINK_SECRET.sub("[secret hidden]", text)


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(AuditedDeleteMixin, admin.ModelAdmin):
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
            _hide_link_secrets(email, email.body_text),
        )

    @admin.display(description=_("HTML body (source)"))
    def body_html_display(self, email):
        if not email.body_html:
            return self.get_empty_value_display()
        return format_html(
            '<pre style="white-space: pre-wrap">{}</pre>',
            _hide_link_secrets(email, email.body_html),
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
                transaction.on_commit(lambda pk=email.pk: mail.enqueue_send(pk))
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


# ---------------------------------------------------------------------------------------------
# Audit log


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
