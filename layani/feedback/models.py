from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SurveyResponse(models.Model):
    """One customer's rating of one service moment: a visit, a conversation, a call."""

    rating = models.PositiveSmallIntegerField(_("rating (1-5)"))
    comment = models.TextField(_("comment"), blank=True)
    channel = models.CharField(_("answered through"), max_length=20)
    visit = models.OneToOneField(
        "branches.Visit",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="survey_response",
    )
    conversation = models.ForeignKey(
        "conversations.Conversation",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="survey_responses",
    )
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="survey_responses",
    )
    staff = models.ForeignKey(
        "staff.Staff", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    service = models.ForeignKey(
        "branches.Service", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    branch = models.ForeignKey(
        "branches.Branch", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("answered at"), default=timezone.now)

    class Meta:
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__gte=1, rating__lte=5), name="survey_rating_1_5"
            )
        ]
        indexes = [models.Index(fields=["branch", "created_at"])]

    def __str__(self) -> str:
        return f"{self.rating}/5"
