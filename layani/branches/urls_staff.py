"""Signed-in branch pages: kiosk device, counter, supervisor, TV display."""

from django.urls import path

from layani.branches.views import counter, display, supervisor

app_name = "branch"
urlpatterns = [
    # Counter: staff picks a counter, calls, serves, transfers.
    path("<int:branch_id>/counter/", counter.counter_page, name="counter"),
    path("<int:branch_id>/counter/waiting/", counter.counter_waiting, name="counter_waiting"),
    path("<int:branch_id>/counter/open/", counter.counter_open, name="counter_open"),
    path("<int:branch_id>/counter/close/", counter.counter_close, name="counter_close"),
    path("<int:branch_id>/counter/call-next/", counter.counter_call_next, name="call_next"),
    path(
        "<int:branch_id>/counter/call-specific/",
        counter.counter_call_specific,
        name="call_specific",
    ),
    path(
        "<int:branch_id>/counter/visits/<int:visit_id>/start/",
        counter.visit_start,
        name="visit_start",
    ),
    path(
        "<int:branch_id>/counter/visits/<int:visit_id>/finish/",
        counter.visit_finish,
        name="visit_finish",
    ),
    path(
        "<int:branch_id>/counter/visits/<int:visit_id>/recall/",
        counter.visit_recall,
        name="visit_recall",
    ),
    path(
        "<int:branch_id>/counter/visits/<int:visit_id>/no-show/",
        counter.visit_no_show,
        name="visit_no_show",
    ),
    path(
        "<int:branch_id>/counter/visits/<int:visit_id>/transfer/",
        counter.visit_transfer,
        name="visit_transfer",
    ),
    # TV display: the last calls, live over ws/display/<branch_id>/.
    path("<int:branch_id>/display/", display.display_page, name="display"),
    path("<int:branch_id>/display/calls/", display.display_calls, name="display_calls"),
    # Supervisor: the branch's live picture; opens, closes and staffs counters.
    path("<int:branch_id>/supervisor/", supervisor.supervisor_page, name="supervisor"),
    path("<int:branch_id>/supervisor/stats/", supervisor.supervisor_stats, name="supervisor_stats"),
    path(
        "<int:branch_id>/supervisor/counters/",
        supervisor.supervisor_manage,
        name="supervisor_manage",
    ),
    path(
        "<int:branch_id>/supervisor/counters/<int:counter_id>/staff/",
        supervisor.supervisor_place_staff,
        name="supervisor_place_staff",
    ),
    path(
        "<int:branch_id>/supervisor/counters/<int:counter_id>/close/",
        supervisor.supervisor_close,
        name="supervisor_close",
    ),
    path(
        "<int:branch_id>/supervisor/counters/<int:counter_id>/services/",
        supervisor.supervisor_services,
        name="supervisor_services",
    ),
]
