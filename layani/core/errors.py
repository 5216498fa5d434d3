"""Domain errors that carry an HTTP status, a stable code and, where it applies, a field.

Actions raise these; the API turns them into JSON and the pages into form errors.
"""

from typing import ClassVar


class LayaniError(Exception):
    status: ClassVar[int] = 400
    default_code: ClassVar[str] = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None):
        super().__init__(str(message))
        self.message = str(message)
        self.code = code or self.default_code
        self.field = field

    def as_dict(self) -> dict[str, object]:
        body: dict[str, object] = {"code": self.code, "message": self.message}
        if self.field:
            body["fields"] = {self.field: [self.message]}
        return {"error": body}


class InvalidInput(LayaniError):
    status = 422
    default_code = "invalid"


class NotFound(LayaniError):
    status = 404
    default_code = "not_found"


class PermissionDenied(LayaniError):
    status = 403
    default_code = "permission_denied"


class Conflict(LayaniError):
    status = 409
    default_code = "conflict"
