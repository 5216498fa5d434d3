from django import forms
from django.utils.translation import gettext_lazy as _


class CustomerSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Phone, email, member number or name"), max_length=120, required=False
    )


class WhatMattersForm(forms.Form):
    what_matters = forms.CharField(
        label=_("What matters to this customer"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
        required=False,
    )
    tags = forms.CharField(label=_("Tags (comma separated)"), max_length=600, required=False)

    def clean_tags(self) -> list[str]:
        raw = self.cleaned_data.get("tags") or ""
        return [t.strip() for t in raw.split(",") if t.strip()]
