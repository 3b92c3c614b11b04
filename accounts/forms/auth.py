"""Log-in form: one generic message whatever was wrong."""

from django import forms
from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _

from common.forms import LoginEmailField


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

    def __init__(self, *args, request=None, **kwargs):
        self.request = request
        self.user = None
        super().__init__(*args, prefix="login", **kwargs)

    def clean(self):
        data = super().clean()
        email, password = data.get("email"), data.get("password")
        if email and password:
            self.user = authenticate(self.request, email=email, password=password)
            if self.user is None:
                raise forms.ValidationError(self.invalid_message, code="invalid_login")
        return data
