"""Companies: the structure identified by its SIRET, and who belongs to it."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from structures.identifiers import FORMATS, IDENTIFIER_MAX_LENGTH, WITHOUT_NUMBER, IdentifierType


def _identifier_constraints() -> list[models.CheckConstraint]:
    """One database check per identifier type on the number's format (none for the types
    without a number); a SIRET is stored twice, as the identifier and in `siret`."""
    checks = []
    for kind in IdentifierType:
        other_type = ~Q(identifier_type=kind)
        if kind in WITHOUT_NUMBER:
            rule = Q(identifier__isnull=True)
        else:
            rule = Q(identifier__isnull=False, identifier__regex=FORMATS[kind])
        if kind == IdentifierType.SIRET:
            rule &= Q(siret=F("identifier"))
        else:
            rule &= Q(siret__isnull=True)
        checks.append(
            models.CheckConstraint(
                condition=other_type | rule, name=f"structure_identifier_{kind.value.lower()}"
            )
        )
    return checks


class StructureQuerySet(models.QuerySet):
    def established(self):
        """The structures someone activated an account in (see Structure.is_established)."""
        return self.filter(
            pk__in=Membership.objects.filter(status=Membership.Status.ACTIVE).values("structure_id")
        )


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
        NO_REGISTER = "no_register", _("No register to check")

    identifier_type = models.CharField(
        _("identifier type"),
        max_length=30,
        choices=IdentifierType.choices,
        default=IdentifierType.SIRET,
        db_index=True,
    )
    # The number as stored for its type (see structures.identifiers.FORMATS); none for a
    # private individual or a company being registered.
    identifier = models.CharField(
        _("identifier"), max_length=IDENTIFIER_MAX_LENGTH, null=True, blank=True
    )
    siret = models.CharField(_("SIRET"), max_length=14, unique=True, null=True, blank=True)
    siren = models.CharField(_("SIREN"), max_length=9, db_index=True, null=True, blank=True)
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
    # What the register (INSEE or VIES) says, under EDITABLE_FIELDS' names, apart from what
    # the members typed: shown beside the edited values, never overwritten by an edit.
    official_values = models.JSONField(_("register's values"), default=dict, blank=True)
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

    objects = StructureQuerySet.as_manager()

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
            *_identifier_constraints(),
            models.UniqueConstraint(
                fields=["identifier_type", "identifier"], name="structure_identifier_unique"
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.identifier_label})"

    def save(self, *args, **kwargs):
        # A SIRET is both the identifier and `siret` (with its SIREN): whichever was set.
        if self.identifier_type == IdentifierType.SIRET:
            self.identifier = self.identifier or self.siret
            self.siret = self.identifier
            self.siren = (self.identifier or "")[:9] or None
        super().save(*args, **kwargs)

    @property
    def is_established(self) -> bool:
        """Whether someone activated an account in it: only then does a newcomer join it.
        Before, it is a registration in waiting that blocks nobody."""
        return self.memberships.filter(status=Membership.Status.ACTIVE).exists()

    @property
    def identifier_label(self) -> str:
        """The type and the number, as shown to people: "SIRET 52601815590833"."""
        kind = IdentifierType(self.identifier_type)
        if self.identifier:
            return f"{kind.label} {self.identifier}"
        return str(kind.label)

    @property
    def audit_detail(self) -> dict:
        """How an audit event names this structure: its SIRET (indexed, read by the managers'
        history) and its id, which every identifier type has."""
        return {"siret": self.siret, "structure": self.pk}

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

    @property
    def verification_label(self) -> str:
        """The verification state, naming the register that answered."""
        if self.identifier_type == IdentifierType.EU_VAT:
            return {
                self.Verification.VERIFIED: gettext("Verified by VIES"),
                self.Verification.NOT_FOUND: gettext("Not valid at VIES"),
            }.get(self.verification, self.get_verification_display())
        return self.get_verification_display()

    @property
    def official_register(self) -> str:
        return "VIES" if self.identifier_type == IdentifierType.EU_VAT else "INSEE"

    @property
    def official_rows(self) -> list[tuple[str, str, str]]:
        """(label, the register's value, the current value) for each field the register
        gave; "Verified by INSEE" (or VIES) speaks of the register's values only."""
        rows = []
        for name in self.EDITABLE_FIELDS:
            if name == "non_diffusible" or name not in (self.official_values or {}):
                continue
            current = getattr(self, name)
            current = getattr(current, "code", current) or ""
            label = self._meta.get_field(name).verbose_name
            rows.append((str(label), str(self.official_values[name] or ""), str(current)))
        return rows

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
    # Registered the structure while nobody had activated an account in it: whoever of the
    # claimants activates first becomes primary manager, the others join requesters.
    claimant = models.BooleanField(_("claims the structure"), default=False)
    # What a claimant typed for the structure (EDITABLE_FIELDS): the structure takes it if
    # they win, so a squatter's values do not outlive their claim.
    claimed_values = models.JSONField(_("values typed by the claimant"), default=dict, blank=True)

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


class SupportRequest(Membership):
    """Join requests of structures with no active manager, unanswered for 7 days: the
    support's queue in the admin (structures.support)."""

    class Meta:
        proxy = True
        verbose_name = _("join request for the support")
        verbose_name_plural = _("support queue: join requests of orphan structures")


class StructureDomain(models.Model):
    """An e-mail domain of a structure, declared by its primary manager and proven by a link
    mailed to an address at that domain: a newcomer whose login e-mail is at a proven domain
    joins as a user without waiting (structures.domains)."""

    structure = models.ForeignKey(Structure, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(_("domain"), max_length=253)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("declared by"),
    )
    proven_at = models.DateTimeField(_("proven"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("e-mail domain")
        verbose_name_plural = _("e-mail domains")
        constraints = [
            models.UniqueConstraint(fields=["structure", "domain"], name="structure_domain_unique"),
            models.CheckConstraint(
                condition=Q(domain__regex=r"\A[a-z0-9]([a-z0-9.\-]*[a-z0-9])?\.[a-z]{2,}\Z"),
                name="structure_domain_lowercase_name",
            ),
        ]

    def __str__(self):
        return self.domain
