"""A deleted team, branch or staff member leaves no copy on the index rows: the conversation
that fell into the shared pool is found by search for those who see the pool."""

import pytest

from layani.conversations.queries import ConversationScope
from layani.search.models import SearchDocument
from layani.search.queries import search_conversations
from layani.search.stale import clear_facet
from layani.staff.models import Team

pytestmark = pytest.mark.django_db

POOL = ConversationScope(sees_pool=True)


def test_deleting_a_team_clears_it_from_the_index_rows(
    conversation_with, branch, django_capture_on_commit_callbacks
):
    team = Team.objects.create(name="Keluhan")
    conversation = conversation_with("Kartu ATM tertelan di Dago", team=team)
    other = conversation_with("Kartu ATM tertelan di Kuta")
    assert [h.conversation.pk for h in search_conversations("kartu", scope=POOL).hits] == [other.pk]
    with django_capture_on_commit_callbacks(execute=True):
        team.delete()
    rows = SearchDocument.objects.filter(conversation=conversation)
    assert rows.exists() and not rows.filter(team_id__isnull=False).exists()
    found = {h.conversation.pk for h in search_conversations("kartu", scope=POOL).hits}
    assert found == {conversation.pk, other.pk}


def test_only_copied_columns_can_be_cleared():
    with pytest.raises(ValueError):
        clear_facet("content", 1)
