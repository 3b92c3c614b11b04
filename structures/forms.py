"""Forms of the structure: its editable fields (declared once), the role transfer, refusals."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.passwords_current import current_password_check
from common.forms import CountryField, PlainTextField
from structures.identifiers import IdentifierType, clean_siret
from structures.models import Structure

_FR_POSTAL_CODE = re.compile(r"^[0-9]{5}$")


class StructureForm(forms.Form):
    """The fields of Structure.EDITABLE_FIELDS with their rules: the address is required
    unless the structure is not diffusible (then it is masked), a French postal code has
    5 digits. Registration step 2 uses it under the name `company_name` for `name`."""

    name = PlainTextField(
        label=_("Company name"),
        max_length=255,
        error_messages={"required": _("Enter the company name.")},
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    non_diffusible = forms.BooleanField(
        label=_("INSEE not diffusible"),
        required=False,
        help_text=_(
            "Tick this box only if your company asked INSEE to keep its information confidential. "
            "The address is then hidden from everyone but your structure's members and the "
            "administrators."
        ),
    )
    address_line = PlainTextField(
        label=_("Address"),
        max_length=255,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-line1"}),
    )
    address_complement = PlainTextField(
        label=_("Address complement"),
        max_length=255,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-line2"}),
    )
    postal_code = PlainTextField(
        label=_("Postal code"),
        max_length=20,
        required=False,
        help_text=_("5 digits in France."),
        widget=forms.TextInput(attrs={"autocomplete": "postal-code"}),
    )
    city = PlainTextField(
        label=_("City"),
        max_length=255,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
    )
    country = CountryField(label=_("Country"), required=False, initial="FR")

    name_field = "name"
    _required_address = {
        "address_line": _("Enter the address of the establishment."),
        "postal_code": _("Enter the postal code."),
        "city": _("Enter the city."),
        "country": _("Choose the country."),
    }

    def __init__(self, *args, identifier_type: str = IdentifierType.SIRET, **kwargs):
        super().__init__(*args, **kwargs)
        if identifier_type != IdentifierType.SIRET:
            # "Not diffusible" is INSEE's word: no other register has it.
            self.fields.pop("non_diffusible")
        if self.name_field != "name":
            renamed = {}
            for key, field in self.fields.items():
                renamed[self.name_field if key == "name" else key] = field
            self.fields = renamed
        masked = (
            self.is_bound
            and "non_diffusible" in self.fields
            and self.fields["non_diffusible"].widget.value_from_datadict(
                self.data, self.files, self.add_prefix("non_diffusible")
            )
        )
        for name, message in self._required_address.items():
            self.fields[name].required = not masked
            self.fields[name].error_messages["required"] = message

    @classmethod
    def initial_from(cls, structure: Structure) -> dict:
        initial = {name: getattr(structure, name) for name in Structure.EDITABLE_FIELDS}
        initial["country"] = structure.country.code or ""
        return initial

    def structure_values(self) -> dict:
        """The cleaned values under the model's field names."""
        values = {name: self.cleaned_data.get(name) for name in Structure.EDITABLE_FIELDS}
        values["name"] = self.cleaned_data[self.name_field]
        values = {name: ("" if value is None else value) for name, value in values.items()}
        values["non_diffusible"] = bool(values["non_diffusible"])
        return values

    def clean(self):
        data = super().clean()
        country = data.get("country") or "FR"
        postal_code = (data.get("postal_code") or "").replace(" ", "")
        if postal_code and country == "FR" and not _FR_POSTAL_CODE.match(postal_code):
            self.add_error(
                "postal_code",
                forms.ValidationError(
                    _("A French postal code has 5 digits, for example 75011."), code="postal"
                ),
            )
        elif postal_code:
            data["postal_code"] = postal_code
        if not data.get("country"):
            data["country"] = "FR" if not data.get("non_diffusible") else ""
        return data


class SiretForm(forms.Form):
    """The SIRET of a structure that was being registered, once INSEE has given it."""

    siret = PlainTextField(
        label=_("SIRET"),
        max_length=40,
        help_text=_("14 digits, as on your Kbis extract or INSEE notice."),
        error_messages={"required": _("Enter your company's SIRET (14 digits).")},
    )

    def clean_siret(self):
        return clean_siret(self.cleaned_data["siret"])


class DomainForm(forms.Form):
    """An address at the domain the primary manager declares; a link is mailed to it."""

    domain_address = forms.EmailField(
        label=_("An address at your company's domain"),
        max_length=254,
        help_text=_(
            "For example accounting@your-company.fr. We mail a link to it; once opened, "
            "colleagues with a login e-mail at this domain join without waiting."
        ),
        widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


class TransferForm(forms.Form):
    member = forms.TypedChoiceField(label=_("New primary manager"), coerce=int)
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("To confirm that it is you."),
    )

    def __init__(self, *args, user, members, request=None, **kwargs):
        self.user = user
        self.request = request
        super().__init__(*args, **kwargs)
        self.fields["member"].choices = [("", _("Choose a member"))] + [
            (m.pk, f"{m.user.get_full_name()} ({m.user.email})") for m in members
        ]

    def clean_password(self):
        password = self.cleaned_data["password"]
        current_password_check(request=self.request, user=self.user, password=password)
        return password


class RefuseForm(forms.Form):
    reason = PlainTextField(label=_("Reason (optional)"), max_length=500, required=False)
