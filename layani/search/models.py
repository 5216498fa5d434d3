"""The search index: one row per searchable text, holding its normalised terms.

The database's own full-text index sits on `content` (migration 0002):

- PostgreSQL: a stored generated column `search_vector tsvector` =
  `to_tsvector('simple', content)` with a GIN index. 'simple' because the text is already
  stemmed and stripped of stopwords in Python (`layani.language.normalise`).
- SQLite: an FTS5 table `search_document_fts` with `search_searchdocument` as its external
  content, kept in sync by triggers on insert, update of content, and delete.

Neither is a Django field: the ORM writes `content` and the database does the rest, so
`bulk_create`, upserts and cascading deletes all keep the index right.
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

    class Meta:
        verbose_name = _("search document")
        verbose_name_plural = _("search documents")

    def __str__(self) -> str:
        return self.key
