"""Forms of the manager's console: rights per area, copy, invitation, several join requests."""

from django import forms
from django.utils.translation import gettext_lazy as _

from common.forms import PlainTextField
from workareas.models import AreaAssignment

MODE_CHOICES = [("", _("None")), *AreaAssignment.Mode.choices]


class RightsForm(forms.Form):
    """One choice per area: none, Consultation or Modification."""

    def __init__(self, *args, areas, initial_modes=None, prefix_label="", **kwargs):
        super().__init__(*args, **kwargs)
        self.areas = list(areas)
        initial_modes = initial_modes or {}
        for area in self.areas:
            self.fields[f"area-{area.code}"] = forms.ChoiceField(
                label=area.name,
                choices=MODE_CHOICES,
                required=False,
                initial=initial_modes.get(area.code, ""),
            )

    def modes(self) -> dict[str, str]:
        return {area.code: self.cleaned_data.get(f"area-{area.code}", "") for area in self.areas}


class InviteForm(RightsForm):
    email = forms.EmailField(
        label=_("Login e-mail"),
        max_length=254,
        error_messages={
            "required": _("Enter the person's e-mail address."),
            "invalid": _("Enter an e-mail address such as name@company.fr."),
        },
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    first_name = PlainTextField(
        label=_("First name"),
        max_length=150,
        error_messages={"required": _("Enter the person's first name.")},
    )
    last_name = PlainTextField(
        label=_("Last name"),
        max_length=150,
        error_messages={"required": _("Enter the person's last name.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The person first, then their areas.
        order = ["email", "first_name", "last_name"]
        self.order_fields(order)


class MemberIdsField(forms.TypedMultipleChoiceField):
    """Member ids ticked in a list. Any whole number passes: the service looks each one up
    in the manager's structure (another structure's id is not found there, and a request
    decided meanwhile is skipped), so a double submit is no form error."""

    def valid_value(self, value):
        return str(value).isdigit() and 0 < int(value) < 2**63


class CopyForm(forms.Form):
    targets = MemberIdsField(
        label=_("Copy these rights to"),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one member.")},
    )

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["targets"].choices = [
            (m.pk, f"{m.user.get_full_name()} ({m.user.email})") for m in members
        ]


class JoinRequestsForm(RightsForm):
    requests = MemberIdsField(
        label=_("Requests"),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Tick at least one request.")},
    )
    reason = PlainTextField(
        label=_("Reason (optional, sent if you refuse)"), max_length=500, required=False
    )
    action = forms.ChoiceField(
        choices=[("approve", _("Approve")), ("refuse", _("Refuse"))],
        error_messages={"required": _("Choose Approve or Refuse.")},
    )

    def __init__(self, *args, pending, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["requests"].choices = [(m.pk, m.user.get_full_name()) for m in pending]
