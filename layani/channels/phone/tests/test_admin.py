"""The back office maps extensions to agents and shows calls and callbacks."""

import pytest
from django.test import Client

from layani.channels.phone.models import AgentExtension
from layani.channels.phone.tests.conftest import call_event

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_admin_maps_an_extension_and_sees_calls_and_callbacks(cti, post_cti, admin_user, agent):
    admin_user.is_superuser = True  # Django's model permissions
    admin_user.save(update_fields=["is_superuser"])
    client = Client()
    client.force_login(admin_user)
    response = client.post(
        "/admin/phone/agentextension/add/", {"extension": "305", "staff": agent.staff.pk}
    )
    assert response.status_code == 302
    assert AgentExtension.objects.get(extension="305").staff == agent.staff
    post_cti(call_event("hangup", extension="305"))  # missed: a callback too
    assert client.get("/admin/phone/call/").status_code == 200
    assert client.get("/admin/phone/callbackrequest/").status_code == 200
