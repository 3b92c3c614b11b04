"""Forms of registration steps 1 and 2 (step 3 is workareas' AreasForm, step 4 accounts'
ActivationForm)."""

import json

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from common.forms import LoginEmailField, PhoneField, PlainTextField, country_choices
from onboarding.draft import Details
from structures.forms import StructureForm
from structures.identifiers import (
    BUILT_FROM_NAME,
    WITHOUT_NUMBER,
    IdentifierType,
    clean_identifier,
    is_eu_country,
    outside_eu_identifier,
)
from structures.models import Structure

# The hint under "Company registration number" for each identifier type (portal.js swaps
# it when the type changes; without JavaScript the server renders the chosen type's).
NUMBER_HINTS = {
    IdentifierType.SIRET: _(
        "The SIRET: 14 digits. Have it to hand before you start (Kbis extract, INSEE notice, "
        "your invoices)."
    ),
    IdentifierType.EU_VAT: _(
        "The intra-community VAT number with its country prefix, for example DE136695976 or "
        "BE0403170701. It is checked with VIES, the EU's register."
    ),
    IdentifierType.OUTSIDE_EU: _(
        "No number: give your company's country and name below; together they identify it."
    ),
    IdentifierType.RIDET: _(
        "The RIDET: 7 digits for the company and 3 for the establishment, for example 1234567.001."
    ),
    IdentifierType.TAHITI: _(
        "The TAHITI number: a letter and 5 digits, then the establishment's 3 digits, for "
        "example A12345 001."
    ),
    IdentifierType.PRIVATE_INDIVIDUAL: _(
        "No number: your structure is yourself, with your name and your address."
    ),
    IdentifierType.BEING_REGISTERED: _(
        "No number yet: you will enter your SIRET from your structure's page once INSEE has "
        "given it."
    ),
}


def _outside_eu_countries():
    return [choice for choice in country_choices() if not choice[0] or not is_eu_country(choice[0])]


class StartForm(forms.Form):
    """Step 1: the login e-mail, the identifier type and the company's number (or, outside
    the EU, its country and name)."""

    identifier_type = forms.ChoiceField(
        label=_("Identifier type"),
        choices=IdentifierType.choices,
        initial=IdentifierType.SIRET,
        # A form sent without it (an old bookmark, a script) is about a SIRET, as before.
        required=False,
    )

    email = LoginEmailField(
        label=_("Login email"),
        help_text=_("You will log in with this address; the activation link is sent to it."),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )
    siret = PlainTextField(
        label=_("Company registration number"),
        max_length=40,
        help_anchor="siret",
        help_link_text=_("What is a SIRET?"),
        help_text=_(
            "The SIRET: 14 digits. Have it to hand before you start (Kbis extract, INSEE notice, "
            "your invoices)."
        ),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    country = forms.ChoiceField(
        label=_("Country of the company"),
        choices=_outside_eu_countries,
        required=False,
        help_text=_("Only for a company outside the EU."),
        # Not CountrySelect: its options are cached for the whole country list.
        widget=forms.Select(attrs={"autocomplete": "country"}),
    )
    company_name = PlainTextField(
        label=_("Company name"),
        max_length=200,
        required=False,
        help_text=_("Only for a company outside the EU: its name as registered in its country."),
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )

    _required = {
        IdentifierType.SIRET: _("Enter your company's SIRET (14 digits)."),
        IdentifierType.EU_VAT: _("Enter your company's VAT number, with its country prefix."),
        IdentifierType.RIDET: _("Enter your company's RIDET."),
        IdentifierType.TAHITI: _("Enter your company's TAHITI number."),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        chosen = self.data.get(self.add_prefix("identifier_type")) if self.is_bound else None
        chosen = chosen or self.initial.get("identifier_type") or IdentifierType.SIRET
        if chosen not in IdentifierType.values:
            chosen = IdentifierType.SIRET
        self.fields["siret"].help_text = NUMBER_HINTS[IdentifierType(chosen)]
        self.fields["identifier_type"].widget.attrs["data-hints"] = json.dumps(
            {str(kind): str(hint) for kind, hint in NUMBER_HINTS.items()}
        )

    def clean(self):
        data = super().clean()
        if "identifier_type" in self.errors:
            return data
        kind = IdentifierType(data.get("identifier_type") or IdentifierType.SIRET)
        data["identifier_type"] = kind
        data["identifier"] = ""
        if kind in WITHOUT_NUMBER:
            data["siret"] = ""
        elif kind in BUILT_FROM_NAME:
            country, name = data.get("country"), data.get("company_name")
            if not country:
                self.add_error("country", _("Choose the country of the company."))
            elif is_eu_country(country):
                self.add_error(
                    "country",
                    _("This country is in the EU: choose “EU VAT number (outside France)”."),
                )
            if not name:
                self.add_error("company_name", _("Enter the company name."))
            if country and name and not self.errors:
                try:
                    data["identifier"] = outside_eu_identifier(country=country, company_name=name)
                except ValidationError as error:
                    self.add_error("company_name", error)
            data["siret"] = ""
        elif not data.get("siret") and "siret" not in self.errors:
            self.add_error("siret", forms.ValidationError(self._required[kind], code="required"))
        elif "siret" not in self.errors:
            try:
                data["identifier"] = clean_identifier(kind, data["siret"])
            except ValidationError as error:
                self.add_error("siret", error)
            else:
                data["siret"] = data["identifier"] if kind == IdentifierType.SIRET else ""
        return data


class CompanySearchForm(forms.Form):
    """ "Find my company": a name or a SIREN, and where, to find one's SIRET."""

    q = PlainTextField(
        label=_("Company name or SIREN"),
        max_length=120,
        min_length=3,
        error_messages={
            "required": _("Enter your company's name, or its SIREN (9 digits)."),
            "min_length": _("Enter at least 3 letters of your company's name."),
        },
        widget=forms.TextInput(attrs={"autocomplete": "organization", "spellcheck": "false"}),
    )
    place = PlainTextField(
        label=_("Postal code or city"),
        required=False,
        max_length=60,
        help_text=_("Optional. Narrows the search to the establishments there."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class PersonForm(forms.Form):
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
    phone = PhoneField(
        help_text=_("Optional. For example 01 23 45 67 89 or +33 1 23 45 67 89."),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
    )


class DetailsForm(PersonForm, StructureForm):
    """Step 2: the person, and the structure's editable fields when it is new to the portal
    (`name` is called `company_name` here)."""

    name_field = "company_name"
    field_order = ["contact_email", "first_name", "last_name", "phone", "name"]

    def __init__(
        self,
        *args,
        existing_structure: bool = False,
        identifier_type: str = IdentifierType.SIRET,
        fixed: dict | None = None,
        **kwargs,
    ):
        super().__init__(*args, identifier_type=identifier_type, **kwargs)
        self.existing_structure = existing_structure
        self.identifier_type = identifier_type
        if existing_structure:
            for name in (self.name_field, *Structure.EDITABLE_FIELDS):
                self.fields.pop(name, None)
            return
        if identifier_type == IdentifierType.PRIVATE_INDIVIDUAL:
            # The structure is the person: it takes their name.
            self.fields.pop(self.name_field)
        for name, value in (fixed or {}).items():
            field = self.fields.get(self.name_field if name == "name" else name)
            if field is not None:
                # Settled at step 1: shown, never taken from the browser.
                field.initial, field.disabled = value, True

    def clean(self):
        if self.existing_structure:
            return forms.Form.clean(self)
        data = super().clean()
        if self.identifier_type == IdentifierType.PRIVATE_INDIVIDUAL:
            data[self.name_field] = " ".join(
                part for part in (data.get("first_name"), data.get("last_name")) if part
            )
        return data

    def details(self) -> Details:
        return Details.from_dict(self.cleaned_data)
