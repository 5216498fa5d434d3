"""The base of the demo business: branches with opening hours, services and teams.

Configuration rows are few, so they are written with the ORM one by one; the admin would
write the same rows.
"""

from dataclasses import dataclass, field

from layani.branches.models import Branch, Counter, OpeningHours, Service
from layani.demo import catalogue
from layani.staff.models import Team


@dataclass
class Business:
    """The configuration rows the history and volume generators hang their data on."""

    branches: dict[str, Branch]
    services: dict[str, Service]
    teams: dict[str, Team]
    counters: dict[str, list[Counter]] = field(default_factory=dict)  # by branch code


def demo_business_exists() -> bool:
    return Branch.objects.filter(code=catalogue.MARKER_BRANCH_CODE).exists()


def create_branches_and_services() -> Business:
    services = {
        facts.code: Service.objects.create(
            purpose=facts.purpose,
            code=facts.code,
            name_id=facts.name_id,
            name_en=facts.name_en,
            ticket_prefix=facts.ticket_prefix,
            default_handling_minutes=facts.handling_minutes,
            sort_order=order,
        )
        for order, facts in enumerate(catalogue.SERVICES)
    }
    branches: dict[str, Branch] = {}
    hours: list[OpeningHours] = []
    for facts in catalogue.BRANCHES:
        branch = Branch.objects.create(
            code=facts.code, name=facts.name, address=facts.address, timezone=facts.timezone
        )
        branch.services.set(services.values())
        branches[facts.code] = branch
        for weekday, periods in catalogue.OPENING_PERIODS.items():
            hours.extend(
                OpeningHours(branch=branch, weekday=weekday, opens_at=opens, closes_at=closes)
                for opens, closes in periods
            )
    OpeningHours.objects.bulk_create(hours)
    counters = {code: _create_counters(branch, services) for code, branch in branches.items()}
    teams: dict[str, Team] = {}
    for team_facts in catalogue.TEAMS:
        team = Team.objects.create(name=team_facts.name)
        team.branches.set([branches[code] for code in team_facts.branch_codes])
        teams[team.name] = team
    return Business(branches=branches, services=services, teams=teams, counters=counters)


def _create_counters(branch: Branch, services: dict[str, Service]) -> list[Counter]:
    """Closed and unstaffed: staff open their counter when they start work."""
    counters = []
    for facts in catalogue.COUNTERS:
        counter = Counter.objects.create(branch=branch, number=facts.number, name=facts.name)
        counter.services.set([services[code] for code in facts.service_codes])
        counters.append(counter)
    return counters
