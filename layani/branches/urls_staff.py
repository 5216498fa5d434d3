"""Signed-in branch pages: kiosk device, counter, supervisor."""

from django.urls import path  # noqa: F401

app_name = "branch"
urlpatterns: list = []
