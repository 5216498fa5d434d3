"""Type aliases shared by the domain modules."""

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser

# Who did it: a signed-in person, a device account, or the system itself (None).
Actor = AbstractBaseUser | AnonymousUser | None
