"""Form fields every app's forms share: plain text without control characters, e-mail
addresses normalised, phone numbers, countries."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from common.text import normalize_email
from common.widgets import CountrySelect

PHONE = re.compile(r"^\+?[0-9 .()\-]{6,25}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Every line break Unicode knows: CR, LF, vertical tab, form feed, NEL, line and paragraph
# separators.
_LINE_BREAK = re.compile(r"[\r\n\x0b\x0c\x85\u2028\u2029]")


def country_choices():
    return [("", _("Choose a country")), *countries]


class PlainTextField(forms.CharField):
    """A text field that refuses NUL and other control characters (robots love them) and,
    unless `multiline`, line breaks: names, company names and addresses go into mails, where
    a line break could forge a header or a paragraph the person never wrote.

    `help_anchor` and `help_link_text` add a link to that section of the help page after the
    hint (rendered by the field template, templates/common/field.html)."""

    def __init__(
        self,
        *,
        multiline: bool = False,
        help_anchor: str = "",
        help_link_text: str = "",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.multiline = multiline
        self.help_anchor = help_anchor
        self.help_link_text = help_link_text

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return value
        if not self.multiline and _LINE_BREAK.search(value):
            raise forms.ValidationError(
                _("Write this on a single line, without line breaks."), code="line_break"
            )
        if _CONTROL.search(value):
            raise forms.ValidationError(
                _("This field contains characters that are not allowed."), code="control"
            )
        return value


class LoginEmailField(forms.EmailField):
    """An e-mail address, trimmed and lower-cased as addresses are stored."""

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


class PhoneField(PlainTextField):
    """Optional by default; digits, spaces, dots, dashes, brackets and a leading +."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Phone"))
        kwargs.setdefault("max_length", 25)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, value):
        phone = (super().clean(value) or "").strip()
        if phone and not PHONE.match(phone):
            raise forms.ValidationError(
                _("Enter a phone number with digits only, for example 01 23 45 67 89."),
                code="phone",
            )
        return phone


class CountryField(forms.ChoiceField):
    """The country list, rendered by CountrySelect (built once per language)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("choices", country_choices)
        kwargs.setdefault("widget", CountrySelect(attrs={"autocomplete": "country"}))
        super().__init__(**kwargs)
