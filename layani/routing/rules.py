"""Routing rules: which team takes a conversation, which skills it needs and, for a routine
one, why the customer came.

Rules are data (`RoutingRule`, edited in the admin and the API), loaded into plain `Rule`s
and matched here without the database. The first active rule, by position, whose every
condition holds wins; an empty condition holds for everything. Within one condition any
listed value will do:

- channels: a channel ("whatsapp") or a kind of work ("chat", "phone", "email");
- purposes, services (a service code or free text), languages, segments (`Customer.standing`:
  prospect, new, loyal, customer), tiers, tags, branches;
- keywords: a keyword matches when each of its words appears in the subject or the
  customer's latest message, both normalised the way search normalises Indonesian text
  (slang, abbreviations, stems, stopwords): "tdk bisa login" matches "Saya tidak bisa
  login!!", "kartu hilang" matches "kartu saya hilang". Synonyms ("login" / "masuk") are
  not known: list both.

A rule may also say why the customer came: a routine conversation it matches is given its
`set_purpose` (a keyword rule for "kecewa" makes it a complaint, with the complaint's SLA
and its weight in the team's queue), as the conversation arrives
(`auto_assign.purpose_on_arrival`, before the customer is told when to expect an answer)
and when it is routed; a purpose a person or the kiosk chose is never changed
(`conversations.actions.purpose_left_to_rules`). A rule with neither a team nor skills only
says why (`Rule.only_says_why`): routing then takes the next rule that matches the purpose
given.

When no rule matches, the default route has no team and no skills: the conversation stays
with the team it has, or in the shared pool. A rule with no conditions at the end of the
list is the business's own default.
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from layani.language.normalise import normalise_query
from layani.routing.assignment import SkillRequirement, work_kind


@dataclass(frozen=True)
class Rule:
    rule_id: int
    name: str
    team_id: int | None
    required_skills: tuple[SkillRequirement, ...] = ()
    channels: frozenset[str] = frozenset()
    purposes: frozenset[str] = frozenset()
    services: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset()
    segments: frozenset[str] = frozenset()
    tiers: frozenset[str] = frozenset()
    tags: frozenset[str] = frozenset()
    keywords: tuple[tuple[str, ...], ...] = ()  # each keyword's normalised terms
    branch_ids: frozenset[int] = frozenset()
    # What a routine conversation the rule matches becomes ("complaint"); "" leaves it.
    set_purpose: str = ""

    @property
    def only_says_why(self) -> bool:
        """Neither a team nor skills: the rule gives a purpose and routes nowhere."""
        return self.team_id is None and not self.required_skills


@dataclass(frozen=True)
class RoutingFacts:
    channel: str
    purpose: str
    service: str = ""
    language: str = ""
    segment: str = ""
    tier: str = ""
    tags: frozenset[str] = frozenset()
    terms: frozenset[str] = frozenset()  # normalised terms of the subject and latest message
    branch_id: int | None = None


@dataclass(frozen=True)
class Route:
    rule: Rule | None
    team_id: int | None
    required_skills: tuple[SkillRequirement, ...] = ()


DEFAULT_ROUTE = Route(rule=None, team_id=None)
_SPACES = re.compile(r"\s+")


def tag_name(name: str) -> str:
    """Tags as conversations store them: "Kartu Hilang" -> "kartu-hilang"."""
    return _SPACES.sub("-", name.strip().lower())


@lru_cache(maxsize=10_000)
def keyword_terms(keyword: str) -> tuple[str, ...]:
    return tuple(normalise_query(keyword))


def text_terms(*texts: str) -> frozenset[str]:
    terms: set[str] = set()
    for text in texts:
        if text:
            terms.update(normalise_query(text))
    return frozenset(terms)


def _service_matches(rule: Rule, service: str) -> bool:
    if service in rule.services:
        return True
    # Free text in the rule ("kartu kredit") against a service named in prose.
    wanted = text_terms(service)
    return any(set(keyword_terms(s)) <= wanted for s in rule.services if keyword_terms(s))


def rule_matches(rule: Rule, facts: RoutingFacts) -> bool:
    if rule.channels and not (
        facts.channel in rule.channels or work_kind(facts.channel) in rule.channels
    ):
        return False
    if rule.purposes and facts.purpose not in rule.purposes:
        return False
    if rule.services and not (facts.service and _service_matches(rule, facts.service)):
        return False
    if rule.languages and facts.language not in rule.languages:
        return False
    if rule.segments and facts.segment not in rule.segments:
        return False
    if rule.tiers and facts.tier not in rule.tiers:
        return False
    if rule.tags and not (rule.tags & facts.tags):
        return False
    if rule.branch_ids and facts.branch_id not in rule.branch_ids:
        return False
    return not rule.keywords or any(terms and set(terms) <= facts.terms for terms in rule.keywords)


def first_match(rules: Iterable[Rule], facts: RoutingFacts) -> Rule | None:
    for rule in rules:
        if rule_matches(rule, facts):
            return rule
    return None


def route_for(rules: Sequence[Rule], facts: RoutingFacts) -> Route:
    rule = first_match(rules, facts)
    if rule is None:
        return DEFAULT_ROUTE
    return Route(rule=rule, team_id=rule.team_id, required_skills=rule.required_skills)


# --- Loading the rules ------------------------------------------------------------------------


def skill_requirements(raw: object) -> tuple[SkillRequirement, ...]:
    """`RoutingRule.required_skills` ([{"kind", "value", "min_level"}]) as requirements."""
    if not isinstance(raw, list):
        return ()
    return tuple(
        SkillRequirement(
            kind=str(item["kind"]),
            value=str(item["value"]),
            min_level=int(item.get("min_level", 1)),
        )
        for item in raw
        if isinstance(item, dict) and "kind" in item and "value" in item
    )


def _strings(raw: object) -> frozenset[str]:
    return frozenset(str(v) for v in raw) if isinstance(raw, list) else frozenset()


def load_rules() -> list[Rule]:
    """The active rules in order (two queries: the rules and their branches)."""
    from layani.routing.models import RoutingRule

    rows = RoutingRule.objects.filter(is_active=True).prefetch_related("branches")
    return [
        Rule(
            rule_id=row.pk,
            name=row.name,
            team_id=row.team_id,
            required_skills=skill_requirements(row.required_skills),
            channels=_strings(row.channels),
            purposes=_strings(row.purposes),
            services=_strings(row.services),
            languages=_strings(row.languages),
            segments=_strings(row.segments),
            tiers=_strings(row.tiers),
            tags=frozenset(tag_name(s) for s in _strings(row.tags)),
            keywords=tuple(keyword_terms(k) for k in _strings(row.keywords) if keyword_terms(k)),
            branch_ids=frozenset(b.pk for b in row.branches.all()),
            set_purpose=row.set_purpose,
        )
        for row in rows.order_by("position", "id")
    ]
