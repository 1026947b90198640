"""Settings, all read from the environment (12-factor).

Every variable is documented in the README's settings table. The defaults are the embedded
run (`make run`): SQLite under var/, Celery's file-system broker under var/, e-mail printed on
the console. A deployment sets DATABASE_URL, CELERY_BROKER_URL, EMAIL_URL, SECRET_KEY,
ALLOWED_HOSTS and PSEUDONYM_KEY.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-development-key-only-used-with-debug-on"  # noqa: S105

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# The key for turning an external student reference into a pseudonymous code. It lives in
# the environment, never in the database, so a database dump alone cannot be re-identified.
PSEUDONYM_KEY = env.str("PSEUDONYM_KEY", default="")
PSEUDONYM_KEY_VERSION = env.int("PSEUDONYM_KEY_VERSION", default=1)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "core",
    "schools",
    "alerts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # gunicorn serves the collected static files itself: a deployment has no file server.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The browser's Accept-Language (or the language cookie) before anyone has signed in...
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # ...and the signed-in person's own choice, or their school's default, after.
    "core.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "core.urls"
WSGI_APPLICATION = "core.wsgi.application"

TEMPLATES: list[dict[str, Any]] = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Persistent connections in a deployment: each gunicorn or Celery worker process keeps its
# connection for CONN_MAX_AGE seconds instead of opening one a request, and checks it before
# reusing it (a connection the database closed meanwhile is replaced, not an error). With
# DEBUG on (development, tests) a connection lasts one request, as Django's default.
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0 if DEBUG else 60))
DATABASES["default"].setdefault(
    "CONN_HEALTH_CHECKS", env.bool("CONN_HEALTH_CHECKS", default=not DEBUG)
)
# The few statements every API write runs (the token with the account's roles, the student,
# the observation's insert) are prepared on the server once per connection (core/rows.py). Off
# behind a proxy that pools connections by transaction (docs/OPERATIONS.md).
DB_PREPARED_STATEMENTS = env.bool("DB_PREPARED_STATEMENTS", default=True)
if DB_PREPARED_STATEMENTS and DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # psycopg's default: a statement is prepared after its fifth run on a connection. It applies
    # only to that cursor: Django's own cursors bind on the client, which psycopg never prepares.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("prepare_threshold", 5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {
    "default": env.cache("CACHE_URL", default="locmemcache://"),
    # Rendered form fields that pages show the same way again and again (the case page's, the
    # case list's filters), kept per language and starting values: each process's own
    # memory, so a deployment's new code starts with none (docs/OPERATIONS.md).
    "fragments": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "fragments",
    },
}

AUTH_USER_MODEL = "core.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# English is the source language; Japanese and Italian have catalogues under locale/.
# British English keeps its date formats ("2 Dec 2026"); any "en-*" browser gets it.
LANGUAGE_CODE = "en-gb"
LANGUAGES = [("en-gb", "English"), ("ja", "日本語"), ("it", "Italiano")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates, numbers and the first day of the week follow the reader's language; the project's
# own format modules (core/formats/) adjust Django's where school staff expect otherwise.
FORMAT_MODULE_PATH = ["core.formats"]
# The server's zone; each school keeps its own, and "today" for a school is its local date.
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "core" / "static"]
# WhiteNoise: from STATIC_ROOT (collected by the image build) in a deployment; straight from the
# apps' static folders in development and tests, where nothing is collected.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
# With DEBUG off, collectstatic writes each file under a name with its content's hash and a
# gzip (and, with brotli installed, brotli) copy beside it; WhiteNoise serves the compressed
# copy to a browser that accepts it and marks hashed names cacheable for a year (a changed
# file gets a new name). Pages then need the collected manifest: the image collects at build.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# E-mail: console by default, smtp://user:pass@host:port in a deployment.
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="early-warning@localhost")
# Links in e-mails point here (no student data is ever put in a link).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

# How long raw observations and attendance are kept when they are not evidence on an open case.
RETENTION_DAYS = env.int("RETENTION_DAYS", default=730)

REST_FRAMEWORK: dict[str, Any] = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "schools.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.Pagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS: dict[str, Any] = {
    "TITLE": "Early-warning case notes API",
    "DESCRIPTION": (
        "Record anonymised attendance and observations; work the cases the warning-sign "
        "rules open. Every object is scoped to the caller's school(s)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI is served from this project, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Celery: configured from these settings by core/celery.py (CELERY_ prefix).
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "out"),
        "data_folder_out": str(_broker_dir / "out"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
# A short connect timeout: saving an observation must never hang on a broker that is down.
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=2.0)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=600)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=540)
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# Security: with DEBUG off these default to the strict values `check --deploy` asks for.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # Request URLs carry only numeric ids, never a student code; still keep access noise down.
    "loggers": {"django.server": {"level": "WARNING"}},
}

# --- Web pages: content security policy, navigation, corrections, password reset ----------
# A strict Content-Security-Policy: pages load only the project's own scripts and styles.
MIDDLEWARE.append("core.middleware.ContentSecurityPolicyMiddleware")
# Innermost, so the user is known when the page renders: the 404 page under DEBUG too.
MIDDLEWARE.append("core.middleware.OwnNotFoundPageMiddleware")
CONTENT_SECURITY_POLICY = env.str(
    "CONTENT_SECURITY_POLICY",
    default=(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
        "base-uri 'self'; object-src 'none'"
    ),
)
# The Swagger UI page of drf-spectacular starts itself with an inline script.
CSP_EXEMPT_PATH_PREFIXES = env.list("CSP_EXEMPT_PATH_PREFIXES", default=["/api/docs/"])
TEMPLATES[0]["OPTIONS"]["context_processors"] += [
    "schools.views.nav_context",
    "alerts.views.notices_context",
]
# How long a teacher may correct or withdraw their own observation.
OBSERVATION_CORRECTION_HOURS = env.int("OBSERVATION_CORRECTION_HOURS", default=24)
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=60 * 60 * 24)

# --- Warning-sign rules and cases: when evaluation runs, resolution suggestions -----------
# Beat evaluates every school once a day at this time (CELERY_TIMEZONE, i.e. TIME_ZONE), one
# task per school; evening, so the day's register and observations are in.
ALERTS_EVALUATION_HOUR = env.int("ALERTS_EVALUATION_HOUR", default=18)
ALERTS_EVALUATION_MINUTE = env.int("ALERTS_EVALUATION_MINUTE", default=0)
# After this many whole school weeks in which no rule fired, a case suggests resolution.
ALERTS_CLEAN_WEEKS_TO_SUGGEST_RESOLUTION = env.int(
    "ALERTS_CLEAN_WEEKS_TO_SUGGEST_RESOLUTION", default=4
)
# The overlap lock of one school's evaluation task expires after this many seconds.
ALERTS_EVALUATION_LOCK_SECONDS = env.int("ALERTS_EVALUATION_LOCK_SECONDS", default=900)
# A backtest of a school with more students on roll than this runs on the worker, with its
# progress on the page; a smaller one is answered at once.
BACKTEST_INLINE_MAX_STUDENTS = env.int("BACKTEST_INLINE_MAX_STUDENTS", default=300)
# An evaluation on the date of the school's last one looks for records changed from this long
# before that run began (longer than any transaction that writes records may last).
ALERTS_INCREMENTAL_MARGIN_SECONDS = env.int("ALERTS_INCREMENTAL_MARGIN_SECONDS", default=900)
# Near-real-time evaluation: a save asks for its school's evaluation this many seconds later
# (saves meanwhile join it); beat looks for due requests every ALERTS_REQUEST_SCAN_SECONDS.
ALERTS_EVALUATION_DELAY_SECONDS = env.int("ALERTS_EVALUATION_DELAY_SECONDS", default=180)
ALERTS_REQUEST_SCAN_SECONDS = env.float("ALERTS_REQUEST_SCAN_SECONDS", default=10.0)
# The day of the week (crontab: 0 is Sunday) of the full evaluation of every student.
ALERTS_FULL_EVALUATION_DAY = env.str("ALERTS_FULL_EVALUATION_DAY", default="sun")
# Case statuses and register statuses are both "status", and a rule's kind and an outcome's
# kind are both "kind": name each enum in the schema once.
SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {}).update(
    {
        "CaseStatusEnum": "alerts.models.CaseStatus",
        "RuleKindEnum": "alerts.models.RuleKind",
        "OutcomeKindEnum": "alerts.models.OutcomeKind",
        "BacktestStatusEnum": "alerts.models.BacktestStatus",
        "AttendanceStatusEnum": "schools.models.AttendanceStatus",
    }
)
# --- end warning-sign rules and cases -----------------------------------------------------

# --- Notification delivery and escalation: retries, claims, escalation to the deputy -------
# A notification whose delivery fails is retried after NOTIFY_BACKOFF_SECONDS, then twice
# that, four times, ...; after NOTIFY_MAX_ATTEMPTS attempts it is marked failed (admin:
# Alerts > Notifications, filter "failed").
NOTIFY_MAX_ATTEMPTS = env.int("NOTIFY_MAX_ATTEMPTS", default=6)
NOTIFY_BACKOFF_SECONDS = env.int("NOTIFY_BACKOFF_SECONDS", default=60)
# A claim older than this belongs to a sender that died mid-send; another sender takes it.
# Keep it well above EMAIL_TIMEOUT so a slow but live sender is never presumed dead.
NOTIFY_CLAIM_TIMEOUT = env.int("NOTIFY_CLAIM_TIMEOUT", default=600)
# Notifications one run of the delivery task handles (the next run takes the rest).
NOTIFY_BATCH_SIZE = env.int("NOTIFY_BATCH_SIZE", default=100)
# A new case not acknowledged within this many school days goes to the deputy (0: never).
ESCALATE_AFTER_SCHOOL_DAYS = env.int("ESCALATE_AFTER_SCHOOL_DAYS", default=2)
# An SMTP server that does not answer must not hold a sender past its claim.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=EMAIL_CONFIG.get("EMAIL_TIMEOUT") or 30)
# Connecting to a Redis broker gives up after the same short timeout as Celery's own
# connection setting, so a request that nudges a worker never waits on an unreachable host.
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BROKER_TRANSPORT_OPTIONS.setdefault(
        "socket_connect_timeout", CELERY_BROKER_CONNECTION_TIMEOUT
    )

# --- Record imports: size limit, upload folder, the importing account ----------------------
# A file larger than this is refused before it is read (command and API).
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=100 * 1024 * 1024)
# Where an uploaded file waits for the worker; web and worker must share it. A file is deleted
# as soon as its import ends, since it holds the raw student references.
IMPORT_DIR = env.path("IMPORT_DIR", default=VAR_DIR / "imports")
# The inactive account imported observations are recorded by (created on first import).
IMPORT_SYSTEM_EMAIL = env.str("IMPORT_SYSTEM_EMAIL", default="records-import@system.invalid")

# --- Safeguards: error-page filtering, no-store, session lifetime, request limits ---------
# The development error page and error e-mails hide the password of every URL with
# credentials (broker, cache), not only settings named like secrets.
DEFAULT_EXCEPTION_REPORTER_FILTER = "core.debug.CredentialsFilter"
# Answers to a signed-in user (pages and API) are never stored by a browser or proxy.
MIDDLEWARE.append("core.middleware.NoStoreForSignedInMiddleware")
# A sign-in lasts one school day at most (it is not extended by use), and by default also ends
# when the browser closes: staff share classroom and staff-room computers.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = env.bool("SESSION_EXPIRE_AT_BROWSER_CLOSE", default=True)
# Request limits (core/limits.py): an oversized body is a JSON 413 before it is read; the
# import upload has its own limit, IMPORT_MAX_BYTES. It acts before CSRF reads a form body.
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.csrf.CsrfViewMiddleware"),
    "core.limits.RequestBodyLimitMiddleware",
)
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)
# A JSON body nested deeper than this is refused (400).
JSON_MAX_DEPTH = env.int("JSON_MAX_DEPTH", default=32)
# The schema documents every operation's error answers too (core/openapi.py).
REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"] = "core.openapi.AutoSchema"
# Services raise Django's ValidationError; one handler answers it in the documented shapes.
REST_FRAMEWORK["EXCEPTION_HANDLER"] = "core.exceptions.exception_handler"
REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"] = [
    "core.limits.JSONParser",
    "rest_framework.parsers.FormParser",
    "rest_framework.parsers.MultiPartParser",
]
# No observation, attendance mark or page date before this (nor after today).
try:
    RECORDS_EARLIEST_DATE = dt.date.fromisoformat(
        env.str("RECORDS_EARLIEST_DATE", default="2000-01-01")
    )
except ValueError as exc:
    raise ImproperlyConfigured("RECORDS_EARLIEST_DATE must be a date: YYYY-MM-DD.") from exc

# --- Accounts: lockout after failed sign-ins, rate limits, API tokens, second factor -------
# Before core, whose admin module replaces their admin pages with superuser-only ones.
INSTALLED_APPS[INSTALLED_APPS.index("core") : INSTALLED_APPS.index("core")] = [
    "axes",
    "knox",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
]
# django-axes counts failed sign-ins per account and address (core/lockout.py); its backend
# comes first and refuses a locked-out pair before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"  # the login form's field, which holds the e-mail
AXES_USERNAME_CALLABLE = "core.lockout.username_of"
AXES_CLIENT_IP_CALLABLE = "core.lockout.client_ip"
AXES_LOCKOUT_CALLABLE = "core.lockout.lockout_response"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ADMIN = False  # registered in core/admin.py, for superusers only
# Proxies in front of the service that append to X-Forwarded-For (0: none; the compose file's
# TLS proxy is one). The address failed sign-ins and rate limits are counted by.
TRUSTED_PROXY_HOPS = env.int("TRUSTED_PROXY_HOPS", default=0)
REST_FRAMEWORK["NUM_PROXIES"] = TRUSTED_PROXY_HOPS or None
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {
    "api-token": env.str("API_TOKEN_RATE", default="10/minute"),
    "password-reset-address": env.str("PASSWORD_RESET_RATE_PER_ADDRESS", default="10/hour"),
    "password-reset-email": env.str("PASSWORD_RESET_RATE_PER_EMAIL", default="3/hour"),
}
# django-rest-knox: tokens stored as digests, several per account, each with its expiry.
KNOX_TOKEN_MODEL = "core.ApiToken"  # noqa: S105 - a model name
# knox's own migrations create its default token table even when the model is swapped; with
# core.ApiToken in its place no knox table is wanted.
MIGRATION_MODULES = {"knox": None}
API_TOKEN_DAYS = env.int("API_TOKEN_DAYS", default=90)
API_TOKEN_MAX_DAYS = env.int("API_TOKEN_MAX_DAYS", default=365)
REST_KNOX = {
    "TOKEN_TTL": dt.timedelta(days=API_TOKEN_DAYS),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}
# django-otp: TOTP authenticators and recovery codes (core/second_factor.py).
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
    "django_otp.middleware.OTPMiddleware",
)
MIDDLEWARE.insert(
    MIDDLEWARE.index("django_otp.middleware.OTPMiddleware") + 1,
    "core.second_factor.SecondFactorMiddleware",
)
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Early warning")
# Axes last: it turns a locked-out attempt flagged during the request into the 429 page.
MIDDLEWARE.append("axes.middleware.AxesMiddleware")
# A person of several schools chooses which one a page is for (schools/middleware.py).
MIDDLEWARE.append("schools.middleware.SchoolChoiceMiddleware")
# A school admin's invitation to join the school is valid this many days.
INVITATION_DAYS = env.int("INVITATION_DAYS", default=7)
