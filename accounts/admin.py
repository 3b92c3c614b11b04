"""The admin of people. Every admin action writes an audit event per user it touched."""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import admin as auth_admin
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from accounts.services import mfa
from accounts.services.links import activation_link_send
from audit.admin import AuditedAdminMixin
from audit.services import record_admin_action


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
class UserAdmin(AuditedAdminMixin, auth_admin.UserAdmin):
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
    actions = ("resend_activation_link", "deactivate", "reset_second_factor")

    @auth_admin.sensitive_post_parameters_m
    def user_change_password(self, request, id, form_url=""):
        """Django's "change password" page, audited: the event says the password was changed
        (or password log-in disabled), by which admin, never what it was changed to."""
        if request.method != "POST":
            return super().user_change_password(request, id, form_url)
        with transaction.atomic():
            before = self.get_object(request, unquote(id))
            response = super().user_change_password(request, id, form_url)
            after = self.get_object(request, unquote(id)) if before else None
            if after is not None and after.password != before.password:
                record_admin_action(
                    request, action="password_change", obj=after, user=after, fields=["password"]
                )
        return response

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
                activation_link_send(user=user)
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

    @admin.action(description=_("Reset second factor"), permissions=["change"])
    def reset_second_factor(self, request, queryset):
        """Support's last resort for someone who lost every factor and recovery code: they
        are mailed, and enrol again (with an e-mail code) at their next log-in."""
        done = 0
        for user in queryset:
            with transaction.atomic():
                mfa.second_factor_reset(user=user, by=request.user)
                record_admin_action(request, action="reset_second_factor", obj=user, user=user)
            done += 1
        self.message_user(
            request,
            ngettext(
                "The second factor of %(count)d user was reset; they were told by mail.",
                "The second factors of %(count)d users were reset; they were told by mail.",
                done,
            )
            % {"count": done},
            messages.SUCCESS,
        )


# Django registers the groups' admin; it is registered again so that granting a group
# permissions is audited like any other change.
admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(AuditedAdminMixin, auth_admin.GroupAdmin):
    pass


# django-otp's own admin of authenticator apps shows their keys and lets an admin add a device
# with a key of their choosing: a way into anyone's account. Support resets a person's second
# factor with the users' action instead.
admin.site.unregister(TOTPDevice)
