from django import forms
from django.utils.translation import gettext_lazy as _

from layani.core.choices import Purpose


class CallNoteForm(forms.Form):
    purpose = forms.ChoiceField(label=_("Why did the customer call?"), choices=Purpose.choices)
    result = forms.CharField(
        label=_("Result"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4})
    )


class NewCallerForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=160)


class CallbackForm(forms.Form):
    """The public callback form; times are the branch's local times."""

    name = forms.CharField(label=_("Your name"), max_length=160)
    phone = forms.CharField(label=_("Phone number"), max_length=30)
    window_start = forms.DateTimeField(
        label=_("Call me from"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    window_end = forms.DateTimeField(
        label=_("Until"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    topic = forms.CharField(
        label=_("What is it about? (optional)"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
