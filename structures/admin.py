"""The admin of structures, their memberships and the join requests waiting for a decision."""

from collections import Counter

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Count, F, Q
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from audit.admin import AuditedAdminMixin
from audit.services import record_admin_action
from common.admin import ReadOnlyAdminMixin, pretty_json
from structures.identifiers import SIREN_LENGTH, clean_siret
from structures.models import JoinRequest, Membership, SireneMirror, Structure, SupportRequest
from structures.services import NotAllowed, join_request_approve, join_request_refuse
from structures.support import primary_manager_appoint, support_queue
from structures.verification import verify_structure

UNAVAILABLE = "unavailable"


class InseeVerifiedFilter(admin.SimpleListFilter):
    title = _("verified by INSEE")
    parameter_name = "verified"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(verification=Structure.Verification.VERIFIED)
        if self.value() == "no":
            return queryset.exclude(verification=Structure.Verification.VERIFIED)
        return queryset


class StructureAdminForm(forms.ModelForm):
    # Longer than 14: a SIRET is often pasted with spaces or dots, removed by clean_siret.
    siret = forms.CharField(label=_("SIRET"), max_length=40)

    class Meta:
        model = Structure
        fields = ("siret", *Structure.EDITABLE_FIELDS, "verification")

    def clean_siret(self):
        siret = clean_siret(self.cleaned_data["siret"])
        # The SIREN is not a field of the form: it is always the SIRET's first nine digits.
        self.instance.siren = siret[:SIREN_LENGTH]
        return siret


class MembershipInline(admin.TabularInline):
    """The members. A member is added or removed from the memberships admin, which searches
    users and audits deletions."""

    model = Membership
    fields = ("user", "role", "status", "requested_at", "decided_at")
    readonly_fields = ("user", "requested_at", "decided_at")
    extra = 0
    can_delete = False
    show_change_link = True
    ordering = ("created_at",)

    def get_queryset(self, request):
        # str(membership), shown on each row, names the user and the structure.
        return super().get_queryset(request).select_related("user", "structure")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Structure)
class StructureAdmin(AuditedAdminMixin, admin.ModelAdmin):
    form = StructureAdminForm
    list_display = (
        "name",
        "identifier_type",
        "identifier",
        "city",
        "verification",
        "non_diffusible",
        "active_members",
        "created_at",
    )
    list_filter = (
        "identifier_type",
        InseeVerifiedFilter,
        "verification",
        "non_diffusible",
        "created_at",
    )
    search_fields = ("identifier", "siret", "siren", "name")
    ordering = ("-created_at",)
    fieldsets = (
        (None, {"fields": ("identifier_type", "identifier", "siret", "siren", "name")}),
        (_("Address"), {"fields": (*Structure.ADDRESS_FIELDS, "non_diffusible")}),
        (
            _("INSEE"),
            {
                "fields": (
                    "verification",
                    "insee_checked_at",
                    "insee_source_display",
                    "insee_last_error",
                    "official_values_display",
                    "insee_snapshot_display",
                )
            },
        ),
        (_("Dates"), {"fields": ("created_at", "updated_at")}),
    )
    readonly_fields = (
        "identifier_type",
        "identifier",
        "official_values_display",
        "siren",
        "insee_checked_at",
        "insee_source_display",
        "insee_last_error",
        "insee_snapshot_display",
        "created_at",
        "updated_at",
    )
    inlines = (MembershipInline,)
    actions = ("refresh_from_insee",)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                active_member_count=Count(
                    "memberships", filter=Q(memberships__status=Membership.Status.ACTIVE)
                )
            )
        )

    def get_readonly_fields(self, request, obj=None):
        # The SIRET identifies the structure everywhere (INSEE, mails, audit): never edited.
        if obj is not None:
            return ("siret", *self.readonly_fields)
        return self.readonly_fields

    @admin.display(description=_("active members"), ordering="active_member_count")
    def active_members(self, structure):
        return structure.active_member_count

    @admin.display(description=_("INSEE data source"))
    def insee_source_display(self, structure):
        return structure.insee_source_label or "-"

    @admin.display(description=_("Register's values beside the current ones"))
    def official_values_display(self, structure):
        return render_to_string("structures/_official_values.html", {"structure": structure})

    @admin.display(description=_("INSEE response"))
    def insee_snapshot_display(self, structure):
        return pretty_json(structure.insee_snapshot)

    @admin.action(description=_("Refresh from INSEE"), permissions=["change"])
    def refresh_from_insee(self, request, queryset):
        # The least recently checked first: when INSEE or our rate limit stops the run, the
        # next run starts with the structures this one did not reach.
        structures = list(queryset.order_by(F("insee_checked_at").asc(nulls_first=True), "pk"))
        results: Counter[str] = Counter()
        for structure in structures:
            state = verify_structure(structure)
            results[state] += 1
            record_admin_action(
                request,
                action="refresh_from_insee",
                obj=structure,
                siret=structure.siret,
                result=state,
            )
            if state == UNAVAILABLE:
                # The register is down or our quota is used up: the next ones would fail too,
                # each after its retries.
                break
        not_tried = len(structures) - sum(results.values())
        other = sum(
            count
            for state, count in results.items()
            if state
            not in (Structure.Verification.VERIFIED, Structure.Verification.NOT_FOUND, UNAVAILABLE)
        )
        self.message_user(
            request,
            _(
                "Checked with INSEE: %(verified)d verified, %(not_found)d not found, "
                "%(other)d closed or not public, %(unavailable)d unavailable."
            )
            % {
                "verified": results[Structure.Verification.VERIFIED],
                "not_found": results[Structure.Verification.NOT_FOUND],
                "other": other,
                "unavailable": results[UNAVAILABLE],
            },
            messages.WARNING if results[UNAVAILABLE] else messages.SUCCESS,
        )
        if not_tried:
            self.message_user(
                request,
                ngettext(
                    "%(count)d structure not checked: INSEE is unavailable or our request "
                    "quota is used up. Try again in a minute.",
                    "%(count)d structures not checked: INSEE is unavailable or our request "
                    "quota is used up. Try again in a minute.",
                    not_tried,
                )
                % {"count": not_tried},
                messages.WARNING,
            )


@admin.register(Membership)
class MembershipAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("user", "structure", "role", "status", "created_at", "decided_at")
    list_filter = ("role", "status")
    search_fields = ("user__email", "structure__siret", "structure__name")
    list_select_related = ("user", "structure")
    autocomplete_fields = ("user", "structure")
    ordering = ("-created_at",)
    fields = (
        "user",
        "structure",
        "role",
        "status",
        "created_at",
        "requested_at",
        "decided_at",
        "decided_by",
        "decision_reason",
    )
    readonly_fields = ("created_at", "requested_at", "decided_at", "decided_by", "decision_reason")


class JoinRequestStatusFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [
            (status.value, status.label)
            for status in (Membership.Status.REQUESTED, Membership.Status.REFUSED)
        ]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(status=self.value())
        return queryset


@admin.register(JoinRequest)
class JoinRequestAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """The requests waiting for a decision and the refused ones; deciding goes through the
    same services as the managers' page, so the requester gets the same mail."""

    list_display = (
        "user",
        "structure",
        "status",
        "requested_at",
        "decided_at",
        "decided_by",
        "decision_reason",
    )
    list_filter = (JoinRequestStatusFilter, "requested_at")
    search_fields = ("user__email", "structure__siret", "structure__name")
    list_select_related = ("user", "structure", "decided_by")
    ordering = ("-requested_at",)
    fields = list_display
    readonly_fields = fields
    actions = ("approve", "refuse")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(status__in=[Membership.Status.REQUESTED, Membership.Status.REFUSED])
        )

    def has_add_permission(self, request):
        # A request is made by the requester, on the site.
        return False

    def has_change_permission(self, request, obj=None):
        # Deciding is done with the actions, never by editing the status.
        return obj is None and super().has_change_permission(request)

    @admin.action(description=_("Approve"), permissions=["change"])
    def approve(self, request, queryset):
        self._decide(request, queryset, service=join_request_approve, action="approve_join")

    @admin.action(description=_("Refuse"), permissions=["change"])
    def refuse(self, request, queryset):
        self._decide(request, queryset, service=join_request_refuse, action="refuse_join")

    def _decide(self, request, queryset, *, service, action):
        done = skipped = 0
        for membership_id in queryset.values_list("pk", flat=True):
            try:
                with transaction.atomic():
                    membership = service(
                        membership_id=membership_id, decided_by=request.user, admin=True
                    )
                    record_admin_action(
                        request,
                        action=action,
                        obj=membership,
                        user=membership.user,
                        siret=membership.structure.siret,
                    )
            except (NotAllowed, Membership.DoesNotExist):
                skipped += 1
            else:
                done += 1
        if done:
            if action == "approve_join":
                text = ngettext(
                    "%(count)d join request approved; the requester was told by mail.",
                    "%(count)d join requests approved; the requesters were told by mail.",
                    done,
                )
            else:
                text = ngettext(
                    "%(count)d join request refused; the requester was told by mail.",
                    "%(count)d join requests refused; the requesters were told by mail.",
                    done,
                )
            self.message_user(request, text % {"count": done}, messages.SUCCESS)
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d request skipped: it is no longer waiting for a decision.",
                    "%(count)d requests skipped: they are no longer waiting for a decision.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )


@admin.register(SireneMirror)
class SireneMirrorAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The local copy of the Sirene register, read-only: `sirene_import` and `sirene_update`
    (and their daily task) are what change it."""

    list_display = (
        "__str__",
        "establishments",
        "legal_units",
        "as_of",
        "imported_at",
        "updated_at",
    )
    readonly_fields = (
        "establishments",
        "legal_units",
        "as_of",
        "imported_at",
        "updated_at",
        "last_update_changes",
    )


@admin.register(SupportRequest)
class SupportRequestAdmin(JoinRequestAdmin):
    """The support's queue: join requests of structures with no active manager, unanswered
    for 7 days. The admin approves or refuses them, or appoints one requester primary
    manager, who then answers the others."""

    list_display = ("user", "structure", "requested_at", "structure_members")
    list_filter = ("requested_at",)
    actions = ("appoint", "approve", "refuse")

    def get_queryset(self, request):
        return SupportRequest.objects.filter(pk__in=support_queue().values("pk"))

    @admin.display(description=_("members of the structure"))
    def structure_members(self, membership):
        return ", ".join(
            f"{m.user.email} ({m.get_role_display()}, {m.get_status_display()})"
            for m in membership.structure.memberships.select_related("user").exclude(
                pk=membership.pk
            )
        )

    @admin.action(description=_("Appoint as primary manager"), permissions=["change"])
    def appoint(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        if len(ids) != 1:
            self.message_user(
                request, _("Choose exactly one request to appoint its author."), messages.ERROR
            )
            return
        try:
            with transaction.atomic():
                membership = primary_manager_appoint(membership_id=ids[0], by=request.user)
                record_admin_action(
                    request,
                    action="appoint_primary_manager",
                    obj=membership,
                    user=membership.user,
                    siret=membership.structure.siret,
                )
        except (NotAllowed, Membership.DoesNotExist):
            self.message_user(
                request,
                _(
                    "Not appointed: the structure has an active manager again, or this "
                    "person's account is not active."
                ),
                messages.WARNING,
            )
        else:
            self.message_user(
                request,
                _("%(email)s is now primary manager of %(structure)s; both were told by mail.")
                % {"email": membership.user.email, "structure": membership.structure.name},
                messages.SUCCESS,
            )
