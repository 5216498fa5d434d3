"""Settings come from the environment; with nothing set, Layani runs embedded.

Embedded default: SQLite in WAL mode under LAYANI_DATA_DIR, Huey on SQLite, Channels on the
in-memory layer, local-memory cache. Set DATABASE_URL (PostgreSQL) and REDIS_URL to scale out.
"""

import ipaddress
import os
import secrets
import sys
import tempfile
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


PACKAGE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("LAYANI_DATA_DIR", Path.cwd() / "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)
TESTING = "pytest" in sys.modules or env_bool("LAYANI_TESTING", False)

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
SECRET_KEY_FILE = DATA_DIR / "secret_key"
if not SECRET_KEY and SECRET_KEY_FILE.exists():
    # Written once by the quick-start script, so the embedded install keeps its sessions.
    SECRET_KEY = SECRET_KEY_FILE.read_text().strip()
if not SECRET_KEY:
    if DEBUG or TESTING:
        SECRET_KEY = "layani-insecure-development-key"
    else:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it in the environment (the quick-start script makes one)."
        )

# Keys that seal stored credentials (`layani.core.sealed`); empty: derived from SECRET_KEY.
LAYANI_SECRETS_KEYS = [
    k.strip() for k in os.environ.get("LAYANI_SECRETS_KEYS", "").split(",") if k.strip()
]

ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h.strip()]
if not ALLOWED_HOSTS and (DEBUG or TESTING):
    ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]", "testserver"]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "template_partials",
    "huey.contrib.djhuey",
    "axes",
    "layani.core",
    "layani.staff",
    "layani.branches",
    "layani.customers",
    "layani.conversations",
    "layani.feedback",
    "layani.search",
    "layani.demo",
    "layani.webhooks",
    "layani.routing",
    "layani.analytics",
    "layani.channels",
    "layani.channels.email",
    "layani.channels.phone",
    "layani.channels.webchat",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "layani.core.middleware.IndonesianFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "layani.config.urls"
WSGI_APPLICATION = "layani.config.wsgi.application"
ASGI_APPLICATION = "layani.config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "layani.staff.context.staff_profile",
            ],
            "builtins": ["layani.core.templatetags.layani_format"],
        },
    }
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # A connection pool per process, not persistent connections: under ASGI each
        # request may run in a new thread, and a persistent connection per thread piles up
        # until PostgreSQL refuses clients (seen at 90+ connections in the webhook bench).
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": 1,
            # Tests run twenty-odd threads that hold their connections together.
            "max_size": int(os.environ.get("LAYANI_DB_POOL_SIZE", "40" if TESTING else "20")),
            "timeout": 10,
        }
        # Short interactive queries: PostgreSQL's JIT compiler costs 100-200 ms on a search
        # over millions of rows and never pays back here.
        options = DATABASES["default"].setdefault("OPTIONS", {})
        options["options"] = (options.get("options", "") + " -c jit=off").strip()
        DATABASES["default"].setdefault("TEST", {})["NAME"] = os.environ.get(
            "LAYANI_TEST_DB_NAME", "test_layani"
        )
else:
    _test_db = os.environ.get("LAYANI_TEST_DB_NAME", "test_layani")
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "layani.sqlite3"),
            "OPTIONS": {
                # WAL lets readers run beside the writer; IMMEDIATE takes the write lock at
                # the start of a transaction, so concurrent writers queue instead of failing.
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                    "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000;"
                ),
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
            # Tests use a file, not Django's shared-cache in-memory database: browser tests
            # serve requests from threads, and shared-cache SQLite answers a second writer
            # with "table is locked" at once instead of waiting (busy_timeout does not apply).
            "TEST": {"NAME": str(Path(tempfile.gettempdir()) / f"{_test_db}-{os.getpid()}.db")},
        }
    }
IS_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache, channel layer, task queue ------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
# Test runs sharing one Redis (two checkouts, CI beside a developer) must not hear each
# other's events: each run gets its own prefix, inherited by the processes it starts.
REDIS_PREFIX = (
    f"layani-test-{os.environ.setdefault('LAYANI_TEST_RUN', secrets.token_hex(4))}"
    if TESTING
    else "layani"
)
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": REDIS_PREFIX,
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # channels_redis blocks up to 5 s reading; the socket must wait longer than that,
            # or idle websockets die with a read timeout.
            "CONFIG": {
                "hosts": [{"address": REDIS_URL, "socket_timeout": 30}],
                "prefix": REDIS_PREFIX,
            },
        }
    }
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": "layani",
        "url": REDIS_URL,
        "immediate": TESTING,
        "consumer": {"workers": 4, "worker_type": "thread"},
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    # Set by `layani serve` for its worker: where the server takes the worker's realtime
    # events (`core.relay`), since this layer lives in the server's memory.
    LAYANI_REALTIME_RELAY = os.environ.get("LAYANI_REALTIME_RELAY", "")
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "layani",
        "filename": str(DATA_DIR / "tasks.sqlite3"),
        "immediate": TESTING,
        "consumer": {"workers": 2, "worker_type": "thread"},
    }

# --- Auth -----------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "staff:login"
LOGIN_REDIRECT_URL = "staff:home"
LOGOUT_REDIRECT_URL = "staff:login"
AXES_FAILURE_LIMIT = int(os.environ.get("LAYANI_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.25  # hours: a locked account opens again after 15 minutes
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "staff/locked_out.html"
AXES_VERBOSE = False
AXES_ENABLE_ACCESS_FAILURE_LOG = False
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
# Behind reverse proxies: how many of them append to X-Forwarded-For in front of Layani, so
# that per-visitor limits (sign-in lockout, callback form) count visitors, not the proxy.
LAYANI_TRUSTED_PROXIES = int(os.environ.get("LAYANI_TRUSTED_PROXIES", "0"))
# Where those proxies are (comma-separated networks); private and loopback ones by default.
LAYANI_PROXY_NETWORKS = os.environ.get("LAYANI_PROXY_NETWORKS", "")
for _network in filter(None, (part.strip() for part in LAYANI_PROXY_NETWORKS.split(","))):
    ipaddress.ip_network(_network)  # a mistyped network stops start-up, not a sign-in
AXES_CLIENT_IP_CALLABLE = "layani.core.client_address.client_address"
RATELIMIT_IP_META_KEY = "layani.core.client_address.client_address"

if TESTING:
    # Hashing strength is not under test; a fast hasher keeps the suite quick.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 60 * 60 * 12
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if not DEBUG and not TESTING and env_bool("LAYANI_HTTPS", True):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Requests -------------------------------------------------------------------------------
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024  # 1 MiB; larger API bodies get a 413 in JSON

# --- Language and time ----------------------------------------------------------------------
LANGUAGE_CODE = "id"
LANGUAGES = [("id", _("Bahasa Indonesia")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Jakarta"
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LAYANI_LOG_LEVEL", "INFO")},
    # httpx logs every webhook request with its URL at INFO: keep the log for problems.
    "loggers": {"axes": {"level": "WARNING"}, "httpx": {"level": "WARNING"}},
}

# Links sent to customers (remote queue status, feedback) start with this address.
PUBLIC_BASE_URL = os.environ.get("LAYANI_PUBLIC_URL", "http://127.0.0.1:8000")
