"""The switches of the work areas: registration step 3 and My work areas."""

from django import forms


class AreasForm(forms.Form):
    areas = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, catalogue, locked_codes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.catalogue = list(catalogue)
        self.locked_codes = set(locked_codes) | {a.code for a in self.catalogue if a.always_on}
        self.fields["areas"].choices = [(area.code, area.name) for area in self.catalogue]

    def clean_areas(self):
        chosen = set(self.cleaned_data["areas"]) | self.locked_codes
        return [area.code for area in self.catalogue if area.code in chosen]
