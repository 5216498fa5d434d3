"""Recording what customers say about the service."""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from layani.branches.models import Visit, VisitStatus
from layani.conversations.models import EventKind
from layani.conversations.timeline import record_event
from layani.core.errors import Conflict, InvalidInput
from layani.core.events import publish_on_commit
from layani.core.types import Actor
from layani.feedback.models import SurveyResponse


def record_visit_feedback(
    visit: Visit, *, rating: int, comment: str = "", channel: str, actor: Actor
) -> SurveyResponse:
    """Exit feedback for one visit: 1-5 and an optional comment, once per visit."""
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        raise InvalidInput(_("Choose a rating from 1 to 5."), code="invalid_rating", field="rating")
    if len(comment) > 2000:
        raise InvalidInput(_("The comment is too long."), code="too_long", field="comment")
    if visit.status != VisitStatus.DONE:
        raise Conflict(
            _("Feedback can be given once the service has ended."), code="visit_not_finished"
        )
    try:
        with transaction.atomic():
            response = SurveyResponse.objects.create(
                rating=rating,
                comment=comment.strip(),
                channel=channel,
                visit=visit,
                customer_id=visit.customer_id,
                staff_id=visit.served_by_id,
                service_id=visit.service_id,
                branch_id=visit.branch_id,
            )
            if visit.customer_id is not None:
                record_event(
                    EventKind.FEEDBACK,
                    actor=actor,
                    visit=visit,
                    summary=f"{rating}/5"
                    + (f" · {response.comment[:150]}" if response.comment else ""),
                    details={"rating": rating, "channel": channel},
                )
    except IntegrityError as exc:
        raise Conflict(_("Thank you, this visit was already rated."), code="already_rated") from exc
    publish_on_commit(f"branch-{visit.branch_id}", "feedback.recorded", {"visit": visit.pk})
    return response
