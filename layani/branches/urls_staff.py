"""Signed-in branch pages: kiosk device, counter, supervisor, TV display."""

from django.urls import path

from layani.branches.views import staff

app_name = "branch"
urlpatterns = [
    # Counter: staff picks a counter, calls, serves, transfers.
    path("<int:branch_id>/counter/", staff.counter_page, name="counter"),
    path("<int:branch_id>/counter/waiting/", staff.counter_waiting, name="counter_waiting"),
    path("<int:branch_id>/counter/open/", staff.counter_open, name="counter_open"),
    path("<int:branch_id>/counter/close/", staff.counter_close, name="counter_close"),
    path("<int:branch_id>/counter/call-next/", staff.counter_call_next, name="call_next"),
    path(
        "<int:branch_id>/counter/call-specific/",
        staff.counter_call_specific,
        name="call_specific",
    ),
    path(
        "<int:branch_id>/counter/visits/<int:visit_id>/start/",
        staff.visit_start,
        name="visit_start",
    ),
    path(
        "<int:branch_id>/counter/visits/<int:visit_id>/finish/",
        staff.visit_finish,
        name="visit_finish",
    ),
    path(
        "<int:branch_id>/counter/visits/<int:visit_id>/recall/",
        staff.visit_recall,
        name="visit_recall",
    ),
    path(
        "<int:branch_id>/counter/visits/<int:visit_id>/no-show/",
        staff.visit_no_show,
        name="visit_no_show",
    ),
    path(
        "<int:branch_id>/counter/visits/<int:visit_id>/transfer/",
        staff.visit_transfer,
        name="visit_transfer",
    ),
    # TV display: the last calls, live over ws/display/<branch_id>/.
    path("<int:branch_id>/display/", staff.display_page, name="display"),
    path("<int:branch_id>/display/calls/", staff.display_calls, name="display_calls"),
    # Supervisor: the branch's live picture; opens, closes and staffs counters.
    path("<int:branch_id>/supervisor/", staff.supervisor_page, name="supervisor"),
    path("<int:branch_id>/supervisor/stats/", staff.supervisor_stats, name="supervisor_stats"),
    path("<int:branch_id>/supervisor/counters/", staff.supervisor_manage, name="supervisor_manage"),
    path(
        "<int:branch_id>/supervisor/counters/<int:counter_id>/staff/",
        staff.supervisor_place_staff,
        name="supervisor_place_staff",
    ),
    path(
        "<int:branch_id>/supervisor/counters/<int:counter_id>/close/",
        staff.supervisor_close,
        name="supervisor_close",
    ),
    path(
        "<int:branch_id>/supervisor/counters/<int:counter_id>/services/",
        staff.supervisor_services,
        name="supervisor_services",
    ),
]
