from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from layani.staff.home import home_for


class StaffLoginView(auth_views.LoginView):
    template_name = "staff/login.html"
    redirect_authenticated_user = True


class StaffLogoutView(auth_views.LogoutView):
    pass


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "staff/home.html", {"home": home_for(request.user)})
