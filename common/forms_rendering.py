"""The portal's form renderer (settings.FORM_RENDERER).

`{{ form.email.as_field_group }}` renders templates/common/field.html: the label with its
required marker, the hint, the errors and the widget with aria-describedby and aria-invalid
(the `field_widget` tag of common_forms). The variants come from the field itself:
- a CheckboxInput (`field.widget_type == "checkbox"`) puts the box before its label;
- a form field with `help_anchor` and `help_link_text` attributes ends its hint with a link
  to that section of the help page (`help_link_text` is a lazy translation).
"""

from django.forms.renderers import DjangoTemplates
from django.template import TemplateDoesNotExist
from django.template.loader import get_template


class PortalFormRenderer(DjangoTemplates):
    """Django's default renderer, plus the project's templates.

    A template is looked up first as the default renderer does (Django's widget templates
    and the apps' templates: admin and other widget templates include django/forms/ ones,
    which only that engine finds, django.forms not being an installed app), then in the
    project's engine (settings.TEMPLATES: templates/, {% url %}, our tag libraries), where
    the field group template lives."""

    field_template_name = "common/field.html"

    def get_template(self, template_name):
        try:
            return super().get_template(template_name)
        except TemplateDoesNotExist:
            return get_template(template_name)
