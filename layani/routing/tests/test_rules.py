"""Routing rules: the pure matcher, and rules as data (loaded in order, checked on save)."""

import pytest

from layani.routing.assignment import SkillRequirement
from layani.routing.models import RoutingRule
from layani.routing.models.assignment import rule_problems
from layani.routing.rules import (
    DEFAULT_ROUTE,
    RoutingFacts,
    Rule,
    keyword_terms,
    load_rules,
    route_for,
    rule_matches,
    text_terms,
)
from layani.staff.models import Team


def facts(**values):
    values.setdefault("channel", "whatsapp")
    values.setdefault("purpose", "routine")
    text = values.pop("text", "")
    return RoutingFacts(terms=text_terms(text), **values)


def rule(n=1, team=10, **conditions):
    for name in ("channels", "purposes", "services", "languages", "segments", "tiers", "tags"):
        if name in conditions:
            conditions[name] = frozenset(conditions[name])
    if "keywords" in conditions:
        conditions["keywords"] = tuple(keyword_terms(k) for k in conditions["keywords"])
    if "branch_ids" in conditions:
        conditions["branch_ids"] = frozenset(conditions["branch_ids"])
    return Rule(rule_id=n, name=f"rule {n}", team_id=team, **conditions)


def test_a_rule_without_conditions_matches_everything():
    assert rule_matches(rule(), facts())
    assert rule_matches(rule(), facts(channel="email", purpose="complaint"))


def test_the_first_matching_rule_wins():
    rules = [
        rule(1, team=1, purposes=["complaint"]),
        rule(2, team=2, channels=["whatsapp"]),
        rule(3, team=3),
    ]
    assert route_for(rules, facts(purpose="complaint")).team_id == 1
    assert route_for(rules, facts(purpose="routine")).team_id == 2
    assert route_for(rules, facts(channel="email")).team_id == 3


def test_nothing_matches_gives_the_default_route():
    route = route_for([rule(purposes=["complaint"])], facts())
    assert route is DEFAULT_ROUTE
    assert route.team_id is None and route.required_skills == ()


def test_channels_match_by_channel_or_by_kind_of_work():
    chats = rule(channels=["chat"])
    assert rule_matches(chats, facts(channel="telegram"))
    assert rule_matches(chats, facts(channel="instagram"))
    assert not rule_matches(chats, facts(channel="email"))
    assert rule_matches(rule(channels=["phone"]), facts(channel="callback"))


def test_every_condition_must_hold_and_any_value_within_one_will_do():
    complaint_members = rule(purposes=["complaint"], segments=["loyal", "new"], tiers=["gold"])
    assert rule_matches(complaint_members, facts(purpose="complaint", segment="loyal", tier="gold"))
    assert not rule_matches(
        complaint_members, facts(purpose="complaint", segment="prospect", tier="gold")
    )
    assert not rule_matches(
        complaint_members, facts(purpose="routine", segment="loyal", tier="gold")
    )


def test_language_tags_service_and_branch():
    assert rule_matches(rule(languages=["en"]), facts(language="en"))
    assert not rule_matches(rule(languages=["en"]), facts(language="id"))
    assert rule_matches(rule(tags=["vip", "kartu-hilang"]), facts(tags=frozenset({"kartu-hilang"})))
    assert not rule_matches(rule(tags=["vip"]), facts(tags=frozenset()))
    assert rule_matches(rule(services=["kartu"]), facts(service="kartu"))
    assert not rule_matches(rule(services=["kartu"]), facts(service=""))
    assert rule_matches(rule(branch_ids=[4]), facts(branch_id=4))
    assert not rule_matches(rule(branch_ids=[4]), facts(branch_id=None))


@pytest.mark.parametrize(
    ("keyword", "text"),
    [
        ("tdk bisa login", "Halo, saya TIDAK bisa login dari tadi!!"),
        ("tidak bisa login", "sy tdk bisa login"),
        ("kartu hilang", "Kartu saya hilang kemarin"),
        ("kartu hilang", "kartu-kartu saya hilang"),
        ("pengembalian dana", "Dana saya belum dikembalikan"),
    ],
)
def test_keywords_match_on_normalised_indonesian_words(keyword, text):
    assert rule_matches(rule(keywords=[keyword]), facts(text=text))


def test_a_keyword_needs_all_its_words():
    assert not rule_matches(rule(keywords=["kartu hilang"]), facts(text="kartu saya aman"))
    assert rule_matches(rule(keywords=["blokir", "kartu hilang"]), facts(text="tolong blokir"))


def test_a_matched_rule_carries_its_team_and_skills():
    skills = (SkillRequirement("purpose", "complaint", 3),)
    matched = Rule(rule_id=5, name="Keluhan", team_id=7, required_skills=skills)
    route = route_for([matched], facts())
    assert route.rule is matched and route.team_id == 7 and route.required_skills == skills


@pytest.mark.django_db
def test_rules_are_loaded_active_only_in_position_order(branch):
    team = Team.objects.create(name="Keluhan")
    later = RoutingRule.objects.create(name="later", position=20, team=team, tags=["Kartu Hilang"])
    first = RoutingRule.objects.create(
        name="first",
        position=10,
        team=team,
        keywords=["tdk bisa login"],
        required_skills=[{"kind": "purpose", "value": "complaint", "min_level": 4}],
    )
    first.branches.add(branch)
    RoutingRule.objects.create(name="off", position=1, team=team, is_active=False)
    rules = load_rules()
    assert [r.name for r in rules] == ["first", "later"]
    assert rules[0].branch_ids == {branch.pk}
    assert rules[0].keywords == (("tidak", "bisa", "login"),)
    assert rules[0].required_skills == (SkillRequirement("purpose", "complaint", 4),)
    assert rules[1].tags == {"kartu-hilang"}  # as conversations store tags
    assert later.pk != first.pk


def test_rule_values_are_checked():
    assert rule_problems({"channels": ["whatsapp", "chat"], "purposes": ["complaint"]}) == {}
    assert "channels" in rule_problems({"channels": ["fax"]})
    assert "segments" in rule_problems({"segments": ["vip"]})
    assert "keywords" in rule_problems({"keywords": "kartu"})
    assert "required_skills" in rule_problems(
        {"required_skills": [{"kind": "purpose", "value": "complaint", "min_level": 9}]}
    )
    assert "required_skills" in rule_problems({"required_skills": [{"kind": "mood", "value": "x"}]})
