"""Huey discovers the `tasks` module of every app: routing's background work lives in one
module per concern, imported here."""

from layani.routing.assignment_tasks import (  # noqa: F401
    assign_waiting_in_teams,
    assignment_sweep,
    route_conversation_task,
)
from layani.routing.sla_tasks import sweep_slas  # noqa: F401
