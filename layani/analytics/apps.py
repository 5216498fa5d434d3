from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    """Read-only reports: no models, never writes elsewhere."""

    name = "layani.analytics"
    label = "analytics"
