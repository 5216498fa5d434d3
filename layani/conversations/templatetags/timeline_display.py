"""A timeline row in words in any template (`event_display`): `{{ event|event_text }}`,
`{{ event|event_reason }}`, `{{ event|event_by }}`."""

from django import template

from layani.conversations.event_display import actor_name, describe_event
from layani.conversations.models import TimelineEvent

register = template.Library()


@register.filter
def event_text(event: TimelineEvent) -> str:
    return describe_event(event)[0]


@register.filter
def event_reason(event: TimelineEvent) -> str:
    return describe_event(event)[1]


@register.filter
def event_by(event: TimelineEvent) -> str:
    return actor_name(event)


@register.filter
def mention_list(usernames: list[str]) -> str:
    """["yudi", "rina"] → "@yudi, @rina"."""
    return ", ".join(f"@{name}" for name in usernames)
