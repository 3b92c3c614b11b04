"""Password and secret question forms: activation, change and recovery share them."""

from django import forms
from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext_lazy as _

from accounts import secret
from common.forms import PlainTextField


class NewPasswordMixin(forms.Form):
    """A new password and its confirmation, checked against AUTH_PASSWORD_VALIDATORS."""

    password = forms.CharField(
        label=_("Password"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(
            attrs={
                "autocomplete": "new-password",
                "data-password-meter": "true",
                "aria-describedby": "password-meter-text",
            }
        ),
        error_messages={"required": _("Enter a password.")},
    )
    confirmation = forms.CharField(
        label=_("Confirmation"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": _("Type the password again to confirm it.")},
    )

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self):
        password = self.cleaned_data["password"]
        validate_password(password, self.user)
        return password

    def clean(self):
        data = super().clean()
        password, confirmation = data.get("password"), data.get("confirmation")
        if password and confirmation and password != confirmation:
            self.add_error(
                "confirmation",
                forms.ValidationError(
                    _("The two passwords are different. Type the same password twice."),
                    code="password_mismatch",
                ),
            )
        return data


class SecretQuestionMixin(forms.Form):
    # The field whose value the answer must differ from.
    password_field = "password"

    secret_question = forms.ChoiceField(
        label=_("Secret question"),
        choices=secret.question_choices,
        error_messages={"required": _("Choose a secret question.")},
    )
    custom_question = PlainTextField(
        label=_("Your own question"),
        max_length=200,
        required=False,
        help_text=_("Only if you chose “Write my own question”."),
    )
    answer = PlainTextField(
        label=_("Answer"),
        max_length=200,
        strip=False,
        help_text=_(
            "At least 3 characters. Capitals, accents and extra spaces do not matter. You will "
            "be asked for it if you forget your password."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        error_messages={"required": _("Enter the answer to your secret question.")},
    )

    def clean_custom_question(self):
        text = self.cleaned_data.get("custom_question", "").strip()
        if self.cleaned_data.get("secret_question") == secret.CUSTOM and len(text) < 5:
            raise forms.ValidationError(
                _("Write your question (at least 5 characters)."), code="custom_question"
            )
        return text

    def clean_answer(self):
        answer = self.cleaned_data["answer"]
        if len(secret.normalize_answer(answer)) < secret.MIN_ANSWER_LENGTH:
            raise forms.ValidationError(
                _("The answer must have at least 3 characters."), code="answer_too_short"
            )
        return answer

    def clean(self):
        data = super().clean()
        password, answer = data.get(self.password_field), data.get("answer")
        if (
            password
            and answer
            and secret.normalize_answer(answer) == secret.normalize_answer(password)
        ):
            self.add_error(
                "answer",
                forms.ValidationError(
                    _("The answer must not be your password."), code="answer_is_password"
                ),
            )
        return data

    @property
    def stored_question(self) -> str:
        return secret.stored_question(
            self.cleaned_data["secret_question"], self.cleaned_data.get("custom_question", "")
        )


class ActivationForm(NewPasswordMixin, SecretQuestionMixin):
    """Step 4: the password and the secret question (the clean() of both mixins run)."""

    field_order = ["password", "confirmation", "secret_question", "custom_question", "answer"]
