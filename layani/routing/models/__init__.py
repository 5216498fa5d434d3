"""Routing models, one module per concern; each module's names are re-exported here."""

from layani.routing.models.sla import BusinessCalendar as BusinessCalendar
from layani.routing.models.sla import ClosedDay as ClosedDay
from layani.routing.models.sla import ConversationSla as ConversationSla
from layani.routing.models.sla import SlaConfigStamp as SlaConfigStamp
from layani.routing.models.sla import SlaPolicy as SlaPolicy
