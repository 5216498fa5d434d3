"""Helpers the kiosk and public visitor page tests share."""

import re

from django.utils import timezone

from layani.branches.models import Visit, VisitStatus


def element_text(html, element_id):
    match = re.search(rf'id="{element_id}"[^>]*>([^<]*)<', html)
    assert match, f"#{element_id} not on the page"
    return match.group(1).strip()


def finish(visit):
    Visit.objects.filter(pk=visit.pk).update(status=VisitStatus.DONE, finished_at=timezone.now())
    visit.refresh_from_db()
    return visit
