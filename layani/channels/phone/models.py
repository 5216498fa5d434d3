"""Phone calls from a PBX / CTI or Twilio, their documentation, and callback requests.

A `Call` is one call as the phone system reports it, once per (account, call id). Events
may arrive out of order or twice: the call only ever moves forward (new → ringing →
answered → ended). An ended call waits for the agent's note (purpose and result);
`documented_at` is set when it is written.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from layani.core.choices import Purpose


class CallDirection(models.TextChoices):
    INBOUND = "inbound", _("Incoming")
    OUTBOUND = "outbound", _("Outgoing")


class CallState(models.TextChoices):
    NEW = "new", _("New")
    RINGING = "ringing", _("Ringing")
    ANSWERED = "answered", _("In progress")
    ENDED = "ended", _("Ended")


# A call never moves back: a late "ringing" after "answered" changes nothing.
STATE_ORDER = {CallState.NEW: 0, CallState.RINGING: 1, CallState.ANSWERED: 2, CallState.ENDED: 3}


class CallOutcome(models.TextChoices):
    ANSWERED = "answered", _("Answered")
    MISSED = "missed", _("Missed")
    ABANDONED = "abandoned", _("Abandoned by the caller")
    VOICEMAIL = "voicemail", _("Voicemail")


class AgentExtension(models.Model):
    """Which staff member answers at which PBX extension (the screen pop goes to them)."""

    staff = models.ForeignKey(
        "staff.Staff",
        verbose_name=_("staff member"),
        on_delete=models.CASCADE,
        related_name="phone_extensions",
    )
    extension = models.CharField(_("extension"), max_length=40, unique=True)

    class Meta:
        verbose_name = _("agent extension")
        verbose_name_plural = _("agent extensions")
        ordering = ["extension"]

    def __str__(self) -> str:
        return f"{self.extension}: {self.staff}"


class Call(models.Model):
    account = models.ForeignKey(
        "layani_channels.ChannelAccount",
        verbose_name=_("phone account"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    call_id = models.CharField(_("call id"), max_length=120)
    direction = models.CharField(
        _("direction"), max_length=10, choices=CallDirection.choices, default=CallDirection.INBOUND
    )
    state = models.CharField(
        _("state"), max_length=10, choices=CallState.choices, default=CallState.NEW
    )
    caller = models.CharField(_("caller"), max_length=40, blank=True)
    callee = models.CharField(_("callee"), max_length=40, blank=True)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="calls",
    )
    agent = models.ForeignKey(
        "staff.Staff",
        verbose_name=_("agent"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="calls",
    )
    agent_extension = models.CharField(_("agent extension"), max_length=40, blank=True)
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(_("duration (seconds)"), null=True, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=10, choices=CallOutcome.choices, blank=True, default=""
    )
    conversation = models.ForeignKey(
        "conversations.Conversation",
        verbose_name=_("conversation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The agent's documentation of the call.
    purpose = models.CharField(
        _("purpose"), max_length=20, choices=Purpose.choices, blank=True, default=""
    )
    result = models.TextField(_("result"), blank=True)
    documented_by = models.ForeignKey(
        "staff.Staff",
        verbose_name=_("documented by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    documented_at = models.DateTimeField(_("documented at"), null=True, blank=True)

    class Meta:
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        constraints = [
            models.UniqueConstraint(fields=["account", "call_id"], name="call_once_per_account")
        ]
        indexes = [
            # The supervisor's list of answered calls nobody documented yet.
            models.Index(
                fields=["-ended_at", "-id"],
                condition=models.Q(state="ended", outcome="answered", documented_at__isnull=True),
                name="call_undocumented",
            ),
            models.Index(fields=["agent", "-started_at"], name="call_agent_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.call_id} ({self.caller} → {self.callee})"

    @property
    def is_documented(self) -> bool:
        return self.documented_at is not None

    @property
    def customer_number(self) -> str:
        return self.caller if self.direction == CallDirection.INBOUND else self.callee


class CallbackSource(models.TextChoices):
    WEB = "web", _("Web form")
    PORTAL = "portal", _("Portal")
    KIOSK = "kiosk", _("Kiosk")
    WHATSAPP = "whatsapp", _("WhatsApp")
    MISSED_CALL = "missed_call", _("Missed call")


class CallbackStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    SCHEDULED = "scheduled", _("Scheduled")
    ATTEMPTING = "attempting", _("Trying to reach")
    REACHED = "reached", _("Reached")
    NOT_REACHED = "not_reached", _("Not reached")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_CALLBACK_STATUSES = (
    CallbackStatus.REQUESTED,
    CallbackStatus.SCHEDULED,
    CallbackStatus.ATTEMPTING,
)


class CallbackRequest(models.Model):
    """A customer asked to be called back within a time window. Its conversation (channel
    `callback`) puts it in the inbox: queued, assigned and SLA'd like any other."""

    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="callback_requests",
    )
    phone = models.CharField(_("phone"), max_length=20)
    window_start = models.DateTimeField(_("call from"))
    window_end = models.DateTimeField(_("call until"))
    source = models.CharField(_("source"), max_length=12, choices=CallbackSource.choices)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=CallbackStatus.choices,
        default=CallbackStatus.REQUESTED,
    )
    topic = models.CharField(_("topic"), max_length=300, blank=True)
    max_attempts = models.PositiveSmallIntegerField(_("maximum attempts"), default=3)
    assigned_to = models.ForeignKey(
        "staff.Staff",
        verbose_name=_("assigned to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    branch = models.ForeignKey(
        "branches.Branch",
        verbose_name=_("branch"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    conversation = models.ForeignKey(
        "conversations.Conversation",
        verbose_name=_("conversation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    call = models.ForeignKey(
        Call,
        verbose_name=_("missed call"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="callbacks",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    reminded_at = models.DateTimeField(_("reminder sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("callback request")
        verbose_name_plural = _("callback requests")
        constraints = [
            # One callback per missed call, however often its hangup is reported.
            models.UniqueConstraint(
                fields=["call"],
                condition=models.Q(call__isnull=False),
                name="callback_once_per_call",
            ),
            models.CheckConstraint(
                condition=models.Q(window_end__gt=models.F("window_start")),
                name="callback_window_ordered",
            ),
        ]
        indexes = [
            # The reminder task reads only requests whose window has not been announced.
            models.Index(
                fields=["window_start"],
                condition=models.Q(reminded_at__isnull=True, status__in=["requested", "scheduled"]),
                name="callback_to_remind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.phone} {self.window_start:%Y-%m-%d %H:%M}"

    @property
    def attempts_left(self) -> int:
        return max(self.max_attempts - self.attempts.count(), 0)


class AttemptOutcome(models.TextChoices):
    REACHED = "reached", _("Reached")
    NOT_REACHED = "not_reached", _("Not reached")


class CallbackAttempt(models.Model):
    request = models.ForeignKey(CallbackRequest, on_delete=models.CASCADE, related_name="attempts")
    at = models.DateTimeField(_("at"), default=timezone.now)
    outcome = models.CharField(_("outcome"), max_length=12, choices=AttemptOutcome.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    by = models.ForeignKey(
        "staff.Staff",
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("callback attempt")
        verbose_name_plural = _("callback attempts")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.request_id} {self.outcome} {self.at:%Y-%m-%d %H:%M}"
