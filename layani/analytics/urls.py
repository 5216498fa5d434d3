from django.urls import path

from layani.analytics import views

app_name = "reports"
urlpatterns = [
    path("equity/", views.equity_page, name="equity"),
]
