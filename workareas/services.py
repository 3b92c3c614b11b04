"""Who has which work area, and which areas a member may switch."""

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from audit import services as audit
from audit.models import AuditEvent
from structures.models import Membership
from workareas.models import AreaAssignment, WorkArea, catalogue


@dataclass
class AreaRow:
    area: WorkArea
    checked: bool
    locked: bool = False
    disabled: bool = False
    note: str = ""


def structure_area_codes(structure) -> set[str]:
    """The areas a structure has opened: those its managers have."""
    return set(
        AreaAssignment.objects.filter(
            membership__structure=structure,
            membership__status=Membership.Status.ACTIVE,
            membership__role__in=[Membership.Role.PRIMARY_MANAGER, Membership.Role.MANAGER],
        ).values_list("area__code", flat=True)
    )


def member_area_codes(membership: Membership) -> set[str]:
    return set(membership.area_assignments.values_list("area__code", flat=True))


def area_rows(membership: Membership) -> list[AreaRow]:
    """The switches of My account: a plain user cannot open what the structure has not, nor
    switch an area a manager gave in Consultation (switching it off and on again would make it
    Modification)."""
    areas = catalogue()
    modes = dict(membership.area_assignments.values_list("area__code", "mode"))
    current = set(modes)
    opened = None if membership.is_manager else structure_area_codes(membership.structure)
    rows = []
    for area in areas:
        row = AreaRow(area=area, checked=area.always_on or area.code in current)
        if area.always_on:
            row.locked = True
        elif opened is not None and modes.get(area.code) == AreaAssignment.Mode.CONSULTATION:
            row.locked = True
            row.note = str(_("Consultation: set by your structure's managers."))
        elif opened is not None and area.code not in opened and area.code not in current:
            row.disabled = True
            row.note = str(
                _("Not opened by your structure: ask one of its managers to open it first.")
            )
        rows.append(row)
    return rows


def allowed_codes(membership: Membership) -> set[str]:
    return {row.area.code for row in area_rows(membership) if not row.disabled}


@transaction.atomic
def member_areas_set(*, membership: Membership, codes: list[str], by) -> set[str]:
    """Replace the member's areas with `codes`, keeping the always-on ones and refusing those
    the member may not open."""
    rows = area_rows(membership)
    allowed = {row.area.code for row in rows if not row.disabled and not row.locked}
    wanted = {code for code in codes if code in allowed}
    wanted |= {row.area.code for row in rows if row.locked and row.checked}
    current = member_area_codes(membership)
    removed = current - wanted
    added = wanted - current
    if removed:
        AreaAssignment.objects.filter(membership=membership, area__code__in=removed).delete()
    if added:
        AreaAssignment.objects.bulk_create(
            [
                AreaAssignment(membership=membership, area=area)
                for area in WorkArea.objects.filter(code__in=added)
            ]
        )
    if added or removed:
        audit.record(
            AuditEvent.Kind.WORK_AREAS_CHANGE,
            user=membership.user,
            actor=by,
            siret=membership.structure.siret,
            added=sorted(added),
            removed=sorted(removed),
        )
    return wanted


def area_modes(user) -> dict[str, str]:
    """The mode of each area the person has in their active structures: Modification when
    any of them gives it so."""
    modes: dict[str, str] = {}
    for code, mode in AreaAssignment.objects.filter(
        membership__user=user, membership__status=Membership.Status.ACTIVE
    ).values_list("area__code", "mode"):
        if modes.get(code) != AreaAssignment.Mode.MODIFICATION:
            modes[code] = mode
    return modes


def member_areas_grant(*, membership: Membership, codes: list[str]) -> None:
    """Give a new member the areas they chose (and the always-on ones), in one query."""
    AreaAssignment.objects.bulk_create(
        [
            AreaAssignment(membership=membership, area=area)
            for area in catalogue()
            if area.always_on or area.code in codes
        ]
    )
