"""The "Ask a question" form."""

from django import forms
from django.utils.translation import gettext_lazy as _

from common.forms import LoginEmailField, PlainTextField
from helpdesk.models import Question
from structures.identifiers import clean_siret

MESSAGE_MIN_LENGTH = 10
MESSAGE_MAX_LENGTH = 5000


def subject_choices():
    return [("", _("Choose a subject")), *Question.Subject.choices]


class QuestionForm(forms.Form):
    name = PlainTextField(
        label=_("Your name"),
        max_length=150,
        error_messages={
            "required": _("Enter your name."),
            "max_length": _("A name has at most %(limit_value)d characters."),
        },
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = LoginEmailField(
        label=_("Your e-mail address"),
        help_text=_("We reply to this address."),
        error_messages={"required": _("Enter your e-mail address.")},
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )
    siret = PlainTextField(
        label=_("Your company's SIRET"),
        max_length=40,
        help_anchor="siret",
        help_link_text=_("What is a SIRET?"),
        required=False,
        help_text=_("Optional. The 14 digits of your company's SIRET, if you have one."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    subject = forms.ChoiceField(
        label=_("Subject"),
        choices=subject_choices,
        error_messages={
            "required": _("Choose the subject of your question."),
            "invalid_choice": _("Choose a subject from the list."),
        },
    )
    message = PlainTextField(
        label=_("Your question"),
        multiline=True,
        min_length=MESSAGE_MIN_LENGTH,
        max_length=MESSAGE_MAX_LENGTH,
        help_text=_("Between 10 and 5000 characters. Never write your password."),
        error_messages={
            "required": _("Write your question."),
            "min_length": _(
                "Your question is too short: write at least %(limit_value)d characters."
            ),
            "max_length": _("Your question is too long: write at most %(limit_value)d characters."),
        },
        widget=forms.Textarea(attrs={"rows": 8}),
    )

    def clean_siret(self):
        siret = self.cleaned_data["siret"]
        return clean_siret(siret) if siret else ""
