"""Atendo's one settings module, driven by the environment.

Development defaults need nothing: SQLite under var/, console e-mail, DEBUG on.
Production: ATENDO_PRODUCTION=1, SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL (PostgreSQL).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("ATENDO_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


PRODUCTION = env_bool("ATENDO_PRODUCTION")
DEBUG = env_bool("DEBUG", not PRODUCTION)
TESTING = env_bool("ATENDO_TESTING") or "pytest" in sys.modules

if PRODUCTION:
    SECRET_KEY = os.environ.get("SECRET_KEY", "")
    if len(SECRET_KEY) < 50:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            "ATENDO_PRODUCTION=1 needs SECRET_KEY: a random value of 50+ characters, e.g. "
            "python -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
else:
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-insecure-key-change-me-0123456789abcdefghijklmnop")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",
    "django_htmx",
    # core first among the task apps: its `db_worker` (which queues the periodic tasks) takes over
    # django_tasks_db's.
    "atendo.core",
    "django_tasks",
    "django_tasks_db",
    "atendo.accounts",
    "atendo.workspaces",
    "atendo.audit",
    "atendo.fields",
    "atendo.files",
    "atendo.clinical",
    "atendo.clients",
    "atendo.therapies",
    "atendo.scheduling",
    "atendo.billing",
    "atendo.evaluations",
    "atendo.recording",
    "atendo.trail",
    "atendo.home",
    "atendo.insights",
    "atendo.reports",
    "atendo.exports",
    "atendo.reminders",
    "atendo.feeds",
    "atendo.retention",
    "atendo.booking",
    "atendo.intake",
    "atendo.portal",
    "atendo.demo",
    "atendo.backup",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # /api/ only: NUL, huge ints, malformed bodies, the error shape (after Locale: its messages are
    # translated; nothing above it reads the body).
    "atendo.core.api_guard.ApiInputGuardMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Idle timeout and absolute lifetime of browser sessions; records address, device and activity
    # (after messages: it says why a session ended).
    "atendo.accounts.middleware.SessionSecurityMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # The read audit: the clinical content a request showed, written once when it ends (audit.reads).
    "atendo.audit.reads.ReadAuditMiddleware",
]

ROOT_URLCONF = "atendo.urls"
WSGI_APPLICATION = "atendo.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "atendo" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "atendo.workspaces.context_processors.workspace",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------------
# SQLite by default (WAL, busy timeout, IMMEDIATE transactions so writers queue instead of failing);
# PostgreSQL through DATABASE_URL. Test databases get a per-process name so parallel runs never clash.
_test_suffix = os.environ.get("ATENDO_TEST_DB_SUFFIX", str(os.getpid()))
if os.environ.get("DATABASE_URL"):
    _db = dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60, conn_health_checks=True)
    _db["TEST"] = {"NAME": f"test_atendo_{_test_suffix}"}
    # Behind PgBouncer in transaction mode a server-side cursor (`.iterator()`) cannot outlive its
    # transaction's server connection: DATABASE_POOLER=pgbouncer turns them off (docs/scaling.md).
    if os.environ.get("DATABASE_POOLER", "").strip().lower() == "pgbouncer":
        _db["DISABLE_SERVER_SIDE_CURSORS"] = True
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    _db = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("SQLITE_PATH", str(VAR_DIR / "atendo.sqlite3")),
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000; "
                "PRAGMA foreign_keys=ON; PRAGMA cache_size=-65536; PRAGMA mmap_size=268435456;"
            ),
        },
        # Kept open between requests (no reopening, PRAGMAs and a cold page cache on each one); the
        # tests open one per test, as before.
        "CONN_MAX_AGE": 0 if TESTING else 60,
        # A file, not memory: concurrency tests and the browser's live server share it.
        "TEST": {"NAME": str(Path(tempfile.gettempdir()) / f"atendo_test_{_test_suffix}.sqlite3")},
    }
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# One process's memory by default. Behind more than one process or node, the rate limits of the public
# doors and the feed cache must be shared: REDIS_URL (e.g. redis://10.0.0.5:6379/0) selects Django's
# Redis cache (docs/scaling.md).
if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
if TESTING:
    TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

# --- Passwords and login --------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_THROTTLE_MAX_FAILURES = int(os.environ.get("LOGIN_THROTTLE_MAX_FAILURES", "5"))
LOGIN_THROTTLE_WINDOW_SECONDS = int(os.environ.get("LOGIN_THROTTLE_WINDOW_SECONDS", "900"))
# Per address: higher than per account, because a practice often shares one address.
LOGIN_THROTTLE_MAX_FAILURES_PER_IP = int(os.environ.get("LOGIN_THROTTLE_MAX_FAILURES_PER_IP", "20"))
# Password-reset e-mails: per address (a mailbox cannot be flooded) and per client address.
PASSWORD_RESET_THROTTLE_MAX_PER_EMAIL = int(os.environ.get("PASSWORD_RESET_THROTTLE_MAX_PER_EMAIL", "3"))
PASSWORD_RESET_THROTTLE_MAX_PER_IP = int(os.environ.get("PASSWORD_RESET_THROTTLE_MAX_PER_IP", "10"))
PASSWORD_RESET_THROTTLE_WINDOW_SECONDS = int(os.environ.get("PASSWORD_RESET_THROTTLE_WINDOW_SECONDS", "3600"))
# Starting a practice from the web (/signup/); ATENDO_SIGNUP=0 for a single-practice install.
ATENDO_SIGNUP = env_bool("ATENDO_SIGNUP", True)
SIGNUP_THROTTLE_MAX_PER_IP = int(os.environ.get("SIGNUP_THROTTLE_MAX_PER_IP", "5"))
SIGNUP_THROTTLE_WINDOW_SECONDS = int(os.environ.get("SIGNUP_THROTTLE_WINDOW_SECONDS", "3600"))
# Sign-in security (docs/security.md): wrong second-factor codes per account; how recent a sign-in a
# sensitive act needs; the absolute lifetime of a browser session (idle timeouts are workspace
# settings); when the page warns before an idle sign-out.
MFA_THROTTLE_MAX_FAILURES = int(os.environ.get("MFA_THROTTLE_MAX_FAILURES", "5"))
MFA_THROTTLE_WINDOW_SECONDS = int(os.environ.get("MFA_THROTTLE_WINDOW_SECONDS", "900"))
REAUTH_WINDOW_SECONDS = int(os.environ.get("REAUTH_WINDOW_SECONDS", "900"))
SESSION_MAX_AGE_SECONDS = int(os.environ.get("SESSION_MAX_AGE_SECONDS", str(12 * 3600)))
IDLE_WARNING_SECONDS = int(os.environ.get("IDLE_WARNING_SECONDS", "120"))
SESSION_ENGINE = "atendo.accounts.session_store"
SESSION_COOKIE_AGE = SESSION_MAX_AGE_SECONDS

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "en"
# Each language by its own name, the same everywhere (the switcher, the settings, documents).
LANGUAGES = [("en", "English"), ("pt-br", "Português (Brasil)")]
LOCALE_PATHS = [BASE_DIR / "atendo" / "locale"]
# Dates, times and numbers per language, ISO first among the input formats: atendo/core/locale_formats.
FORMAT_MODULE_PATH = ["atendo.core.locale_formats"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files and uploads ---------------------------------------------------------------
# Front-end packages come from npm (package.json) and are served straight out of node_modules.
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [
    BASE_DIR / "atendo" / "static",
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
    ("vendor/fullcalendar", BASE_DIR / "node_modules" / "fullcalendar"),
    ("vendor/fullcalendar-locales", BASE_DIR / "node_modules" / "@fullcalendar" / "core" / "locales"),
    ("vendor/signature_pad", BASE_DIR / "node_modules" / "signature_pad" / "dist"),
    ("vendor/chartjs", BASE_DIR / "node_modules" / "chart.js" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Attachments live in their own storage under ATTACHMENTS_ROOT, outside any public URL, and are served
# only by access-checked views. MEDIA_* is unused by Atendo (Django needs a value).
ATTACHMENTS_ROOT = Path(os.environ.get("ATENDO_ATTACHMENTS_ROOT", VAR_DIR / "files"))
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"
ATTACHMENT_MAX_BYTES = int(os.environ.get("ATTACHMENT_MAX_BYTES", str(20 * 1024 * 1024)))

# --- Exports (atendo/exports, docs/exports.md) ----------------------------------------------------
# Export files are built by the task worker, kept outside any public URL and served only to the
# member who asked; deleted EXPORT_TTL_HOURS after they are ready (the periodic sweep).
EXPORTS_ROOT = Path(os.environ.get("ATENDO_EXPORTS_ROOT", VAR_DIR / "exports"))
EXPORT_TTL_HOURS = float(os.environ.get("EXPORT_TTL_HOURS", "24"))
# A job still running after this long is taken for interrupted (a worker that died) and failed.
EXPORT_STALE_HOURS = float(os.environ.get("EXPORT_STALE_HOURS", "6"))
# Exports a member may have waiting or running at once.
EXPORT_MAX_ACTIVE = int(os.environ.get("EXPORT_MAX_ACTIVE", "3"))
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Encryption at rest of clinical content (atendo/clinical/crypto.py, README "The master key") ---
# The master key wraps every workspace's data keys: base64 of 32 random bytes. Production refuses to
# start without it (check atendo.E010); development generates one in ATENDO_MASTER_KEY_FILE.
ATENDO_MASTER_KEY = os.environ.get("ATENDO_MASTER_KEY", "").strip()
# Earlier master keys, comma-separated, still accepted to unwrap while `rotate_keys --master` runs.
ATENDO_OLD_MASTER_KEYS = env_list("ATENDO_OLD_MASTER_KEYS")
ATENDO_MASTER_KEY_FILE = Path(os.environ.get("ATENDO_MASTER_KEY_FILE", VAR_DIR / "master.key"))
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- E-mail ---------------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Atendo <no-reply@atendo.local>")
if os.environ.get("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ["EMAIL_HOST"]
    EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# --- Reminders and calendar feeds (docs/reminders.md) ------------------------------------------
# The address clients and calendar apps reach the app at (links in reminders, feed URLs).
ATENDO_PUBLIC_URL = os.environ.get("ATENDO_PUBLIC_URL", "http://127.0.0.1:8000")
REMINDER_LINK_MAX_AGE_DAYS = int(os.environ.get("REMINDER_LINK_MAX_AGE_DAYS", "30"))
REMINDERS_SEND_TIMEOUT = int(os.environ.get("REMINDERS_SEND_TIMEOUT", "15"))
# WhatsApp Cloud API: the token and phone-number id of the business number; the app secret signs
# the delivery webhook (X-Hub-Signature-256); the verify token answers Meta's subscription check.
WHATSAPP_API_URL = os.environ.get("WHATSAPP_API_URL", "https://graph.facebook.com/v21.0")
WHATSAPP_TOKEN = os.environ.get("WHATSAPP_TOKEN", "")
WHATSAPP_PHONE_NUMBER_ID = os.environ.get("WHATSAPP_PHONE_NUMBER_ID", "")
WHATSAPP_APP_SECRET = os.environ.get("WHATSAPP_APP_SECRET", "")
WHATSAPP_VERIFY_TOKEN = os.environ.get("WHATSAPP_VERIFY_TOKEN", "")
# SMS through any gateway behind a webhook (see reminders/channels.py): where to POST, an optional
# bearer token, and an optional secret the body is signed with (X-Atendo-Signature).
SMS_WEBHOOK_URL = os.environ.get("SMS_WEBHOOK_URL", "")
SMS_WEBHOOK_TOKEN = os.environ.get("SMS_WEBHOOK_TOKEN", "")
SMS_WEBHOOK_SECRET = os.environ.get("SMS_WEBHOOK_SECRET", "")

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # the calendar's fetch() reads it to call the API
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'", "data:"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# --- API ------------------------------------------------------------------------------------
NINJA_PAGINATION_PER_PAGE = 50
WHITENOISE_USE_FINDERS = not PRODUCTION
# Tests build a new handler (and so a new WhiteNoise middleware) for every test client; looking
# files up per request instead of scanning all static files each time keeps that cheap.
if TESTING:
    WHITENOISE_AUTOREFRESH = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# --- Insights: the optional external language model (off unless a workspace owner switches it on) ---
# An OpenAI-compatible server (`<base>/v1/chat/completions`, e.g. a local Ollama or llama.cpp). A
# workspace's own base URL and model (settings) win over these; the key is only ever read from here.
ATENDO_LLM_BASE_URL = os.environ.get("ATENDO_LLM_BASE_URL", "")
ATENDO_LLM_MODEL = os.environ.get("ATENDO_LLM_MODEL", "")
ATENDO_LLM_API_KEY = os.environ.get("ATENDO_LLM_API_KEY", "")
ATENDO_LLM_TIMEOUT_SECONDS = float(os.environ.get("ATENDO_LLM_TIMEOUT_SECONDS", "20"))
