"""Routing models, one module per concern; each module's names are re-exported here."""

from layani.routing.models.assignment import AgentPresence as AgentPresence
from layani.routing.models.assignment import AgentStatus as AgentStatus
from layani.routing.models.assignment import AgentStatusChange as AgentStatusChange
from layani.routing.models.assignment import AssignmentHold as AssignmentHold
from layani.routing.models.assignment import AssignmentMode as AssignmentMode
from layani.routing.models.assignment import ContinuityRecord as ContinuityRecord
from layani.routing.models.assignment import ContinuitySource as ContinuitySource
from layani.routing.models.assignment import PriorityPolicy as PriorityPolicy
from layani.routing.models.assignment import RoutingRule as RoutingRule
from layani.routing.models.assignment import TeamAssignment as TeamAssignment
from layani.routing.models.assignment import WorkingHours as WorkingHours
from layani.routing.models.sla import BusinessCalendar as BusinessCalendar
from layani.routing.models.sla import ClosedDay as ClosedDay
from layani.routing.models.sla import ConversationSla as ConversationSla
from layani.routing.models.sla import SlaConfigStamp as SlaConfigStamp
from layani.routing.models.sla import SlaPolicy as SlaPolicy
