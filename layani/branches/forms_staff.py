"""Forms of the staff branch pages: the counter and the supervisor.

Choice fields are scoped to one branch; the pages render long lists (waiting tickets)
themselves from a bounded query, so a form never iterates a whole queue.
"""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from layani.branches.models import Branch, Counter, Service, Visit, VisitStatus
from layani.branches.queries import services_of
from layani.staff.models import Role, Staff

REASON_MAX = 500
NOTE_MAX = 4000


class FinishForm(forms.Form):
    outcome_note = forms.CharField(
        label=_("Outcome"),
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What was done, and what was agreed with the visitor."),
    )


class CallSpecificForm(forms.Form):
    """Call one waiting ticket out of the policy's order; the reason is logged."""

    visit = forms.ModelChoiceField(
        queryset=Visit.objects.none(),
        label=_("Ticket"),
        error_messages={"invalid_choice": _("This ticket is no longer waiting.")},
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=REASON_MAX,
        error_messages={"required": _("Say why this ticket is called out of order.")},
    )

    def __init__(self, *args: Any, branch: Branch, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["visit"].queryset = Visit.objects.filter(  # type: ignore[attr-defined]
            branch=branch, status=VisitStatus.WAITING
        )


class TransferForm(forms.Form):
    to_service = forms.ModelChoiceField(
        queryset=Service.objects.none(), required=False, label=_("To service")
    )
    to_counter = forms.ModelChoiceField(
        queryset=Counter.objects.none(), required=False, label=_("To counter")
    )
    reason = forms.CharField(label=_("Reason"), required=False, max_length=REASON_MAX)

    def __init__(self, *args: Any, branch: Branch, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_service"].queryset = services_of(branch)  # type: ignore[attr-defined]
        self.fields["to_counter"].queryset = Counter.objects.filter(branch=branch)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("to_service") and not cleaned.get("to_counter"):
            raise forms.ValidationError(_("Choose a service or a counter to transfer to."))
        return cleaned


def branch_staff(branch: Branch) -> Any:
    """Who may sit at this branch's counters."""
    return Staff.objects.filter(
        branches=branch,
        is_active=True,
        role__in=[Role.BRANCH_STAFF, Role.SUPERVISOR],
    ).order_by("display_name")


class PlaceStaffForm(forms.Form):
    """Supervisor: open a counter with a chosen staff member (moves them from another one)."""

    staff = forms.ModelChoiceField(queryset=Staff.objects.none(), label=_("Staff member"))

    def __init__(self, *args: Any, branch: Branch, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["staff"].queryset = branch_staff(branch)  # type: ignore[attr-defined]


class CounterServicesForm(forms.Form):
    """Supervisor: which services a counter calls (none = the staff member's skills)."""

    services = forms.ModelMultipleChoiceField(
        queryset=Service.objects.none(),
        required=False,
        label=_("Services"),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, branch: Branch, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["services"].queryset = services_of(branch)  # type: ignore[attr-defined]
