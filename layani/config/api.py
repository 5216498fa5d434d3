"""The one NinjaAPI: mounts each app's router under /api/v1/.

OpenAPI schema: /api/v1/openapi.json · interactive docs: /api/v1/docs
"""

from ninja import NinjaAPI

import layani
from layani.analytics.api import router as reports_router
from layani.branches.api import router as branches_router
from layani.branches.queue_api import router as queue_router
from layani.channels.phone.api import callbacks_router, calls_router
from layani.conversations.api import router as conversations_router
from layani.core.api_auth import api_auth
from layani.core.api_errors import install_error_handlers
from layani.customers.api import router as customers_router
from layani.routing.assignment_api import router as assignment_router
from layani.routing.sla_api import calendars_router, conversation_sla_router, policies_router
from layani.search.api import router as search_router
from layani.staff.api import router as staff_router
from layani.webhooks.api import router as webhooks_router

api = NinjaAPI(
    title="Layani API",
    version=layani.__version__,
    description=(
        "Customer service for Indonesian businesses. Authenticate with `Authorization: "
        "Bearer <token>` (tokens are issued with `layani create_api_token`) or a session. "
        'Errors are JSON: `{"error": {"code", "message", "fields"}}`.'
    ),
    auth=api_auth,
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url="/docs",
)
install_error_handlers(api)
api.add_router("/customers", customers_router)
api.add_router("/conversations", conversations_router)
api.add_router("/branches", branches_router)
api.add_router("/me", staff_router)
api.add_router("/search", search_router)
api.add_router("/webhooks", webhooks_router)
api.add_router("/routing", assignment_router)
api.add_router("/sla-policies", policies_router)
api.add_router("/calendars", calendars_router)
api.add_router("/reports", reports_router)
api.add_router("/conversations", conversation_sla_router)
api.add_router("/calls", calls_router)
api.add_router("/callbacks", callbacks_router)
api.add_router("/", queue_router)
