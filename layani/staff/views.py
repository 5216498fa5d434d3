from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from layani.staff.home import home_for
from layani.staff.models import Role

KIOSK_SESSION_SECONDS = 60 * 60 * 24 * 30


class StaffLoginView(auth_views.LoginView):
    template_name = "staff/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)
        staff = getattr(form.get_user(), "staff", None)
        if staff is not None and staff.role == Role.KIOSK:
            # A kiosk or display device stays signed in for a month, not a working day.
            self.request.session.set_expiry(KIOSK_SESSION_SECONDS)
        return response


class StaffLogoutView(auth_views.LogoutView):
    pass


@login_required
def home(request: HttpRequest) -> HttpResponse:
    home = home_for(request.user)
    if home.is_kiosk and len(home.branches) == 1:
        # A kiosk device has one job: go straight to its check-in screen.
        return redirect("queue:kiosk", branch_code=home.branches[0].branch.code)
    return render(request, "staff/home.html", {"home": home})
