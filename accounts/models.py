"""People: the user, their activation and recovery tokens, the outbox of mails and the audit log."""

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def normalize_email(email: str) -> str:
    """Login addresses are compared and stored lower-cased and trimmed."""
    return (email or "").strip().lower()


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, username):
        return self.get(email=normalize_email(username))

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("The login e-mail must be set.")
        email = normalize_email(email)
        extra_fields.setdefault("contact_email", email)
        user = self.model(email=email, **extra_fields)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        # Uniqueness is the database's job (the caller handles IntegrityError): no extra query.
        user.full_clean(exclude=["password"], validate_unique=False, validate_constraints=False)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        extra_fields.setdefault("is_active", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        extra_fields.setdefault("is_active", True)
        if extra_fields.get("is_staff") is not True or extra_fields.get("is_superuser") is not True:
            raise ValueError("A superuser must have is_staff and is_superuser set.")
        return self._create_user(email, password, **extra_fields)


class User(AbstractBaseUser, PermissionsMixin):
    class Language(models.TextChoices):
        ENGLISH = "en", _("English")
        FRENCH = "fr", _("French")

    email = models.EmailField(_("login email"), max_length=254, unique=True)
    contact_email = models.EmailField(_("contact email"), max_length=254, blank=True)
    first_name = models.CharField(_("first name"), max_length=150, blank=True)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    preferred_language = models.CharField(
        _("preferred language"), max_length=5, choices=Language.choices, default=Language.ENGLISH
    )
    secret_question = models.CharField(_("secret question"), max_length=200, blank=True)
    secret_answer_hash = models.CharField(max_length=256, blank=True, editable=False)
    is_active = models.BooleanField(_("active"), default=False)
    is_staff = models.BooleanField(_("staff status"), default=False)
    date_joined = models.DateTimeField(_("registered"), default=timezone.now)
    activated_at = models.DateTimeField(_("activated"), null=True, blank=True)

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self):
        return self.email

    def clean(self):
        super().clean()
        self.email = normalize_email(self.email)
        if self.contact_email:
            self.contact_email = self.contact_email.strip()

    def get_full_name(self):
        return f"{self.first_name} {self.last_name}".strip() or self.email

    def get_short_name(self):
        return self.first_name or self.email

    @property
    def notification_email(self) -> str:
        return self.contact_email or self.email


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def new_raw_token() -> str:
    """256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


class TokenQuerySet(models.QuerySet):
    def usable(self):
        now = timezone.now()
        return self.filter(used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now)


class OneTimeToken(models.Model):
    """A single-use secret sent by mail; only its SHA-256 is stored."""

    class Purpose(models.TextChoices):
        ACTIVATION = "activation", _("Account activation")
        PASSWORD_RESET = "password_reset", _("Password reset")
        CONTACT_EMAIL = "contact_email", _("Contact e-mail confirmation")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tokens"
    )
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    # What the token confirms, when it is more than the user (the new contact e-mail).
    payload = models.CharField(max_length=254, blank=True)

    objects = TokenQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["user", "purpose"])]

    def __str__(self):
        return f"{self.get_purpose_display()} for {self.user_id}"

    @property
    def state(self) -> str:
        if self.used_at:
            return "used"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "valid"


class OutgoingEmail(models.Model):
    """A mail is a row first; the send task takes it by id, so it is never sent twice."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    kind = models.CharField(max_length=40)
    to = models.EmailField(max_length=254)
    subject = models.CharField(max_length=255)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    language = models.CharField(max_length=5, default="en")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    message_id = models.CharField(max_length=255, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    token = models.ForeignKey(
        OneTimeToken, null=True, blank=True, on_delete=models.SET_NULL, related_name="emails"
    )

    class Meta:
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outgoing e-mails")
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self):
        return f"{self.subject} → {self.to}"


class AuditEvent(models.Model):
    class Kind(models.TextChoices):
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
        ADMIN_ACTION = "admin_action", _("Admin action")
        PURGE = "purge", _("Abandoned registration purged")

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
        verbose_name = _("audit event")
        verbose_name_plural = _("audit log")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.email}"
