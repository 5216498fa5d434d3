"""Forms of the agent workspace. They parse and check the shape of what was sent; the
actions decide everything else and their errors are shown on the same fields."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from layani.conversations.models import ConversationStatus, Priority
from layani.core.choices import Channel, Purpose

BODY_MAX = 20_000
REASON_MAX = 500
TAGS_MAX = 400
SEARCH_MAX = 200

INBOX_VIEW_LABELS = {
    "mine": pgettext_lazy("inbox view", "Mine"),  # the home page's "Mine" reads differently
    "unassigned": _("Unassigned"),
    "teams": _("My teams"),
    "all": _("All"),
}


def _with_blank(choices: Any, blank: Any) -> list[tuple[Any, Any]]:
    return [("", blank), *choices]


class InboxFilterForm(forms.Form):
    """The inbox's filters, from the query string. Empty means "any"."""

    channel = forms.ChoiceField(
        label=_("Channel"), required=False, choices=_with_blank(Channel.choices, _("All channels"))
    )
    purpose = forms.ChoiceField(
        label=_("Purpose"), required=False, choices=_with_blank(Purpose.choices, _("All purposes"))
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=_with_blank(ConversationStatus.choices, _("Still open")),
    )
    priority = forms.TypedChoiceField(
        label=_("Priority"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=_with_blank(Priority.choices, _("All priorities")),
    )
    branch = forms.TypedChoiceField(
        label=_("Branch"), required=False, coerce=int, empty_value=None, choices=[]
    )
    tag = forms.CharField(
        label=_("Tag"),
        required=False,
        max_length=40,
        # The page renders the tags there are as <datalist id="tag-suggestions">.
        widget=forms.TextInput(attrs={"list": "tag-suggestions", "autocomplete": "off"}),
    )

    def __init__(self, *args: Any, branches: list[Any], **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "f-%s")
        super().__init__(*args, **kwargs)
        self.fields["branch"].choices = _with_blank(  # type: ignore[attr-defined]
            [(b.pk, b.name) for b in branches], _("All branches")
        )


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), max_length=SEARCH_MAX, required=False)


class ComposeForm(forms.Form):
    """The reply box: a reply to the customer (through a channel) or an internal note."""

    mode = forms.ChoiceField(
        choices=[("reply", _("Reply")), ("note", _("Internal note"))], initial="reply"
    )
    channel = forms.ChoiceField(label=_("Send through"), required=False, choices=Channel.choices)
    body_text = forms.CharField(
        label=_("Message"),
        max_length=BODY_MAX,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Write something first.")},
    )


class AssignForm(forms.Form):
    """`to`: "me", "nobody", "staff-<id>" or "team-<id>"; `team` keeps or sets the team."""

    to = forms.CharField(max_length=40)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=REASON_MAX)


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=ConversationStatus.choices)


class PurposeForm(forms.Form):
    purpose = forms.ChoiceField(label=_("Purpose"), choices=Purpose.choices)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=REASON_MAX,
        error_messages={"required": _("Say why the purpose changes.")},
    )


class PriorityForm(forms.Form):
    priority = forms.TypedChoiceField(label=_("Priority"), coerce=int, choices=Priority.choices)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=REASON_MAX,
        error_messages={"required": _("Say why the priority changes.")},
    )


class TagsForm(forms.Form):
    add = forms.CharField(label=_("Add tags"), required=False, max_length=TAGS_MAX)
    remove = forms.CharField(required=False, max_length=TAGS_MAX)

    @staticmethod
    def names(raw: str) -> list[str]:
        return [t.strip() for t in raw.split(",") if t.strip()]


class MergeForm(forms.Form):
    other = forms.IntegerField(
        label=_("Conversation"),
        min_value=1,
        error_messages={"required": _("Pick the conversation to bring here.")},
    )


class VisitForm(forms.Form):
    visit = forms.IntegerField(label=_("Visit"), required=False, min_value=1)
