"""Log-in form: one generic message whatever was wrong."""

from django import forms
from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _

from common.forms import LoginEmailField
from common.text import normalize_email


class LoginForm(forms.Form):
    email = LoginEmailField(
        label=_("Login email"),
        widget=forms.EmailInput(attrs={"autocomplete": "username", "spellcheck": "false"}),
    )
    password = forms.CharField(
        label=_("Password"),
        max_length=4096,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": _("Enter your password.")},
    )

    invalid_message = _(
        "The login e-mail or the password is not correct. Check both and try again, or use "
        "“Forgot your password?”."
    )
    challenge_message = _(
        "Too many failed log-ins for this account: your browser must complete a short check "
        "before the password is checked. Type your password again, then press “Log in”."
    )

    def __init__(self, *args, request=None, **kwargs):
        self.request = request
        self.user = None
        # The account needs a solved proof-of-work challenge (the template shows its widget).
        self.challenge_required = False
        self.refusal = None
        super().__init__(*args, prefix="login", **kwargs)

    def submitted_email(self) -> str:
        """The address as typed, normalised as stored, before any validation."""
        return normalize_email(str(self.data.get(self.add_prefix("email"), "")))[:254]

    def refuse(self, message) -> None:
        """Answer `message` instead of checking the password (which is then never checked)."""
        self.refusal = message

    def clean(self):
        data = super().clean()
        if self.refusal:
            raise forms.ValidationError(self.refusal, code="refused")
        email, password = data.get("email"), data.get("password")
        if email and password:
            self.user = authenticate(self.request, email=email, password=password)
            if self.user is None:
                raise forms.ValidationError(self.invalid_message, code="invalid_login")
        return data
