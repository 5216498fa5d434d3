import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from layani.core.choices import Channel, Purpose


class ConversationStatus(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    PENDING = "pending", _("Waiting on customer")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


# The statuses that still need work: the default inbox shows only these.
ACTIVE_STATUSES = (ConversationStatus.NEW, ConversationStatus.OPEN, ConversationStatus.PENDING)
_ACTIVE = models.Q(status__in=ACTIVE_STATUSES)


class Priority(models.IntegerChoices):
    LOW = 1, _("Low")
    NORMAL = 2, _("Normal")
    HIGH = 3, _("High")
    URGENT = 4, _("Urgent")


def tag_name(text: str) -> str:
    """How a tag is stored and looked up: `  Kartu ATM ` → `kartu-atm` (tagging and every
    tag filter use this, so a filter finds what was typed when tagging)."""
    return "-".join(str(text).lower().split())


class Tag(models.Model):
    """A label on conversations, stored lower-case (`refund`, `vip`, `kartu-hilang`)."""

    name = models.CharField(_("name"), max_length=40, unique=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


# How much of the last message the inbox shows.
PREVIEW_LENGTH = 160


class Conversation(models.Model):
    """Every contact through any channel, from first message to closing."""

    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="conversations",
        verbose_name=_("customer"),
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    purpose = models.CharField(
        _("purpose"), max_length=20, choices=Purpose.choices, default=Purpose.ROUTINE
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ConversationStatus.choices,
        default=ConversationStatus.NEW,
    )
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    assignee = models.ForeignKey(
        "staff.Staff",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_conversations",
        verbose_name=_("assignee"),
    )
    team = models.ForeignKey(
        "staff.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="conversations",
        verbose_name=_("team"),
    )
    branch = models.ForeignKey(
        "branches.Branch",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="conversations",
        verbose_name=_("branch"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    last_message_at = models.DateTimeField(_("last message at"), null=True, blank=True)
    # The inbox row's line and unread marker, kept by every path that stores a message
    # (`actions.lifecycle.note_message`): the start of the last message to or from the
    # customer (not a note, nor an automatic message), and when the customer last wrote.
    # Read from the row itself, a page of the inbox touches no message (migration 0014).
    last_preview = models.CharField(
        _("last message preview"), max_length=PREVIEW_LENGTH, blank=True, default=""
    )
    last_inbound_at = models.DateTimeField(_("customer last wrote at"), null=True, blank=True)
    # The customer wrote and nobody has answered yet, since this moment.
    waiting_since = models.DateTimeField(_("waiting since"), null=True, blank=True)
    # When the customer should get an answer (or, when nobody waits, when to look again).
    # The database default lets bulk loaders that do not name the column still insert.
    due_at = models.DateTimeField(_("due at"), default=timezone.now, db_default=Now())
    first_response_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    previous = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="followed_by",
        verbose_name=_("previous conversation"),
    )
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="merged_from",
        verbose_name=_("merged into"),
    )
    visit = models.ForeignKey(
        "branches.Visit",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="conversations",
        verbose_name=_("visit"),
    )
    tags = models.ManyToManyField(
        Tag, blank=True, related_name="conversations", verbose_name=_("tags")
    )
    # The ids of `tags`, sorted, on the row itself (kept by the actions that change tags):
    # the inbox's tag filter tests the row it walks in due order instead of probing the
    # tags table, and on PostgreSQL a partial GIN index over the active rows' ids
    # (migration 0011) finds an active tag's few conversations without walking them all.
    tag_ids = models.JSONField(_("tag ids"), default=list, blank=True, editable=False)
    # The mailbox, number or bot the customer wrote to: replies leave through it.
    channel_account = models.ForeignKey(
        "layani_channels.ChannelAccount",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("channel account"),
    )

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        indexes = [
            models.Index(fields=["customer", "-created_at"]),
            models.Index(fields=["status", "-updated_at"]),
            models.Index(fields=["assignee", "status"]),
            models.Index(fields=["branch", "status"]),
            # The inbox: "what is due first" (due_at, id), one index range per view. The
            # partial indexes hold only active conversations, so the default inbox walks them
            # in order and stops after a page; a status filter uses inbox_status.
            models.Index(fields=["due_at", "id"], condition=_ACTIVE, name="inbox_active"),
            models.Index(
                fields=["assignee", "due_at", "id"], condition=_ACTIVE, name="inbox_assignee"
            ),
            models.Index(fields=["team", "due_at", "id"], condition=_ACTIVE, name="inbox_team"),
            models.Index(fields=["branch", "due_at", "id"], condition=_ACTIVE, name="inbox_branch"),
            # A channel filter (a rare channel, at any page depth) walks its own range in
            # order instead of sorting every active conversation after the cursor.
            models.Index(
                fields=["channel", "due_at", "id"], condition=_ACTIVE, name="inbox_channel"
            ),
            models.Index(fields=["status", "due_at", "id"], name="inbox_status"),
            # "Belum ditugaskan": the few unassigned among many active, in due order.
            models.Index(
                fields=["due_at", "id"],
                condition=_ACTIVE & models.Q(assignee__isnull=True),
                name="inbox_unassigned",
            ),
        ]

    def __str__(self) -> str:
        return f"L-{self.pk}"

    @property
    def reference(self) -> str:
        return f"L-{self.pk}"


class Direction(models.TextChoices):
    INBOUND = "in", _("From customer")
    OUTBOUND = "out", _("To customer")
    NOTE = "note", _("Internal note")


class DeliveryStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    PENDING = "pending", _("Waiting to send")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    READ = "read", _("Read")
    FAILED = "failed", _("Failed")


class Message(models.Model):
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    direction = models.CharField(_("direction"), max_length=4, choices=Direction.choices)
    body_text = models.TextField(_("text"), blank=True)
    body_html = models.TextField(
        _("HTML (sanitised)"), blank=True, help_text=_("Always sanitised before it is stored.")
    )
    external_id = models.CharField(_("external id"), max_length=255, null=True, blank=True)
    delivery_status = models.CharField(
        _("delivery status"), max_length=20, choices=DeliveryStatus.choices
    )
    author = models.ForeignKey(
        "staff.Staff",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
        verbose_name=_("author"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    # What the channel said about the message beyond its text: its kind ("image",
    # "location", "unsupported"...), email threading headers, a delivery error.
    meta = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"],
                condition=models.Q(external_id__isnull=False),
                name="message_external_id_unique_per_channel",
            )
        ]
        indexes = [models.Index(fields=["conversation", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.created_at:%Y-%m-%d %H:%M}"


def attachment_path(instance: "MessageAttachment", filename: str) -> str:
    return f"attachments/{timezone.now():%Y/%m}/{uuid.uuid4().hex}/{filename}"


class MessageAttachment(models.Model):
    """A file that came with (or went out with) a message. `media_ref` is the provider's
    id of a file not fetched yet (WhatsApp media are fetched by id in the background)."""

    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("message")
    )
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=120, blank=True)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=400, blank=True)
    media_ref = models.CharField(_("provider media id"), max_length=255, blank=True)
    is_inline = models.BooleanField(_("inline"), default=False)
    content_id = models.CharField(_("content id"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.filename

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class ConversationRead(models.Model):
    """Up to when a staff member has read a conversation (the inbox's unread marker)."""

    staff = models.ForeignKey("staff.Staff", on_delete=models.CASCADE, related_name="+")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="reads")
    read_at = models.DateTimeField(_("read at"), default=timezone.now)

    class Meta:
        verbose_name = _("read marker")
        verbose_name_plural = _("read markers")
        constraints = [
            models.UniqueConstraint(
                fields=["staff", "conversation"], name="conversation_read_once_per_staff"
            )
        ]

    def __str__(self) -> str:
        return f"{self.staff_id} read {self.conversation_id} at {self.read_at:%Y-%m-%d %H:%M}"


class Mention(models.Model):
    """A colleague @mentioned in an internal note: their notification."""

    staff = models.ForeignKey(
        "staff.Staff", on_delete=models.CASCADE, related_name="mentions", verbose_name=_("for")
    )
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="mentions"
    )
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="mentions")
    mentioned_by = models.ForeignKey(
        "staff.Staff", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    seen_at = models.DateTimeField(_("seen at"), null=True, blank=True)

    class Meta:
        verbose_name = _("mention")
        verbose_name_plural = _("mentions")
        indexes = [models.Index(fields=["staff", "-created_at", "-id"], name="mention_inbox")]

    def __str__(self) -> str:
        return f"@{self.staff_id} in {self.conversation_id}"


class EventKind(models.TextChoices):
    CUSTOMER_CREATED = "customer_created", _("Customer created")
    CUSTOMER_UPDATED = "customer_updated", _("Customer updated")
    WHAT_MATTERS_CHANGED = "what_matters_changed", _("What matters updated")
    IDENTITY_ADDED = "identity_added", _("Contact added")
    IDENTITY_REMOVED = "identity_removed", _("Contact removed")
    CONVERSATION_CREATED = "conversation_created", _("Conversation started")
    ASSIGNED = "assigned", _("Assigned")
    STATUS_CHANGED = "status_changed", _("Status changed")
    PURPOSE_CHANGED = "purpose_changed", _("Purpose changed")
    PRIORITY_CHANGED = "priority_changed", _("Priority changed")
    MESSAGE_IN = "message_in", _("Message received")
    MESSAGE_OUT = "message_out", _("Reply sent")
    NOTE = "note", _("Internal note")
    VISIT_CHECKED_IN = "visit_checked_in", _("Checked in at a branch")
    VISIT_CALLED = "visit_called", _("Called to a counter")
    VISIT_FINISHED = "visit_finished", _("Visit finished")
    VISIT_NO_SHOW = "visit_no_show", _("Did not come to the counter")
    VISIT_TRANSFERRED = "visit_transferred", _("Transferred")
    APPOINTMENT_BOOKED = "appointment_booked", _("Appointment booked")
    COUNTER_OPENED = "counter_opened", _("Counter opened")
    COUNTER_CLOSED = "counter_closed", _("Counter closed")
    CALL = "call", _("Phone call")
    FEEDBACK = "feedback", _("Feedback")
    TAGS_CHANGED = "tags_changed", _("Tags changed")
    MERGED = "merged", _("Conversations merged")
    VISIT_LINKED = "visit_linked", _("Visit linked")
    DELIVERY_FAILED = "delivery_failed", _("Reply could not be delivered")
    SLA_WARNING = "sla_warning", _("SLA breach soon")
    SLA_BREACHED = "sla_breached", _("SLA breached")
    SLA_ESCALATED = "sla_escalated", _("SLA escalation")
    AUTO_ASSIGNED = "auto_assigned", _("Assigned automatically")
    ROUTED = "routed", _("Routed to a team")
    ASSIGNMENT_HELD = "assignment_held", _("Held for the customer's usual person")
    CONTINUITY_HONOURED = "continuity_honoured", _("Continuity kept")
    CONTINUITY_BROKEN = "continuity_broken", _("Continuity broken")
    CONVERSATION_MOVED = "conversation_moved", _("Conversation moved to another customer")
    IDENTITY_CLAIMED = "identity_claimed", _("Identity given, not verified")


# Routing decisions: the row says in words why (its `reason`), which the thread shows.
ROUTING_EVENT_KINDS = frozenset(
    {
        EventKind.SLA_ESCALATED,
        EventKind.AUTO_ASSIGNED,
        EventKind.ROUTED,
        EventKind.ASSIGNMENT_HELD,
        EventKind.CONTINUITY_HONOURED,
        EventKind.CONTINUITY_BROKEN,
    }
)


class TimelineEvent(models.Model):
    """One thing that happened to a customer or a conversation.

    The customer's story and the audit log are this one table (STYLE rule 7).
    """

    kind = models.CharField(_("kind"), max_length=40, choices=EventKind.choices)
    occurred_at = models.DateTimeField(_("occurred at"), default=timezone.now)
    # No single-column indexes: the composite timeline indexes below start with these.
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="timeline",
        db_index=False,
    )
    conversation = models.ForeignKey(
        Conversation,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="timeline",
        db_index=False,
    )
    message = models.ForeignKey(
        Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    visit = models.ForeignKey(
        "branches.Visit",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="timeline",
    )
    branch = models.ForeignKey(
        "branches.Branch", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    summary = models.CharField(_("summary"), max_length=500, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("timeline event")
        verbose_name_plural = _("timeline events")
        indexes = [
            models.Index(fields=["customer", "-occurred_at", "-id"], name="timeline_customer"),
            models.Index(
                fields=["conversation", "-occurred_at", "-id"], name="timeline_conversation"
            ),
            models.Index(fields=["-occurred_at", "-id"], name="timeline_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} @ {self.occurred_at:%Y-%m-%d %H:%M}"


class OutboxStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class OutboxMessage(models.Model):
    """A message to a customer that leaves through a channel sender.

    Until a channel's real adapter is configured, the outbox sender records the message
    here as sent, so demos and tests can see exactly what would have gone out.
    """

    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    recipient = models.CharField(_("to"), max_length=254)
    body = models.TextField(_("text"))
    link = models.URLField(_("link"), blank=True)
    reason = models.CharField(_("reason"), max_length=40)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    visit = models.ForeignKey(
        "branches.Visit",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="outbox_messages",
    )
    # The conversation reply this row sends, when it is one (its delivery status follows).
    message = models.ForeignKey(
        Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="outbox"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=OutboxStatus.choices, default=OutboxStatus.QUEUED
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox")
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.channel} → {self.recipient}"


class CannedReply(models.Model):
    """A prepared answer with placeholders such as {nama_pelanggan} (see `canned.py`)."""

    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(_("text"))
    language = models.CharField(
        _("language"),
        max_length=5,
        choices=[("id", _("Indonesian")), ("en", _("English"))],
        default="id",
    )
    team = models.ForeignKey(
        "staff.Team",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="canned_replies",
        verbose_name=_("team"),
        help_text=_("Empty: for everyone."),
    )
    shortcut = models.SlugField(_("shortcut"), max_length=40, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("canned reply")
        verbose_name_plural = _("canned replies")
        ordering = ["title", "id"]
        indexes = [models.Index(fields=["team", "language", "title"], name="canned_by_team")]

    def __str__(self) -> str:
        return self.title
