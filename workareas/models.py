"""The catalogue of work areas, and which areas each membership has opened."""

from django.core.cache import cache
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class WorkAreaQuerySet(models.QuerySet):
    def available(self):
        return self.filter(is_available=True).order_by("order", "code")


class WorkArea(models.Model):
    code = models.SlugField(_("code"), max_length=50, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=120)
    name_fr = models.CharField(_("name (French)"), max_length=120)
    description_en = models.CharField(_("description (English)"), max_length=300)
    description_fr = models.CharField(_("description (French)"), max_length=300)
    restriction_en = models.CharField(_("restriction note (English)"), max_length=300, blank=True)
    restriction_fr = models.CharField(_("restriction note (French)"), max_length=300, blank=True)
    on_by_default = models.BooleanField(_("on by default"), default=False)
    always_on = models.BooleanField(_("always on"), default=False)
    is_available = models.BooleanField(_("available"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=100)

    objects = WorkAreaQuerySet.as_manager()

    class Meta:
        verbose_name = _("work area")
        verbose_name_plural = _("work areas")
        ordering = ["order", "code"]

    def __str__(self):
        return self.name

    def _localised(self, field: str) -> str:
        lang = (get_language() or "en")[:2]
        value = getattr(self, f"{field}_fr") if lang == "fr" else ""
        return value or getattr(self, f"{field}_en")

    @property
    def name(self) -> str:
        return self._localised("name")

    @property
    def description(self) -> str:
        return self._localised("description")

    @property
    def restriction(self) -> str:
        return self._localised("restriction")

    @property
    def is_restricted(self) -> bool:
        return bool(self.restriction_en)


class AreaAssignment(models.Model):
    class Mode(models.TextChoices):
        CONSULTATION = "consultation", _("Consultation")
        MODIFICATION = "modification", _("Modification")

    membership = models.ForeignKey(
        "structures.Membership", on_delete=models.CASCADE, related_name="area_assignments"
    )
    area = models.ForeignKey(WorkArea, on_delete=models.CASCADE, related_name="assignments")
    mode = models.CharField(
        _("mode"), max_length=20, choices=Mode.choices, default=Mode.MODIFICATION
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("work area of a member")
        verbose_name_plural = _("work areas of members")
        constraints = [
            models.UniqueConstraint(fields=["membership", "area"], name="area_assignment_unique")
        ]

    def __str__(self):
        return f"{self.area} for {self.membership}"


CATALOGUE_CACHE_KEY = "workareas:catalogue:v1"


def catalogue() -> list[WorkArea]:
    """The available areas, in order. Read on every registration step, changed rarely: kept in
    the shared cache and dropped whenever an area is saved or deleted (and after 5 minutes, for
    changes made without signals, such as migrations)."""
    areas = cache.get(CATALOGUE_CACHE_KEY)
    if areas is None:
        areas = list(WorkArea.objects.available())
        cache.set(CATALOGUE_CACHE_KEY, areas, 300)
    return areas


def _forget_catalogue(**kwargs) -> None:
    cache.delete(CATALOGUE_CACHE_KEY)


models.signals.post_save.connect(_forget_catalogue, sender=WorkArea)
models.signals.post_delete.connect(_forget_catalogue, sender=WorkArea)
