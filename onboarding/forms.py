"""Forms of registration steps 1 and 2 (step 3 is workareas' AreasForm, step 4 accounts'
ActivationForm)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from common.forms import LoginEmailField, PhoneField, PlainTextField
from onboarding.draft import Details
from structures.forms import StructureForm
from structures.identifiers import clean_siret
from structures.models import Structure


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
        help_anchor="siret",
        help_link_text=_("What is a SIRET?"),
        help_text=_(
            "The SIRET: 14 digits. Have it to hand before you start (Kbis extract, INSEE notice, "
            "your invoices)."
        ),
        error_messages={"required": _("Enter your company's SIRET (14 digits).")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    def clean_siret(self):
        return clean_siret(self.cleaned_data["siret"])


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

    def __init__(self, *args, existing_structure: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.existing_structure = existing_structure
        if existing_structure:
            for name in (self.name_field, *Structure.EDITABLE_FIELDS):
                self.fields.pop(name, None)

    def clean(self):
        if self.existing_structure:
            return forms.Form.clean(self)
        return super().clean()

    def details(self) -> Details:
        return Details.from_dict(self.cleaned_data)
