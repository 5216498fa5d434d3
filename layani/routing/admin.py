"""Admin registrations for routing; each concern registers its models in its own module."""

from layani.routing import assignment_admin as assignment_admin
from layani.routing import sla_admin as sla_admin
