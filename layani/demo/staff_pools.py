"""Who handles a demo conversation: its team, the colleague who took it (if anyone), its tags.

Routing as a contact centre does it: complaints go to the complaints team, special requests
to the priority team, walk-ins to their branch's team, everything else to the contact
centre. Work that is still new partly waits in the shared pool (no team, no assignee) or
with its team; everything answered has an assignee. Read from the database once, so the
demo history and the volume mode hand out the same people.
"""

import random
from collections import defaultdict
from dataclasses import dataclass

from layani.conversations.models import ConversationStatus, Tag
from layani.core.choices import Channel, Purpose
from layani.demo import catalogue
from layani.staff.models import Role, Staff, Team

WORKING_ROLES = (Role.AGENT, Role.BRANCH_STAFF, Role.SUPERVISOR)


@dataclass(frozen=True)
class Person:
    staff_id: int
    user_id: int
    name: str


class StaffPools:
    def __init__(self) -> None:
        self.team_ids: dict[str, int] = dict(Team.objects.values_list("name", "id"))
        members: dict[int, list[Person]] = defaultdict(list)
        everyone: list[Person] = []
        staff = Staff.objects.filter(is_active=True, role__in=WORKING_ROLES).order_by("pk")
        for member in staff.prefetch_related("teams"):
            person = Person(member.pk, member.user_id, member.display_name)
            everyone.append(person)
            for team in member.teams.all():
                members[team.pk].append(person)
        self.members = dict(members)
        self.everyone = everyone
        self.branch_teams: dict[int, int] = {}
        for facts in catalogue.BRANCHES:
            team_id = self.team_ids.get(catalogue.branch_team_name(facts.code))
            branch_id = self._branch_id(facts.code)
            if team_id is not None and branch_id is not None:
                self.branch_teams[branch_id] = team_id
        self.contact_centre_id = self.team_ids.get(catalogue.CONTACT_CENTRE_TEAM)
        self.names = {p.staff_id: p for p in everyone}

    @staticmethod
    def _branch_id(code: str) -> int | None:
        from layani.branches.models import Branch

        return Branch.objects.filter(code=code).values_list("id", flat=True).first()

    def team_for(self, purpose: str, branch_id: int | None) -> int | None:
        if branch_id is not None and branch_id in self.branch_teams:
            return self.branch_teams[branch_id]
        teams: dict[str, str] = {
            Purpose.COMPLAINT: catalogue.COMPLAINTS_TEAM,
            Purpose.SPECIAL_REQUEST: catalogue.PRIORITY_TEAM,
        }
        name = teams.get(purpose, catalogue.CONTACT_CENTRE_TEAM)
        return self.team_ids.get(name)

    def member_of(
        self, rng: random.Random, team_id: int | None, purpose: str
    ) -> tuple[int | None, Person | None]:
        """(team id, assignee): someone of the team, so that the assignee is always a member
        of the conversation's team, as auto-assignment keeps it. Complaints partly overflow
        to the contact centre, and a team with nobody in it hands its work there too: the
        conversation then belongs to the contact centre. Without a team (picked from the
        shared pool), a contact-centre agent took it."""
        if team_id is None:
            anyone = self.members.get(self.contact_centre_id or -1) or self.everyone
            return None, rng.choice(anyone) if anyone else None
        pool = self.members.get(team_id, [])
        overflow = purpose == Purpose.COMPLAINT and rng.random() < 0.4
        if (overflow or not pool) and self.contact_centre_id is not None:
            team_id, pool = self.contact_centre_id, self.members.get(self.contact_centre_id, [])
        return (team_id, rng.choice(pool)) if pool else (team_id, None)

    def handling(
        self,
        rng: random.Random,
        *,
        purpose: str,
        channel: str,
        branch_id: int | None,
        status: str,
        documented: bool,
    ) -> tuple[int | None, Person | None]:
        """(team id, assignee) of a conversation that now stands at `status`."""
        team_id = self.team_for(purpose, branch_id)
        if documented or channel == Channel.IN_PERSON:
            return self.member_of(rng, team_id, purpose)
        if status == ConversationStatus.NEW:
            roll = rng.random()
            if roll < 0.35:
                return None, None  # the shared pool, "Belum ditugaskan"
            if roll < 0.75:
                return team_id, None
            return self.member_of(rng, team_id, purpose)
        if rng.random() < 0.08:
            team_id = None  # picked straight from the pool
        return self.member_of(rng, team_id, purpose)


def ensure_tags() -> dict[str, int]:
    """The demo tag vocabulary, created when missing; name -> id."""
    names = [n for tags in catalogue.TAGS_BY_PURPOSE.values() for n in tags]
    names += list(catalogue.COMMON_TAGS)
    Tag.objects.bulk_create([Tag(name=n) for n in names], ignore_conflicts=True)
    return dict(Tag.objects.filter(name__in=names).values_list("name", "id"))
