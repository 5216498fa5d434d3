"""Is someone there to answer? An agent of the account's team (any team when the account
has none) whose status is online (`routing.agent_status`)."""

from layani.channels.models import ChannelAccount
from layani.routing.models import AgentPresence, AgentStatus


def agents_online(account: ChannelAccount) -> bool:
    """One query."""
    online = AgentPresence.objects.filter(status=AgentStatus.ONLINE, staff__is_active=True)
    if account.team_id is not None:
        online = online.filter(staff__teams=account.team_id)
    return online.exists()
