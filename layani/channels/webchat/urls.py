from django.urls import path

from layani.channels.webchat import views

app_name = "webchat"

urlpatterns = [
    path("typing/<int:conversation_id>/", views.agent_typing, name="agent_typing"),
    path("<slug:key>/widget.js", views.widget_js, name="widget"),
    path("<slug:key>/offline/", views.offline_form, name="offline"),
]
