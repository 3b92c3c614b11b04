"""Questions that people send from the help page, and the admins' replies."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Question(models.Model):
    class Subject(models.TextChoices):
        ACCOUNT_CREATION = "account_creation", _("Creating an account")
        ACTIVATION_EMAIL = "activation_email", _("The activation e-mail")
        WORK_AREAS = "work_areas", _("Work areas")
        JOINING_STRUCTURE = "joining_structure", _("Joining a structure")
        PASSWORD = "password", _("Password")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        NEW = "new", _("New")
        ANSWERED = "answered", _("Answered")
        CLOSED = "closed", _("Closed")

    name = models.CharField(_("name"), max_length=150)
    email = models.EmailField(_("e-mail"), max_length=254)
    siret = models.CharField(_("SIRET"), max_length=14, blank=True)
    subject = models.CharField(_("subject"), max_length=30, choices=Subject.choices)
    message = models.TextField(_("message"), max_length=5000)
    language = models.CharField(_("language"), max_length=5, default="en")
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.NEW, db_index=True
    )
    reply = models.TextField(
        _("reply"),
        max_length=5000,
        blank=True,
        help_text=_(
            "When you save a new or changed reply, it is e-mailed to the person and the "
            "question is marked answered (unless you choose closed)."
        ),
    )
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(siret="") | Q(siret__regex=r"^[0-9]{14}$"),
                name="helpdesk_question_siret_format",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["new", "answered", "closed"]),
                name="helpdesk_question_status_valid",
            ),
        ]

    def __str__(self):
        return f"{self.get_subject_display()} — {self.email}"
