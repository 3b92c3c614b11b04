"""Forms of the structure pages."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.forms.registration import DetailsForm, PlainTextField


class StructureForm(DetailsForm):
    """The structure's fields (not its identifier), with the rules of registration step 2."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("contact_email", "first_name", "last_name", "phone"):
            del self.fields[name]
        self.fields["name"] = self.fields.pop("company_name")
        self.order_fields(["name", "non_diffusible", *self.ADDRESS_FIELDS])

    def clean_name(self):
        return self.cleaned_data["name"]


class TransferForm(forms.Form):
    member = forms.TypedChoiceField(label=_("New primary manager"), coerce=int)
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("To confirm that it is you."),
    )

    def __init__(self, *args, user, members, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        self.fields["member"].choices = [("", _("Choose a member"))] + [
            (m.pk, f"{m.user.get_full_name()} ({m.user.email})") for m in members
        ]

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("This is not your password."), code="wrong_password")
        return password


class RefuseForm(forms.Form):
    reason = PlainTextField(label=_("Reason (optional)"), max_length=500, required=False)
