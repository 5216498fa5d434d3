from typing import Any

from django.http import HttpRequest


def staff_profile(request: HttpRequest) -> dict[str, Any]:
    """Expose the signed-in person's staff profile (or None) to every template."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"staff_profile": None}
    return {"staff_profile": getattr(user, "staff", None)}
