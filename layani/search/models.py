"""The search index: one row per searchable text, holding its normalised terms.

The database's own full-text index sits on `content` (migration 0002):

- PostgreSQL: a stored generated column `search_vector tsvector` =
  `to_tsvector('simple', content)` with a GIN index. 'simple' because the text is already
  stemmed and stripped of stopwords in Python (`layani.language.normalise`).
- SQLite: an FTS5 table `search_document_fts` with `search_searchdocument` as its external
  content, kept in sync by triggers on insert, update of content, and delete.

Neither is a Django field: the ORM writes `content` and the database does the rest, so
`bulk_create`, upserts and cascading deletes all keep the index right.

Rows of a conversation (messages, notes, subject) also carry copies of the conversation's
fields that searches are scoped and filtered by (`FACET_FIELDS`: status, channel, purpose,
priority, branch, team, assignee), so a search applies the permission scope and the
filters on the index rows themselves instead of checking each match against the
conversation (migration 0003). `indexing.sync_conversation_documents` keeps them equal to the
conversation's whenever an action saves one of those fields. On PostgreSQL a stored
generated column `facets text[]` spells them as terms ("b:3", "a:17", "s:open", "pool"...)
and one GIN index covers `(search_vector, facets)` of conversation rows, so the scope and
the words are matched in the index together; customer rows have a GIN index of their own.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DocumentKind(models.TextChoices):
    MESSAGE = "message", _("Message")
    NOTE = "note", _("Internal note")
    SUBJECT = "subject", _("Subject")
    CUSTOMER = "customer", _("Customer")


# Kinds found by the conversation search; customers are searched on their own.
CONVERSATION_KINDS = (DocumentKind.MESSAGE, DocumentKind.NOTE, DocumentKind.SUBJECT)

# The conversation's fields copied onto its index rows (same names as on Conversation).
FACET_FIELDS = ("status", "channel", "purpose", "priority", "branch_id", "team_id", "assignee_id")


class SearchDocument(models.Model):
    # "m:<message id>", "s:<conversation id>" or "c:<customer id>": what the row stands
    # for, unique, so indexing a text again is one upsert.
    key = models.CharField(max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=DocumentKind.choices)
    message = models.ForeignKey(
        "conversations.Message",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    conversation = models.ForeignKey(
        "conversations.Conversation",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    content = models.TextField(_("normalised text"))
    # The conversation's own values (None on customer rows): copies for scoping and filtering
    # searches, never read as the conversation's state. Plain columns, no foreign keys: a
    # deleted branch, team or staff member is cleared here by the worker (`stale.py`).
    status = models.CharField(max_length=20, null=True, blank=True)
    channel = models.CharField(max_length=20, null=True, blank=True)
    purpose = models.CharField(max_length=20, null=True, blank=True)
    priority = models.SmallIntegerField(null=True, blank=True)
    branch_id = models.BigIntegerField(null=True, blank=True)
    team_id = models.BigIntegerField(null=True, blank=True)
    assignee_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("search document")
        verbose_name_plural = _("search documents")

    def __str__(self) -> str:
        return self.key
