"""Companies: the structure identified by its SIRET, and who belongs to it."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField


class Structure(models.Model):
    # What the primary manager may change (never the identifier); the step-2 form, the
    # structure page, the structure service and the admin all use this list.
    EDITABLE_FIELDS = (
        "name",
        "address_line",
        "address_complement",
        "postal_code",
        "city",
        "country",
        "non_diffusible",
    )
    ADDRESS_FIELDS = ("address_line", "address_complement", "postal_code", "city", "country")

    class Verification(models.TextChoices):
        VERIFIED = "verified", _("Verified by INSEE")
        NOT_PUBLIC = "not_public", _("Not public at INSEE")
        PENDING = "pending", _("Not verified yet")
        NOT_FOUND = "not_found", _("Not found at INSEE")
        CLOSED = "closed", _("Closed at INSEE")

    siret = models.CharField(_("SIRET"), max_length=14, unique=True)
    siren = models.CharField(_("SIREN"), max_length=9, db_index=True)
    name = models.CharField(_("company name"), max_length=255)
    address_line = models.CharField(_("address"), max_length=255, blank=True)
    address_complement = models.CharField(_("address complement"), max_length=255, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=255, blank=True)
    country = CountryField(_("country"), default="FR", blank=True)
    non_diffusible = models.BooleanField(_("INSEE not diffusible"), default=False)
    verification = models.CharField(
        _("INSEE verification"),
        max_length=20,
        choices=Verification.choices,
        default=Verification.PENDING,
        db_index=True,
    )
    insee_snapshot = models.JSONField(_("INSEE response"), null=True, blank=True)
    insee_checked_at = models.DateTimeField(_("last INSEE check"), null=True, blank=True)
    insee_last_error = models.CharField(_("last INSEE error"), max_length=255, blank=True)
    insee_source = models.CharField(
        _("INSEE data source"),
        max_length=40,
        blank=True,
        help_text=_('Where the INSEE data came from: "Sirene mirror of <date>" or "INSEE API".'),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("structure")
        verbose_name_plural = _("structures")
        constraints = [
            models.CheckConstraint(
                condition=Q(siret__regex=r"^[0-9]{14}$"), name="structure_siret_14_digits"
            ),
            models.CheckConstraint(
                condition=Q(siren__regex=r"^[0-9]{9}$"), name="structure_siren_9_digits"
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.siret})"

    @property
    def is_verified(self) -> bool:
        return self.verification == self.Verification.VERIFIED

    @property
    def insee_source_label(self) -> str:
        """The data source in words: "Sirene mirror of 2026-11-30", "INSEE API"..."""
        kind, _sep, date = self.insee_source.partition(":")
        if kind == "mirror":
            if date:
                return gettext("Sirene mirror of %(date)s") % {"date": date}
            return gettext("Sirene mirror")
        if kind == "api":
            return gettext("INSEE API")
        if kind == "stub":
            return gettext("Development stub file")
        return ""

    def address_visible_to(self, user) -> bool:
        """A non-diffusible address is shown only to the structure's members and admins."""
        if not self.non_diffusible:
            return True
        if user is None or not user.is_authenticated:
            return False
        if user.is_staff:
            return True
        return self.memberships.filter(user=user, status=Membership.Status.ACTIVE).exists()


class MembershipQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status=Membership.Status.ACTIVE)

    def managers(self):
        return self.active().filter(
            role__in=[Membership.Role.PRIMARY_MANAGER, Membership.Role.MANAGER]
        )


class Membership(models.Model):
    """A person in a structure. A join request is a membership waiting for a manager's decision."""

    class Role(models.TextChoices):
        PRIMARY_MANAGER = "primary_manager", _("Primary manager")
        MANAGER = "manager", _("Manager")
        USER = "user", _("User")

    class Status(models.TextChoices):
        AWAITING_ACTIVATION = "awaiting_activation", _("Awaiting account activation")
        REQUESTED = "requested", _("Join request pending")
        ACTIVE = "active", _("Active")
        REFUSED = "refused", _("Join request refused")
        DEACTIVATED = "deactivated", _("Deactivated")
        # A person who already has an account, invited by a manager: joins once they accept.
        INVITED = "invited", _("Invitation waiting for an answer")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    structure = models.ForeignKey(Structure, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.USER)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.AWAITING_ACTIVATION
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    requested_at = models.DateTimeField(_("requested"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decision_reason = models.CharField(_("reason"), max_length=500, blank=True)
    # Set when a manager invited the person: they join on activation, without a request.
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("invited by"),
    )

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "structure"], name="membership_unique"),
            models.UniqueConstraint(
                fields=["structure"],
                condition=Q(role="primary_manager"),
                name="one_primary_manager_per_structure",
            ),
        ]

    def __str__(self):
        return f"{self.user} in {self.structure} ({self.get_role_display()})"

    @property
    def structure_label(self) -> str:
        """How the structure is named to this member: a non-diffusible structure's name (a
        person's name, for an individual entrepreneur) only once the membership is active."""
        structure = self.structure
        if not structure.non_diffusible or self.status == self.Status.ACTIVE:
            return structure.name
        return gettext("structure %(siret)s (name not public)") % {"siret": structure.siret}

    @property
    def is_manager(self) -> bool:
        return self.status == self.Status.ACTIVE and self.role in (
            self.Role.PRIMARY_MANAGER,
            self.Role.MANAGER,
        )


class JoinRequest(Membership):
    """The join requests ("demandes de rattachement"), seen on their own in the admin."""

    class Meta:
        proxy = True
        verbose_name = _("join request")
        verbose_name_plural = _("join requests")


class SireneMirror(models.Model):
    """The local copy of INSEE's Sirene register (one row): how big it is and how recent.

    The rows themselves are in the tables `sirene_establishment` and `sirene_legal_unit`,
    built by `manage.py sirene_import` and kept current by `sirene_update`
    (structures/sirene/mirror.py); they have no model: they are replaced whole at each import.
    """

    establishments = models.BigIntegerField(_("establishments"), default=0)
    legal_units = models.BigIntegerField(_("companies"), default=0)
    as_of = models.DateTimeField(
        _("register as of"),
        null=True,
        blank=True,
        help_text=_("The most recent change INSEE made that the mirror holds."),
    )
    imported_at = models.DateTimeField(_("last import"), null=True, blank=True)
    updated_at = models.DateTimeField(_("last update"), null=True, blank=True)
    last_update_changes = models.IntegerField(_("changes at the last update"), default=0)

    class Meta:
        verbose_name = _("Sirene mirror")
        verbose_name_plural = _("Sirene mirror")

    def __str__(self):
        if self.as_of is None:
            return gettext("Sirene mirror (empty)")
        return gettext("Sirene mirror of %(date)s") % {"date": self.as_of.date().isoformat()}
