"""The manager's console, the work areas' side: each member's areas in Consultation or
Modification mode, copying them, inviting a person with their areas, deciding several join
requests at once, and the members' export.

The structure's side (who manages, who belongs, detaching, deactivating) is
`structures.members`; every function here goes through it, so the same checks apply: the
acting person manages the structure (`NotAllowed`), and every member id is looked up inside
that structure (`Membership.DoesNotExist`).
"""

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.services.links import invitation_mail
from audit import services as audit
from audit.models import AuditEvent
from outbox.services import absolute_url, email_queue
from structures import members
from structures.models import Membership, Structure
from structures.services import NotAllowed, join_request_approve, join_request_refuse
from workareas.models import AreaAssignment, WorkArea, catalogue
from workareas.services import structure_area_codes

Mode = AreaAssignment.Mode
NONE = ""
MODES = (NONE, Mode.CONSULTATION, Mode.MODIFICATION)
MODE_LABELS = Mode.choices


class InvitationRefused(Exception):
    """The person cannot be invited; the message says why, in plain words."""


def editable_areas(structure: Structure, membership: Membership | None = None) -> list[WorkArea]:
    """The areas a manager gives or takes: those the structure has opened (and those the
    member still has), never the always-on ones."""
    codes = structure_area_codes(structure)
    if membership is not None:
        codes |= member_modes(membership).keys()
    return [a for a in catalogue() if not a.always_on and a.code in codes]


def member_modes(membership: Membership) -> dict[str, str]:
    """The member's areas and their mode, by area code."""
    return dict(membership.area_assignments.values_list("area__code", "mode"))


def with_areas(queryset):
    """Members with their areas and modes, in two queries whatever their number."""
    return queryset.prefetch_related(
        Prefetch(
            "area_assignments",
            queryset=AreaAssignment.objects.select_related("area").order_by(
                "area__order", "area__code"
            ),
        )
    )


def _apply_modes(membership: Membership, modes: dict[str, str], areas: list[WorkArea]) -> dict:
    """Give the member `modes` over `areas` (others untouched); the changes, by area code, as
    [before, after] with "" for none."""
    current = member_modes(membership)
    changes = {}
    for area in areas:
        before, after = current.get(area.code, NONE), modes.get(area.code, NONE)
        if after not in MODES:
            after = before
        if before != after:
            changes[area.code] = [before, after]
    removed = [code for code, (_b, after) in changes.items() if after == NONE]
    if removed:
        AreaAssignment.objects.filter(membership=membership, area__code__in=removed).delete()
    by_code = {area.code: area for area in areas}
    for code, (before, after) in changes.items():
        if before and after:
            AreaAssignment.objects.filter(membership=membership, area__code=code).update(mode=after)
        elif after:
            AreaAssignment.objects.create(membership=membership, area=by_code[code], mode=after)
    return changes


def _rights_recorded(membership: Membership, *, by, changes: dict) -> None:
    audit.record(
        AuditEvent.Kind.MEMBER_RIGHTS_CHANGE,
        user=membership.user,
        actor=by,
        **membership.structure.audit_detail,
        changes=changes,
    )


def _rights_changed_mail(membership: Membership) -> None:
    user = membership.user
    with translation.override(user.preferred_language):
        rights = [
            (assignment.area.name, assignment.get_mode_display())
            for assignment in membership.area_assignments.select_related("area").order_by(
                "area__order", "area__code"
            )
            if not assignment.area.always_on
        ]
    email_queue(
        kind="rights_changed",
        to=user.notification_email,
        template="workareas/email/rights_changed",
        context={
            "user": user,
            "structure_name": membership.structure.name,
            "rights": rights,
            "url": absolute_url("/dashboard/"),
        },
        language=user.preferred_language,
        user=user,
    )


def _lock(structure: Structure, membership_id: int) -> Membership:
    return (
        members.members_of(structure)
        .select_for_update(of=("self",))
        .select_related("user", "structure")
        .get(pk=membership_id)
    )


@transaction.atomic
def member_rights_set(
    *, structure: Structure, by, membership_id: int, modes: dict[str, str]
) -> dict:
    """Set each area of the member to none, Consultation or Modification; the member is told
    by mail, in their language. Returns the changes (empty when nothing changed: a double
    submit records and mails nothing)."""
    members.member_get(structure=structure, by=by, membership_id=membership_id)
    membership = _lock(structure, membership_id)
    changes = _apply_modes(membership, modes, editable_areas(structure, membership))
    if changes:
        _rights_recorded(membership, by=by, changes=changes)
        _rights_changed_mail(membership)
    return changes


@transaction.atomic
def member_rights_copy(*, structure: Structure, by, source_id: int, target_ids: Iterable[int]):
    """Give each target the source member's areas and modes. Returns how many changed."""
    source = members.member_get(structure=structure, by=by, membership_id=source_id)
    modes = member_modes(source)
    targets = [int(pk) for pk in target_ids if int(pk) != source.pk]
    changed = 0
    for target_id in sorted(set(targets)):
        if member_rights_set(structure=structure, by=by, membership_id=target_id, modes=modes):
            changed += 1
    return changed


@transaction.atomic
def join_requests_decide(
    *,
    structure: Structure,
    by,
    membership_ids: Iterable[int],
    approve: bool,
    reason: str = "",
    modes: dict[str, str] | None = None,
) -> tuple[int, int]:
    """Approve or refuse several join requests at once, with one reason; an approved person
    gets the areas and modes the manager chose, not those they ticked when registering.
    Returns (decided, skipped): a request decided meanwhile (a double submit) is skipped."""
    members.managed_structure(by=by, structure_id=structure.pk)
    ids = sorted({int(pk) for pk in membership_ids})
    found = Membership.objects.filter(structure=structure, pk__in=ids)
    if found.count() != len(ids):
        raise Membership.DoesNotExist  # an id of another structure, or of nobody
    decided = skipped = 0
    for pk in ids:
        try:
            if approve:
                membership = join_request_approve(membership_id=pk, decided_by=by)
            else:
                join_request_refuse(membership_id=pk, decided_by=by, reason=reason)
        except NotAllowed:
            skipped += 1
            continue
        decided += 1
        if approve:
            areas = editable_areas(structure, membership)
            changes = _apply_modes(membership, modes or {}, areas)
            if changes:
                _rights_recorded(membership, by=by, changes=changes)
    return decided, skipped


def join_requests(*, structure: Structure, by):
    """The pending requests to join the structure, oldest first, with the areas asked for."""
    members.managed_structure(by=by, structure_id=structure.pk)
    return with_areas(
        Membership.objects.filter(structure=structure, status=Membership.Status.REQUESTED)
        .select_related("user")
        .order_by("requested_at", "pk")
    )


@transaction.atomic
def member_invite(
    *,
    structure: Structure,
    by,
    email: str,
    first_name: str,
    last_name: str,
    modes: dict[str, str],
    language: str,
) -> Membership:
    """Create the person's account and membership with the chosen areas and send the
    invitation: they activate through the usual journey and land as a user of the structure,
    without a join request. Inviting the same person again (a double submit) returns the
    same invitation and sends nothing."""
    members.managed_structure(by=by, structure_id=structure.pk)
    email = User.objects.normalize_email(email).strip()
    user = User.objects.select_for_update().filter(email__iexact=email).first()
    if user is not None:
        existing = Membership.objects.filter(user=user, structure=structure).first()
        if existing is not None:
            if existing.invited_by_id and existing.status in (
                Membership.Status.AWAITING_ACTIVATION,
                Membership.Status.INVITED,
            ):
                return existing
            raise InvitationRefused(
                _("This person already belongs to the structure or asks to join it.")
            )
    else:
        user = User.objects.create_user(
            email=email,
            first_name=first_name,
            last_name=last_name,
            contact_email=email,
            preferred_language=language if language in ("en", "fr") else "en",
        )
    # Someone with an account already joins only once they accept, logged in (both steps).
    has_account = user.is_active or user.activated_at is not None
    membership = Membership.objects.create(
        user=user,
        structure=structure,
        role=Membership.Role.USER,
        status=Membership.Status.INVITED if has_account else Membership.Status.AWAITING_ACTIVATION,
        invited_by=by,
    )
    always_on = [a for a in catalogue() if a.always_on]
    AreaAssignment.objects.bulk_create(
        [AreaAssignment(membership=membership, area=a) for a in always_on]
    )
    _apply_modes(membership, modes, editable_areas(structure))
    audit.record(
        AuditEvent.Kind.MEMBER_INVITED,
        user=user,
        actor=by,
        **structure.audit_detail,
        areas=member_modes(membership),
    )
    if has_account:
        members.invitation_to_accept_mail(membership, inviter=by)
    else:
        invitation_mail(user=user, inviter=by, structure_name=structure.name)
    return membership


def history_details(event: AuditEvent) -> str:
    """What a history line changed, in words: the areas and modes before and after, the
    areas given to an invitee, a refusal's reason, an export's size."""
    areas = {area.code: area for area in catalogue()}
    labels = dict(MODE_LABELS)
    detail = event.detail or {}

    def name(code):
        return areas[code].name if code in areas else code

    def mode(value):
        return str(labels.get(value, _("none")))

    if "changes" in detail:
        return "; ".join(
            f"{name(code)}: {mode(before)} → {mode(after)}"
            for code, (before, after) in sorted(detail["changes"].items())
        )
    if "areas" in detail:
        return "; ".join(
            f"{name(code)}: {mode(value)}"
            for code, value in sorted(detail["areas"].items())
            if not (code in areas and areas[code].always_on)
        )
    if detail.get("reason"):
        return str(detail["reason"])
    if "count" in detail:
        return str(_("%(count)s rows") % {"count": detail["count"]})
    return ""


def _cell(value) -> str:
    """A cell a spreadsheet shows as text: a leading =, +, - or @ would make it a formula."""
    text = str(value or "")
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@dataclass
class Export:
    filename: str
    content: str


def members_export(*, structure: Structure, by) -> Export:
    """The members as CSV, UTF-8 with a byte order mark so that spreadsheet software reads
    accents right; the export is recorded in the history."""
    rows = with_areas(members.members_search(structure=structure, by=by))
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";")
    writer.writerow(
        [
            _("Last name"),
            _("First name"),
            _("Login e-mail"),
            _("Role"),
            _("Status"),
            _("Work areas"),
            _("Last log-in"),
        ]
    )
    count = 0
    for m in rows:
        count += 1
        areas = ", ".join(
            f"{a.area.name} ({a.get_mode_display()})"
            for a in m.area_assignments.all()
            if not a.area.always_on
        )
        last = (
            timezone.localtime(m.user.last_login).strftime("%Y-%m-%d %H:%M")
            if m.user.last_login
            else ""
        )
        writer.writerow(
            [
                _cell(m.user.last_name),
                _cell(m.user.first_name),
                _cell(m.user.email),
                m.get_role_display(),
                m.get_status_display(),
                _cell(areas),
                last,
            ]
        )
    members.members_export_recorded(structure=structure, by=by, count=count)
    day = timezone.localdate().isoformat()
    name = structure.siret or structure.identifier or structure.pk
    return Export(filename=f"members-{name}-{day}.csv", content=out.getvalue())


def domain_joiner_rights_narrowed(sender, *, membership: Membership, **kwargs) -> None:
    """A newcomer who joined by a proven e-mail domain had no manager choose their rights:
    of the areas they ticked at step 3 they keep those the structure has opened, read-only
    (Consultation); a manager widens them from the console."""
    opened = structure_area_codes(membership.structure)
    assignments = AreaAssignment.objects.filter(membership=membership)
    assignments.exclude(area__code__in=opened).exclude(area__always_on=True).delete()
    assignments.exclude(area__always_on=True).update(mode=AreaAssignment.Mode.CONSULTATION)
