"""My account forms."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.forms.passwords import NewPasswordMixin, SecretQuestionMixin
from accounts.models import User
from accounts.passwords_current import current_password_check
from common.forms import LoginEmailField, PhoneField, PlainTextField


class ProfileForm(forms.Form):
    first_name = PlainTextField(label=_("First name"), max_length=150)
    last_name = PlainTextField(label=_("Last name"), max_length=150)
    phone = PhoneField()
    preferred_language = forms.ChoiceField(label=_("Language"), choices=User.Language.choices)
    contact_email = LoginEmailField(
        label=_("Contact email"),
        help_text=_("A new address receives a confirmation link; it is used once confirmed."),
    )


class CurrentPasswordMixin(forms.Form):
    """The person's current password, checked (and throttled) before the change; the form
    takes the `request` it comes from."""

    current_password = forms.CharField(
        label=_("Current password"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": _("Enter your current password.")},
    )

    def __init__(self, *args, request=None, **kwargs):
        self.request = request
        super().__init__(*args, **kwargs)

    def clean_current_password(self):
        value = self.cleaned_data["current_password"]
        current_password_check(request=self.request, user=self.user, password=value)
        return value


class PasswordChangeForm(CurrentPasswordMixin, NewPasswordMixin):
    field_order = ["current_password", "password", "confirmation"]


class SecretQuestionChangeForm(CurrentPasswordMixin, SecretQuestionMixin):
    field_order = ["current_password", "secret_question", "custom_question", "answer"]

    password_field = "current_password"

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)


class ResetForm(NewPasswordMixin):
    answer = PlainTextField(
        label=_("Answer to your secret question"),
        max_length=200,
        strip=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        error_messages={"required": _("Enter the answer to your secret question.")},
    )
    field_order = ["answer", "password", "confirmation"]


class ForgotForm(forms.Form):
    email = LoginEmailField(
        label=_("Login email"),
        widget=forms.EmailInput(attrs={"autocomplete": "username", "spellcheck": "false"}),
    )
