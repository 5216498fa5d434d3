"""API authentication: a bearer token for integrations, the session (with CSRF) for the UI."""

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from layani.staff.permissions import staff_of
from layani.staff.tokens import user_for_token


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = user_for_token(token)
        if user is None:
            return None
        request.user = user
        return user


class StaffSessionAuth(SessionAuth):
    """Session auth that also accepts superusers without a staff profile."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        if user is None:
            return None
        if staff_of(user) is None and not user.is_superuser:
            return None
        return user


api_auth = [TokenAuth(), StaffSessionAuth()]
