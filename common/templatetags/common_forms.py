"""Form rendering tags: each input carries the ids of its hint and its errors."""

from django import template

register = template.Library()


@register.simple_tag
def field_widget(field, **extra):
    """Render the widget with aria-describedby (hint and errors) and aria-invalid."""
    described = []
    if field.help_text:
        described.append(f"{field.auto_id}-hint")
    if field.errors:
        described.append(f"{field.auto_id}-error")
    attrs = {key.replace("_", "-"): value for key, value in extra.items()}
    existing = field.field.widget.attrs.get("aria-describedby")
    if existing:
        described.insert(0, existing)
    if described:
        attrs["aria-describedby"] = " ".join(described)
    if field.errors:
        attrs["aria-invalid"] = "true"
    return field.as_widget(attrs=attrs)
