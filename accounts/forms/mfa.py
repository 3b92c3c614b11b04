"""Forms of the second step and of the two-step verification settings."""

from django import forms
from django.utils.translation import gettext_lazy as _

from common.forms import PlainTextField


class CodeForm(forms.Form):
    """A 6-digit code: from the authenticator app, or mailed to the login e-mail."""

    code = PlainTextField(
        label=_("Verification code"),
        max_length=20,
        error_messages={"required": _("Enter the 6-digit code.")},
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "spellcheck": "false",
            }
        ),
    )
    remember = forms.BooleanField(label=_("Remember this browser for 30 days"), required=False)

    def __init__(self, *args, rememberable: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not rememberable:
            del self.fields["remember"]

    def clean_code(self):
        code = "".join(self.cleaned_data["code"].split())
        if not (code.isdigit() and len(code) == 6):
            raise forms.ValidationError(
                _("A verification code has 6 digits, for example 123456."), code="format"
            )
        return code


class RecoveryCodeForm(forms.Form):
    code = PlainTextField(
        label=_("Recovery code"),
        max_length=40,
        help_text=_("One of the ten codes you saved, for example abcde-fghjk. Each works once."),
        error_messages={"required": _("Enter one of your recovery codes.")},
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    remember = forms.BooleanField(label=_("Remember this browser for 30 days"), required=False)


class SecurityKeyNameForm(forms.Form):
    name = PlainTextField(
        label=_("Name of the key"),
        max_length=60,
        help_text=_("So that you can tell your keys apart, for example “Blue USB key”."),
        error_messages={"required": _("Give the key a name.")},
    )
