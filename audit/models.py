"""The audit log: who did what, when, from where."""

from django.conf import settings
from django.db import models
from django.db.models import F
from django.db.models.fields.json import KT
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    class Kind(models.TextChoices):
        """Every event the portal records. A new kind of event is added here (no migration
        is needed for the database, only for the choices' state)."""

        REGISTRATION = "registration", _("Registration")
        ACTIVATION = "activation", _("Activation")
        ACTIVATION_LINK_SENT = "activation_link_sent", _("Activation link sent")
        LOGIN_SUCCESS = "login_success", _("Login success")
        LOGIN_FAILURE = "login_failure", _("Login failure")
        LOCKOUT = "lockout", _("Lockout")
        LOGOUT = "logout", _("Logout")
        PASSWORD_CHANGE = "password_change", _("Password change")
        PASSWORD_RESET_REQUEST = "password_reset_request", _("Password reset requested")
        PASSWORD_RESET = "password_reset", _("Password reset")
        SECRET_ANSWER_FAILURE = "secret_answer_failure", _("Secret answer failure")
        SECRET_QUESTION_CHANGE = "secret_question_change", _("Secret question change")
        PROFILE_CHANGE = "profile_change", _("Profile change")
        CONTACT_EMAIL_CHANGE = "contact_email_change", _("Contact e-mail change")
        WORK_AREAS_CHANGE = "work_areas_change", _("Work areas change")
        STRUCTURE_CHANGE = "structure_change", _("Structure change")
        ROLE_TRANSFER = "role_transfer", _("Primary manager transfer")
        JOIN_REQUEST = "join_request", _("Join request")
        JOIN_APPROVED = "join_approved", _("Join request approved")
        JOIN_REFUSED = "join_refused", _("Join request refused")
        MEMBER_INVITED = "member_invited", _("Member invited")
        INVITATION_ACCEPTED = "invitation_accepted", _("Invitation accepted")
        INVITATION_DECLINED = "invitation_declined", _("Invitation declined")
        MEMBER_DETACHED = "member_detached", _("Member detached")
        MEMBER_DEACTIVATED = "member_deactivated", _("Member deactivated")
        MEMBER_REACTIVATED = "member_reactivated", _("Member reactivated")
        MEMBER_RIGHTS_CHANGE = "member_rights_change", _("Member's rights changed")
        MEMBERS_EXPORTED = "members_exported", _("Members exported")
        STRUCTURE_CLAIMED = "structure_claimed", _("Structure claimed by the first to activate")
        PRIMARY_MANAGER_APPOINTED = (
            "primary_manager_appointed",
            _("Primary manager appointed by an admin"),
        )
        ADMIN_ACTION = "admin_action", _("Admin action")
        PURGE = "purge", _("Abandoned registration purged")
        MFA_CODE_SENT = "mfa_code_sent", _("Second factor: e-mail code sent")
        MFA_PASSED = "mfa_passed", _("Second factor passed")
        MFA_FAILED = "mfa_failed", _("Second factor failed")
        MFA_FACTOR_ADDED = "mfa_factor_added", _("Second factor added")
        MFA_FACTOR_REMOVED = "mfa_factor_removed", _("Second factor removed")
        MFA_RECOVERY_CODE_USED = "mfa_recovery_code_used", _("Recovery code used")
        MFA_RECOVERY_CODES_NEW = "mfa_recovery_codes_new", _("Recovery codes generated")
        MFA_BROWSER_REMEMBERED = "mfa_browser_remembered", _("Browser remembered")
        MFA_BROWSER_REVOKED = "mfa_browser_revoked", _("Remembered browser revoked")
        MFA_RESET = "mfa_reset", _("Second factor reset by an admin")
        MFA_CLONED_KEY = "mfa_cloned_key", _("Security key refused: sign counter went back")
        SIRENE_MIRROR_IMPORT = "sirene_mirror_import", _("Sirene mirror imported")

    kind = models.CharField(max_length=40, choices=Kind.choices, db_index=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_events",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    email = models.CharField(max_length=254, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        # The table was created when the audit log lived in accounts; it kept its name.
        db_table = "accounts_auditevent"
        verbose_name = _("audit event")
        verbose_name_plural = _("audit log")
        ordering = ["-created_at"]
        indexes = [
            # A structure's history (the manager's console) reads its events by SIRET.
            models.Index(KT("detail__siret"), F("created_at").desc(), name="audit_siret_created"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.email}"
