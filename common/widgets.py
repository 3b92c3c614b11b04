"""Widgets of our own."""

from django import forms
from django.forms.utils import flatatt
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language


class CountrySelect(forms.Select):
    """The country select, rendered in Python with its 250 options built once per language:
    through Django's widget templates they cost ~30 ms a page. Same markup as forms.Select.
    Its choices must be the country list (the cache is keyed by language only)."""

    _options_by_language: dict[str, list[tuple[str, str, str]]] = {}

    def _options(self) -> list[tuple[str, str, str]]:
        language = get_language() or ""
        options = self._options_by_language.get(language)
        if options is None:
            options = []
            for value, label in self.choices:
                value, label = escape(str(value)), escape(str(label))
                options.append(
                    (
                        str(value),
                        f'<option value="{value}">{label}</option>',
                        f'<option value="{value}" selected>{label}</option>',
                    )
                )
            self._options_by_language[language] = options
        return options

    def render(self, name, value, attrs=None, renderer=None):
        final = self.build_attrs(self.attrs, attrs)
        final["name"] = name
        if isinstance(value, list | tuple):
            value = value[0] if value else ""
        selected = escape("" if value is None else str(getattr(value, "code", value)))
        html = "".join(
            chosen if option == selected else plain for option, plain, chosen in self._options()
        )
        return format_html("<select{}>{}</select>", flatatt(final), mark_safe(html))  # noqa: S308
