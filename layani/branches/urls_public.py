"""Pages a visitor opens: the kiosk (signed in as the kiosk device) and, without signing in,
remote join, live status, booking, the printed ticket and feedback."""

from django.urls import path

from layani.branches.views import kiosk, public

app_name = "queue"
urlpatterns = [
    # A branch's pages come first: a visitor token is never "kiosk", "join" or "book".
    path("<slug:branch_code>/kiosk/", kiosk.kiosk, name="kiosk"),
    path("<slug:branch_code>/kiosk/ticket/", kiosk.kiosk_take_ticket, name="kiosk_take"),
    path(
        "<slug:branch_code>/kiosk/appointment/",
        kiosk.kiosk_appointment,
        name="kiosk_appointment",
    ),
    path("<slug:branch_code>/kiosk/send/", kiosk.kiosk_send_ticket, name="kiosk_send"),
    path("<slug:branch_code>/kiosk/rate/", kiosk.kiosk_rate, name="kiosk_rate"),
    path("<slug:branch_code>/join/", public.join, name="join"),
    path("<slug:branch_code>/join/qr/", public.join_qr, name="join_qr"),
    path("<slug:branch_code>/book/", public.book, name="book"),
    path("<slug:branch_code>/book/slots/", public.book_slots, name="book_slots"),
    path("v/<str:public_token>/", public.visit_status, name="visit_status"),
    path(
        "v/<str:public_token>/fragment/",
        public.visit_status_fragment,
        name="visit_status_fragment",
    ),
    path("v/<str:public_token>/ticket/", public.ticket, name="ticket"),
    path("v/<str:public_token>/feedback/", public.visit_feedback, name="visit_feedback"),
]
