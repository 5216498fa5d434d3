from django.urls import path

from layani.customers import views

app_name = "customers"
urlpatterns = [
    path("", views.customer_search, name="search"),
    path("<int:customer_id>/", views.customer_detail, name="detail"),
    path("<int:customer_id>/timeline/", views.customer_timeline, name="timeline"),
    path("<int:customer_id>/what-matters/", views.edit_what_matters, name="what_matters"),
]
