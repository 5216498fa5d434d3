"""Scoped reads of conversations: agents and admins see all branches, others only theirs."""

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from layani.branches.queries import branch_ids_for
from layani.conversations.models import Conversation
from layani.core.errors import NotFound
from layani.staff.permissions import Capability, can

User = AbstractBaseUser | AnonymousUser


def conversations_for(user: User) -> QuerySet[Conversation]:
    if not can(user, Capability.VIEW_CONVERSATIONS):
        return Conversation.objects.none()
    ids = branch_ids_for(user)
    qs = Conversation.objects.all()
    if ids is None:
        return qs
    # Branch-scoped people also see conversations without a branch that they are assigned to.
    return qs.filter(Q(branch_id__in=ids) | Q(assignee__user=user))


def access_conversation(user: User, conversation_id: int) -> Conversation:
    conversation = conversations_for(user).filter(pk=conversation_id).first()
    if conversation is None:
        raise NotFound(_("Conversation not found."), code="conversation_not_found")
    return conversation
