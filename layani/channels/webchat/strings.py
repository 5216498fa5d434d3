"""The widget's words, in Indonesian (default) and English, from the gettext catalogues."""

from django.utils import translation
from django.utils.translation import gettext as _


def _strings() -> dict[str, str]:
    return {
        "open": _("Chat with us"),
        "close": _("Close chat"),
        "placeholder": _("Write a message…"),
        "send": _("Send"),
        "online": _("We are online"),
        "offline": _("We are offline. Leave a message and we will answer you."),
        "typing": _("An agent is typing…"),
        "you": _("You"),
        "agent": _("Agent"),
        "name": _("Name"),
        "email": _("Email"),
        "phone": _("Phone"),
        "message": _("Message"),
        "leave": _("Send message"),
        "thanks": _("Thank you, we will answer you soon."),
        "identify": _("Leave your email or phone so we can reach you"),
        "save": _("Save"),
        "saved": _("Thank you, we will know it is you."),
        "unavailable": _("The chat is not available on this site."),
        "failed": _("Not sent. Try again."),
    }


def widget_strings() -> dict[str, dict[str, str]]:
    result = {}
    for language in ("id", "en"):
        with translation.override(language):
            result[language] = _strings()
    return result
