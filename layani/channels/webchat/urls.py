from django.urls import URLPattern, URLResolver

app_name = "webchat"

urlpatterns: list[URLPattern | URLResolver] = []
