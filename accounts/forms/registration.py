"""Forms of the registration steps 1 to 3."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from accounts.forms.widgets import CountrySelect
from accounts.models import normalize_email
from structures.identifiers import clean_siret

_PHONE = re.compile(r"^\+?[0-9 .()\-]{6,25}$")
_FR_POSTAL_CODE = re.compile(r"^[0-9]{5}$")


def country_choices():
    return [("", _("Choose a country")), *countries]


class PlainTextField(forms.CharField):
    """A text field that refuses NUL and other control characters (robots love them)."""

    def to_python(self, value):
        value = super().to_python(value)
        if value and re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", value):
            raise forms.ValidationError(
                _("This field contains characters that are not allowed."), code="control"
            )
        return value


class LoginEmailField(forms.EmailField):
    default_error_messages = {
        "invalid": _("Enter an e-mail address in the form name@example.fr."),
        "required": _("Enter your login e-mail address."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 254)
        super().__init__(**kwargs)
        self.error_messages["max_length"] = _("An e-mail address has at most 254 characters.")

    def clean(self, value):
        return normalize_email(super().clean(value))


class StartForm(forms.Form):
    """Step 1: the login e-mail and the company's SIRET."""

    email = LoginEmailField(
        label=_("Login email"),
        help_text=_("You will log in with this address; the activation link is sent to it."),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )
    siret = PlainTextField(
        label=_("Company registration number"),
        max_length=40,
        help_text=_(
            "The SIRET: 14 digits. Have it to hand before you start (Kbis extract, INSEE notice, "
            "your invoices)."
        ),
        error_messages={"required": _("Enter your company's SIRET (14 digits).")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    def clean_siret(self):
        return clean_siret(self.cleaned_data["siret"])


class DetailsForm(forms.Form):
    """Step 2: the person, and the structure when it is new to the portal."""

    STRUCTURE_FIELDS = (
        "company_name",
        "address_line",
        "address_complement",
        "postal_code",
        "city",
        "country",
        "non_diffusible",
    )
    ADDRESS_FIELDS = ("address_line", "address_complement", "postal_code", "city", "country")

    contact_email = LoginEmailField(
        label=_("Contact email"),
        required=False,
        help_text=_("Notifications go to this address. Leave it as is to use your login e-mail."),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )
    first_name = PlainTextField(
        label=_("First name"),
        max_length=150,
        error_messages={"required": _("Enter your first name.")},
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    last_name = PlainTextField(
        label=_("Last name"),
        max_length=150,
        error_messages={"required": _("Enter your last name.")},
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    phone = PlainTextField(
        label=_("Phone"),
        max_length=25,
        required=False,
        help_text=_("Optional. For example 01 23 45 67 89 or +33 1 23 45 67 89."),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
    )
    company_name = PlainTextField(
        label=_("Company name"),
        max_length=255,
        error_messages={"required": _("Enter the company name.")},
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
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
    country = forms.ChoiceField(
        label=_("Country"),
        choices=country_choices,
        required=False,
        initial="FR",
        widget=CountrySelect(attrs={"autocomplete": "country"}),
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

    def __init__(self, *args, existing_structure: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.existing_structure = existing_structure
        if existing_structure:
            for name in self.STRUCTURE_FIELDS:
                del self.fields[name]
        else:
            # The address is required unless the structure is not diffusible (then it is masked).
            masked = self.is_bound and self.fields["non_diffusible"].widget.value_from_datadict(
                self.data, self.files, self.add_prefix("non_diffusible")
            )
            messages = {
                "address_line": _("Enter the address of the establishment."),
                "postal_code": _("Enter the postal code."),
                "city": _("Enter the city."),
                "country": _("Choose the country."),
            }
            for name, message in messages.items():
                self.fields[name].required = not masked
                self.fields[name].error_messages["required"] = message

    def clean_phone(self):
        phone = self.cleaned_data.get("phone", "").strip()
        if phone and not _PHONE.match(phone):
            raise forms.ValidationError(
                _("Enter a phone number with digits only, for example 01 23 45 67 89."),
                code="phone",
            )
        return phone

    def clean(self):
        data = super().clean()
        if self.existing_structure:
            return data
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


class AreasForm(forms.Form):
    """Step 3 (and My account): the switches of the work areas."""

    areas = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, catalogue, locked_codes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.catalogue = list(catalogue)
        self.locked_codes = set(locked_codes) | {a.code for a in self.catalogue if a.always_on}
        self.fields["areas"].choices = [(area.code, area.name) for area in self.catalogue]

    def clean_areas(self):
        chosen = set(self.cleaned_data["areas"]) | self.locked_codes
        return [area.code for area in self.catalogue if area.code in chosen]
