"""Pages a visitor opens: the kiosk (signed in as the kiosk device) and, without signing in,
remote join, live status, booking, the printed ticket and feedback."""

from django.urls import path

from layani.branches.views import visitor

app_name = "queue"
urlpatterns = [
    # A branch's pages come first: a visitor token is never "kiosk", "join" or "book".
    path("<slug:branch_code>/kiosk/", visitor.kiosk, name="kiosk"),
    path("<slug:branch_code>/kiosk/ticket/", visitor.kiosk_take_ticket, name="kiosk_take"),
    path(
        "<slug:branch_code>/kiosk/appointment/",
        visitor.kiosk_appointment,
        name="kiosk_appointment",
    ),
    path("<slug:branch_code>/kiosk/send/", visitor.kiosk_send_ticket, name="kiosk_send"),
    path("<slug:branch_code>/kiosk/rate/", visitor.kiosk_rate, name="kiosk_rate"),
    path("<slug:branch_code>/join/", visitor.join, name="join"),
    path("<slug:branch_code>/join/qr/", visitor.join_qr, name="join_qr"),
    path("<slug:branch_code>/book/", visitor.book, name="book"),
    path("<slug:branch_code>/book/slots/", visitor.book_slots, name="book_slots"),
    path("v/<str:public_token>/", visitor.visit_status, name="visit_status"),
    path(
        "v/<str:public_token>/fragment/",
        visitor.visit_status_fragment,
        name="visit_status_fragment",
    ),
    path("v/<str:public_token>/ticket/", visitor.ticket, name="ticket"),
    path("v/<str:public_token>/feedback/", visitor.visit_feedback, name="visit_feedback"),
]
