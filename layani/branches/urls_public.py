"""Pages a visitor opens without signing in: remote join, live status, booking, feedback,
the TV display."""

from django.urls import path  # noqa: F401

app_name = "queue"
urlpatterns: list = []
