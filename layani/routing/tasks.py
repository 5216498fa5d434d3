"""Huey discovers the `tasks` module of every app: routing's background work lives in one
module per concern, imported here."""

from layani.routing.sla_tasks import sweep_slas  # noqa: F401
