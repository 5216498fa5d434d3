"""The people who work at the demo bank: the five demo sign-ins and a realistic roster.

The demo sign-ins share one password hash (hashing is deliberately slow, and the password
is the published demo password); everyone else gets an unusable password.
"""

import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User

from layani.core.choices import Channel, Purpose
from layani.demo import catalogue
from layani.demo.business import Business
from layani.demo.logins import DEMO_LOGINS, DEMO_PASSWORD
from layani.demo.people import NamePool
from layani.staff.models import Role, SkillKind, Staff, StaffSkill

REMOTE_CHANNELS = [
    Channel.WHATSAPP,
    Channel.EMAIL,
    Channel.PHONE,
    Channel.WEBCHAT,
    Channel.INSTAGRAM,
    Channel.TELEGRAM,
    Channel.MESSENGER,
    Channel.CALLBACK,
]
TELLER_SERVICES = ["teller", "bayar-transfer"]
CS_SERVICES = ["ganti-kartu", "ubah-data", "keluhan-layanan", "buka-rekening", "info-produk"]
SPECIALIST_SERVICES = ["kredit", "surat-keterangan", "keluhan-transaksi", "buka-rekening"]
REGIONAL_LANGUAGE = {
    "bdg-asia-afrika": "su",
    "sby-basuki-rahmat": "jv",
    "jkt-pusat": "en",
    "dps-teuku-umar": "en",
}


@dataclass
class Roster:
    """Who is who, for the generators: they pick authors, assignees and servers from here."""

    users: dict[str, User] = field(default_factory=dict)  # demo username -> user
    agents: list[Staff] = field(default_factory=list)
    complaint_agents: list[Staff] = field(default_factory=list)
    branch_servers: dict[str, list[Staff]] = field(default_factory=lambda: defaultdict(list))
    supervisors: list[Staff] = field(default_factory=list)
    kiosk_users: dict[str, User] = field(default_factory=dict)  # branch code -> kiosk user
    service_skills: dict[int, set[str]] = field(default_factory=dict)  # staff id -> codes


@dataclass(frozen=True)
class _Person:
    username: str
    display_name: str
    role: str
    branches: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()
    skills: tuple[tuple[str, str, int], ...] = ()
    password: bool = False  # a demo sign-in


def _skills(kind: str, values: Sequence[str], level: int = 3) -> tuple[tuple[str, str, int], ...]:
    return tuple((kind, value, level) for value in values)


def _languages(*codes: str) -> tuple[tuple[str, str, int], ...]:
    return tuple((SkillKind.LANGUAGE, code, 5 if code == "id" else 3) for code in codes)


def _demo_people() -> list[_Person]:
    jkt, bdg = catalogue.HOME_BRANCH_CODE, catalogue.SECOND_BRANCH_CODE
    people = {
        "admin": _Person("admin", "Hendra Wijaya", Role.ADMIN, password=True),
        "supervisor": _Person(
            "supervisor",
            "Ratna Kusumawati",
            Role.SUPERVISOR,
            (jkt, bdg),
            (catalogue.branch_team_name(jkt), catalogue.branch_team_name(bdg)),
            _skills(SkillKind.PURPOSE, Purpose.values, 4) + _languages("id", "en"),
            True,
        ),
        "agent": _Person(
            "agent",
            "Sari Lestari",
            Role.AGENT,
            (),
            (catalogue.CONTACT_CENTRE_TEAM,),
            _skills(SkillKind.PURPOSE, [Purpose.ROUTINE, Purpose.COMPLAINT, Purpose.PROSPECT])
            + _skills(SkillKind.CHANNEL, REMOTE_CHANNELS, 4)
            + _languages("id", "en"),
            True,
        ),
        "cabang": _Person(
            "cabang",
            "Dimas Pratama",
            Role.BRANCH_STAFF,
            (jkt,),
            (catalogue.branch_team_name(jkt),),
            _skills(SkillKind.PURPOSE, [Purpose.ROUTINE, Purpose.PROSPECT, Purpose.COMPLAINT])
            + _skills(SkillKind.SERVICE, CS_SERVICES, 4)
            + _skills(SkillKind.CHANNEL, [Channel.IN_PERSON])
            + _languages("id", "jv"),
            True,
        ),
        "kiosk": _Person("kiosk", "Kios Lobi Jakarta Pusat", Role.KIOSK, (jkt,), password=True),
    }
    return [people[username] for username, _role, _text in DEMO_LOGINS]


def _roster_people(rng: random.Random) -> list[_Person]:
    names = NamePool()
    people: list[_Person] = []

    def person(
        role: str,
        branches: tuple[str, ...],
        teams: tuple[str, ...],
        skills: tuple[tuple[str, str, int], ...],
    ) -> None:
        people.append(
            _Person("", names.full_name(rng, titles=False), role, branches, teams, skills)
        )

    for facts in catalogue.BRANCHES:
        code, team = facts.code, (catalogue.branch_team_name(facts.code),)
        extra = (REGIONAL_LANGUAGE[code],) if code in REGIONAL_LANGUAGE else ()
        person(
            Role.SUPERVISOR,
            (code,),
            team,
            _skills(SkillKind.PURPOSE, Purpose.values, 4) + _languages("id", *extra),
        )
        person(
            Role.BRANCH_STAFF,
            (code,),
            team,
            _skills(SkillKind.PURPOSE, [Purpose.ROUTINE])
            + _skills(SkillKind.SERVICE, TELLER_SERVICES, 4)
            + _languages("id", *extra),
        )
        person(
            Role.BRANCH_STAFF,
            (code,),
            team,
            _skills(SkillKind.PURPOSE, [Purpose.ROUTINE, Purpose.PROSPECT, Purpose.COMPLAINT])
            + _skills(SkillKind.SERVICE, CS_SERVICES)
            + _languages("id", *extra),
        )
        person(
            Role.BRANCH_STAFF,
            (code,),
            (*team, catalogue.PRIORITY_TEAM),
            _skills(SkillKind.PURPOSE, [Purpose.SPECIAL_REQUEST, Purpose.COMPLAINT], 4)
            + _skills(SkillKind.SERVICE, SPECIALIST_SERVICES, 4)
            + _languages("id", "en"),
        )
    for i in range(5):
        channels = REMOTE_CHANNELS[: 3 + i]
        person(
            Role.AGENT,
            (),
            (catalogue.CONTACT_CENTRE_TEAM,),
            _skills(SkillKind.PURPOSE, [Purpose.ROUTINE, Purpose.PROSPECT])
            + _skills(SkillKind.CHANNEL, channels, 2 + i % 3)
            + _languages("id", *(("zh",) if i == 2 else ("en",) if i % 2 else ())),
        )
    for _ in range(2):
        person(
            Role.AGENT,
            (),
            (catalogue.COMPLAINTS_TEAM,),
            _skills(SkillKind.PURPOSE, [Purpose.COMPLAINT], 5)
            + _skills(SkillKind.CHANNEL, REMOTE_CHANNELS, 4)
            + _languages("id"),
        )
    for code in (catalogue.HOME_BRANCH_CODE, catalogue.BRANCHES[2].code):
        person(
            Role.TECHNICIAN,
            (code,),
            (),
            _skills(SkillKind.PURPOSE, [Purpose.ROUTINE]) + _languages("id"),
        )
    return people


def _username(display_name: str, taken: set[str]) -> str:
    words = display_name.lower().replace("'", "").split()
    base = ".".join([words[0], words[-1]]) if len(words) > 1 else words[0]
    username, n = base, 1
    while username in taken:
        n += 1
        username = f"{base}{n}"
    taken.add(username)
    return username


def create_roster(business: Business, rng: random.Random) -> Roster:
    demo_hash = make_password(DEMO_PASSWORD)
    taken = {username for username, _role, _text in DEMO_LOGINS}
    taken |= set(User.objects.values_list("username", flat=True))
    roster = Roster()
    skills: list[StaffSkill] = []
    for spec in _demo_people() + _roster_people(rng):
        username = spec.username or _username(spec.display_name, taken)
        first, _, last = spec.display_name.partition(" ")
        user = User(
            username=username,
            first_name=first,
            last_name=last,
            email=f"{username}@{catalogue.EMAIL_DOMAIN}",
            is_staff=spec.role == Role.ADMIN,
            is_superuser=spec.role == Role.ADMIN,
        )
        if spec.password:
            user.password = demo_hash
        else:
            user.set_unusable_password()
        user.save()
        staff = Staff.objects.create(user=user, display_name=spec.display_name, role=spec.role)
        staff.branches.set([business.branches[code] for code in spec.branches])
        staff.teams.set([business.teams[name] for name in spec.teams])
        skills.extend(
            StaffSkill(staff=staff, kind=kind, value=value, level=level)
            for kind, value, level in spec.skills
        )
        _file(roster, spec, user, staff)
    StaffSkill.objects.bulk_create(skills)
    return roster


def _file(roster: Roster, spec: _Person, user: User, staff: Staff) -> None:
    roster.service_skills[staff.pk] = {v for k, v, _l in spec.skills if k == SkillKind.SERVICE}
    if spec.password:
        roster.users[spec.username] = user
    if spec.role == Role.AGENT:
        is_complaints = catalogue.COMPLAINTS_TEAM in spec.teams
        (roster.complaint_agents if is_complaints else roster.agents).append(staff)
    elif spec.role in (Role.BRANCH_STAFF, Role.SUPERVISOR):
        for code in spec.branches:
            roster.branch_servers[code].append(staff)
        if spec.role == Role.SUPERVISOR:
            roster.supervisors.append(staff)
    elif spec.role == Role.KIOSK:
        for code in spec.branches:
            roster.kiosk_users[code] = user


def load_roster() -> Roster:
    """The roster as it is in the database, for adding volume to an existing demo business."""
    demo_usernames = {username for username, _role, _text in DEMO_LOGINS}
    roster = Roster()
    people = Staff.objects.filter(is_active=True).select_related("user")
    for staff in people.prefetch_related("branches", "teams").order_by("pk"):
        username = staff.user.username
        spec = _Person(
            username if username in demo_usernames else "",
            staff.display_name,
            staff.role,
            tuple(b.code for b in staff.branches.all()),
            tuple(t.name for t in staff.teams.all()),
            password=username in demo_usernames,
        )
        _file(roster, spec, staff.user, staff)
    return roster
