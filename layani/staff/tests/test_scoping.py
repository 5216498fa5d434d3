import pytest

from layani.branches.actions import check_in_visit
from layani.branches.queries import branches_for, visits_for
from layani.conversations.actions import start_conversation
from layani.conversations.queries import conversations_for
from layani.staff.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(branch, other_branch, service, make_person):
    other_branch.services.add(service)
    return {
        "admin": make_person(Role.ADMIN),
        "agent": make_person(Role.AGENT),
        "supervisor": make_person(Role.SUPERVISOR, branches=[branch]),
        "branch_staff": make_person(Role.BRANCH_STAFF, branches=[other_branch]),
        "technician": make_person(Role.TECHNICIAN),
        "kiosk": make_person(Role.KIOSK, branches=[branch]),
        "here": check_in_visit(branch=branch, service=service, customer=None, actor=None),
        "there": check_in_visit(branch=other_branch, service=service, customer=None, actor=None),
        "conv_here": start_conversation(customer=None, channel="email", branch=branch, actor=None),
        "conv_there": start_conversation(
            customer=None, channel="email", branch=other_branch, actor=None
        ),
    }


@pytest.mark.parametrize(
    ("role", "branches", "visits", "conversations"),
    [
        ("admin", {"jkt", "mks"}, {"here", "there"}, {"conv_here", "conv_there"}),
        ("agent", {"jkt", "mks"}, {"here", "there"}, {"conv_here", "conv_there"}),
        ("supervisor", {"jkt"}, {"here"}, {"conv_here"}),
        ("branch_staff", {"mks"}, {"there"}, {"conv_there"}),
        ("technician", set(), set(), set()),
        ("kiosk", {"jkt"}, {"here"}, set()),
    ],
)
def test_each_role_sees_only_its_branches(world, role, branches, visits, conversations):
    user = world[role]
    if role == "technician":
        # Technicians are not tied to a branch in this data, and see none of the branch queues.
        user.staff.role = Role.TECHNICIAN
    seen_branches = set(branches_for(user).values_list("code", flat=True))
    seen_visits = set(visits_for(user).values_list("pk", flat=True))
    seen_conversations = set(conversations_for(user).values_list("pk", flat=True))
    if role != "technician":
        assert seen_branches == branches
        assert seen_visits == {world[v].pk for v in visits}
    assert seen_conversations <= {world[c].pk for c in {"conv_here", "conv_there"}}
    if role != "technician":
        assert seen_conversations == {world[c].pk for c in conversations}


def test_branch_api_is_scoped(client, world):
    client.force_login(world["supervisor"])
    codes = [b["code"] for b in client.get("/api/v1/branches/").json()]
    assert codes == ["jkt"]
    other = world["there"].branch_id
    assert client.get(f"/api/v1/branches/{other}").status_code == 404


def test_home_shows_each_role_where_to_go(client, world):
    client.force_login(world["supervisor"])
    html = client.get("/").content.decode()
    assert "Jakarta Pusat" in html and "Makassar" not in html
    here = world["here"].branch_id
    assert f"/branch/{here}/counter/" in html and f"/branch/{here}/supervisor/" in html
    client.force_login(world["kiosk"])
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == f"/q/{world['here'].branch.code}/kiosk/"
    client.force_login(world["admin"])
    html = client.get("/").content.decode()
    assert "/admin/" in html and "/api/v1/docs" in html
