"""One settings module for every deployment, driven by environment variables.

Defaults give a working single-machine install (SQLite in WAL mode under ``var/``);
production sets ``DATABASE_URL`` (PostgreSQL), ``TONGBAN_SECRET_KEY`` and
``TONGBAN_ALLOWED_HOSTS``.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


PACKAGE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("TONGBAN_VAR_DIR", "var")).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("TONGBAN_DEBUG", False)
TESTING = env_bool("TONGBAN_TESTING", False)

_secret = os.environ.get("TONGBAN_SECRET_KEY")
if not _secret:
    # A per-installation secret kept under var/, so that a one-machine install is safe
    # without configuration and several processes on that machine agree on it.
    secret_file = VAR_DIR / "secret_key"
    if not secret_file.exists():
        import secrets

        secret_file.write_text(secrets.token_urlsafe(50))
        secret_file.chmod(0o600)
    _secret = secret_file.read_text().strip()
SECRET_KEY = _secret

ALLOWED_HOSTS = env_list("TONGBAN_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("TONGBAN_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "tongban.core",  # before django_tasks_db: its db_worker is Tongban's (leases, reconnects)
    "django_tasks_db",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp_webauthn",
    "tongban.regions",
    "tongban.departments",
    "tongban.catalog",
    "tongban.registries",
    "tongban.identity",
    "tongban.identity.oidc",
    "oauth2_provider",
    "tongban.workdays",
    "tongban.forms",
    "tongban.workflow",
    "tongban.cases",
    "tongban.notifications",
    "tongban.certificates",
    "tongban.payments",
    "tongban.appointments",
    "tongban.sharing",
    "tongban.ratings",
    "tongban.consult",
    "tongban.decisions",
    "tongban.supervision",
    "tongban.supervision.cards",
    "tongban.supervision.reports",
    "tongban.opendata",
    "tongban.web",
]

AUTH_USER_MODEL = "identity.User"

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "tongban.core.staticfiles.StaticFilesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "tongban.identity.middleware.StaffTwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "tongban.web.middleware.PreferencesMiddleware",
    "tongban.core.middleware.ServiceErrorMiddleware",
    # Last, so that it sees the lockout flag set by authentication in the view.
    "axes.middleware.AxesMiddleware",
]
# The access log's completeness test captures every query of each request (issue 14; test runs only).
if os.environ.get("TONGBAN_READ_AUDIT"):
    MIDDLEWARE.insert(0, "tongban.sharing.readaudit.ReadAuditMiddleware")

ROOT_URLCONF = "tongban.urls"
WSGI_APPLICATION = "tongban.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tongban.web.context_processors.preferences",
                "tongban.identity.context_processors.account",
            ],
        },
    },
]

DEFAULT_SQLITE_URL = f"sqlite:///{VAR_DIR / 'tongban.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", DEFAULT_SQLITE_URL),
        conn_max_age=int(os.environ.get("TONGBAN_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Parameters bound by the server, and a statement run five times on a connection kept
    # prepared there: planning was about half of PostgreSQL's work per submission. Behind a
    # pooler in transaction mode without prepared-statement support, set
    # TONGBAN_DB_PREPARE_THRESHOLD=off, the default with TONGBAN_DB_TRANSACTION_POOLER=1
    # (docs/operations.md; PgBouncer before 1.21 cannot keep named prepared statements).
    _default_threshold = "off" if env_bool("TONGBAN_DB_TRANSACTION_POOLER") else "5"
    _threshold = os.environ.get("TONGBAN_DB_PREPARE_THRESHOLD", _default_threshold).strip().lower()
    if _threshold not in {"off", "none", ""} and not _threshold.isdigit():
        raise ImproperlyConfigured("TONGBAN_DB_PREPARE_THRESHOLD 应为非负整数或 off。")
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "server_side_binding": True,
            "prepare_threshold": int(_threshold) if _threshold.isdigit() else None,
        }
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0 if TESTING else DATABASES["default"]["CONN_MAX_AGE"]
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # WAL lets readers run beside the single writer; IMMEDIATE avoids
            # deadlock-style "database is locked" upgrades inside transactions.
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                "PRAGMA busy_timeout=10000; PRAGMA temp_store=MEMORY; PRAGMA mmap_size=268435456;"
            ),
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("TONGBAN_TEST_SQLITE") or None}
if env_bool("TONGBAN_DB_TRANSACTION_POOLER"):
    # Behind PgBouncer in transaction mode (docs/operations.md): a WITH HOLD cursor would
    # outlive the transaction that holds its server connection.
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True

# A streaming replica for the reads that tolerate lag (tongban.core.dbrouter): the public
# catalogue, its search, regions and departments, for safe requests of clients that have not
# just written. Down or lagging more than TONGBAN_REPLICA_MAX_LAG_SECONDS: reads go to the primary.
TONGBAN_REPLICA_APPS = frozenset(env_list("TONGBAN_REPLICA_APPS", "catalog,regions,departments"))
TONGBAN_REPLICA_PIN_SECONDS = int(os.environ.get("TONGBAN_REPLICA_PIN_SECONDS", "10"))
TONGBAN_REPLICA_MAX_LAG_SECONDS = float(os.environ.get("TONGBAN_REPLICA_MAX_LAG_SECONDS", "5"))
TONGBAN_REPLICA_CHECK_SECONDS = float(os.environ.get("TONGBAN_REPLICA_CHECK_SECONDS", "2"))
if os.environ.get("DATABASE_REPLICA_URL", "").strip():
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"].strip(),
        conn_max_age=DATABASES["default"]["CONN_MAX_AGE"],
        conn_health_checks=True,
    )
    DATABASES["replica"]["OPTIONS"] = {**DATABASES["default"].get("OPTIONS", {}), "connect_timeout": 2}
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["tongban.core.dbrouter.ReplicaRouter"]
    MIDDLEWARE.insert(1, "tongban.core.dbrouter.ReplicaMiddleware")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The shared cache: values every web and worker process must agree on (aggregates, version
# stamps such as the holiday table's). A table in the database by default (``migrate`` creates it,
# core migration 0002); Redis when TONGBAN_REDIS_URL (or a redis:// CACHE_URL) names a server,
# which needs the ``redis`` package (pip install redis). Rendered public pages for anonymous
# visitors (tongban.web.pagecache) are kept in the ``pages`` alias: their own table, or the same
# Redis server under their own key prefix; TIMEOUT is how long a page is kept.
_REDIS_SCHEMES = ("redis://", "rediss://", "unix://")
_REDIS_URL = os.environ.get("TONGBAN_REDIS_URL", "")
if _REDIS_URL and not _REDIS_URL.startswith(_REDIS_SCHEMES):
    raise ImproperlyConfigured("TONGBAN_REDIS_URL must be a redis://, rediss:// or unix:// URL")
if not _REDIS_URL and os.environ.get("CACHE_URL", "").startswith(_REDIS_SCHEMES):
    _REDIS_URL = os.environ["CACHE_URL"]
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _REDIS_URL,
            "KEY_PREFIX": os.environ.get("TONGBAN_CACHE_KEY_PREFIX", "tongban"),
        }
        if _REDIS_URL
        else {
            "BACKEND": "tongban.core.cachebackends.DatabaseCache",
            "LOCATION": "tongban_cache",
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    ),
    "pages": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _REDIS_URL,
            "KEY_PREFIX": os.environ.get("TONGBAN_CACHE_KEY_PREFIX", "tongban") + "-pages",
            "TIMEOUT": 600,
        }
        if _REDIS_URL
        else {
            "BACKEND": "tongban.core.cachebackends.DatabaseCache",
            "LOCATION": "tongban_pages",
            "TIMEOUT": 600,
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    ),
    "local": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "tongban-local",
    },
}
# Seconds a web process serves a public page it remembers before asking the database whether the
# catalogue changed (tongban.web.pagecache); 0 turns this off, as the tests do.
TONGBAN_PAGECACHE_LOCAL_SECONDS = float(
    os.environ.get("TONGBAN_PAGECACHE_LOCAL_SECONDS", "0" if TESTING else "1")
)

TASKS = {
    "default": {
        "BACKEND": (
            "django.tasks.backends.immediate.ImmediateBackend"
            if env_bool("TONGBAN_TASKS_IMMEDIATE", False)
            else "tongban.core.taskbackends.DatabaseBackend"
        ),
        # Tests: the certificates' tasks run when enqueued (see tongban.core.taskbackends).
        # Leases, attempts and retries: tongban.core.tasks_queue.
        "OPTIONS": {
            "LEASE_SECONDS": int(os.environ.get("TONGBAN_TASK_LEASE_SECONDS", "30")),
            "MAX_ATTEMPTS": int(os.environ.get("TONGBAN_TASK_MAX_ATTEMPTS", "5")),
            "RETRY_SECONDS": int(os.environ.get("TONGBAN_TASK_RETRY_SECONDS", "10")),
            "RUN_AT_ONCE": [
                "tongban.certificates.tasks.issue_case_certificates",
                "tongban.certificates.tasks.render_wallet_attachment",
            ]
            if TESTING
            else [],
        },
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = os.environ.get("TONGBAN_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("TONGBAN_MEDIA_ROOT") or VAR_DIR / "media").resolve()
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Several web nodes share uploaded files: a directory every node mounts (TONGBAN_MEDIA_ROOT) or
# an S3-compatible bucket through django-storages (pip install "django-storages[s3]"), which
# also reads AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY from the environment. Files stay private.
if os.environ.get("TONGBAN_STORAGE", "filesystem") == "s3":
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ.get("TONGBAN_S3_BUCKET", ""),
            "endpoint_url": os.environ.get("TONGBAN_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("TONGBAN_S3_REGION") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("TONGBAN_SECURE_COOKIES", not DEBUG and not TESTING)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_AGE = int(os.environ.get("TONGBAN_SESSION_AGE", str(8 * 3600)))
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("TONGBAN_BEHIND_PROXY") else None
# Behind TLS (a proxy that says so, or secure cookies): HSTS for a year by default. Django sends
# the header on HTTPS answers only, so a plain-HTTP install is not locked out by it. Behind a proxy,
# plain-HTTP requests are redirected to HTTPS, except the load balancer's health and readiness checks.
_BEHIND_TLS = env_bool("TONGBAN_BEHIND_PROXY") or SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = int(os.environ.get("TONGBAN_HSTS_SECONDS", str(365 * 86400))) if _BEHIND_TLS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("TONGBAN_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("TONGBAN_HSTS_PRELOAD", False)
SECURE_SSL_REDIRECT = env_bool("TONGBAN_SSL_REDIRECT", env_bool("TONGBAN_BEHIND_PROXY"))
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^ready$"]
# Static files go through WhiteNoise inside the web application (not the server's own file
# serving), so they carry the pages' security headers (tongban.core.staticfiles).
WHITENOISE_MAX_AGE = 86400
WHITENOISE_USE_FINDERS = DEBUG or TESTING
WHITENOISE_AUTOREFRESH = DEBUG or TESTING

from django.utils.csp import CSP  # noqa: E402

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("TONGBAN_LOG_LEVEL", "INFO")},
    "loggers": {"jieba": {"level": "WARNING"}},
}

# Tongban's own settings.
TONGBAN_SITE_NAME = os.environ.get("TONGBAN_SITE_NAME", "通办 · 政务服务网")
# The one address absolute links and QR codes use (tongban.core.public); `tongban serve --port`
# and `make run PORT=…` set it from their port unless it is given.
TONGBAN_PUBLIC_URL = os.environ.get("TONGBAN_PUBLIC_URL", "").strip() or "http://127.0.0.1:8000"
TONGBAN_DEFAULT_REGION = os.environ.get("TONGBAN_DEFAULT_REGION", "")

# Single sign-on (tongban.identity.oidc): Tongban is an OpenID Connect provider for department
# systems. The client model is swapped before DOT's first migration; the RS256 key comes from
# TONGBAN_OIDC_RSA_PRIVATE_KEY or is generated once and stored encrypted in the database.
OAUTH2_PROVIDER_APPLICATION_MODEL = "oidc.Client"
TONGBAN_OIDC_RSA_PRIVATE_KEY = os.environ.get("TONGBAN_OIDC_RSA_PRIVATE_KEY", "")
OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    "OIDC_ISS_ENDPOINT": os.environ.get("TONGBAN_OIDC_ISSUER", ""),
    "OIDC_RESPONSE_TYPES_SUPPORTED": ["code"],
    "OIDC_RP_INITIATED_LOGOUT_ENABLED": True,
    "OAUTH2_VALIDATOR_CLASS": "tongban.identity.oidc.validators.TongbanOAuth2Validator",
    "APPLICATION_ADMIN_CLASS": "tongban.identity.oidc.admin_classes.ClientAdmin",
    "SCOPES": {
        "openid": "账号标识",
        "profile": "姓名与实名等级",
        "id_number": "身份证号码",
        "phone": "手机号码",
        "api": "以本人身份调用接口",
    },
    "DEFAULT_SCOPES": ["openid"],
    "PKCE_REQUIRED": True,
    "REQUEST_APPROVAL_PROMPT": "force",  # our own consent records decide when to skip the screen
    "ACCESS_TOKEN_EXPIRE_SECONDS": int(os.environ.get("TONGBAN_OIDC_ACCESS_TOKEN_SECONDS", "3600")),
    "ID_TOKEN_EXPIRE_SECONDS": 3600,
    "REFRESH_TOKEN_EXPIRE_SECONDS": int(
        os.environ.get("TONGBAN_OIDC_REFRESH_TOKEN_SECONDS", str(30 * 86400))
    ),
    "ROTATE_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https", "http"]
    if env_bool("TONGBAN_OIDC_ALLOW_HTTP", DEBUG or TESTING)
    else ["https"],
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
}

# Passkeys (django-otp-webauthn, endpoints in tongban.identity.oidc.passkeys): the relying party is
# the public site; more origins (another host name of the same site) by TONGBAN_WEBAUTHN_ORIGINS.
# Browsers accept passkeys only over https or on localhost (never on an IP address), so a plain-http
# local install offers them at http://localhost:<port>.
_public = urlsplit(TONGBAN_PUBLIC_URL)
if _public.scheme != "https" and _public.hostname != "localhost":
    _public = urlsplit(f"http://localhost:{_public.port or 80}")
OTP_WEBAUTHN_RP_ID = os.environ.get("TONGBAN_WEBAUTHN_RP_ID", _public.hostname)
OTP_WEBAUTHN_RP_NAME = TONGBAN_SITE_NAME
OTP_WEBAUTHN_ALLOWED_ORIGINS = [f"{_public.scheme}://{_public.netloc}", *env_list("TONGBAN_WEBAUTHN_ORIGINS")]
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = True

# Identity: passwords, lockout, two factors, SMS and email (tongban.identity).
AUTHENTICATION_BACKENDS = [
    # Lockout first: it refuses a locked-out username before any password is checked.
    "tongban.identity.backends.LockoutBackend",
    "tongban.identity.backends.MobileOrUsernameBackend",
    "tongban.identity.backends.StaffRoleBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
LOGIN_URL = "identity:login"
LOGIN_REDIRECT_URL = "identity:account"
SESSION_COOKIE_SAMESITE = "Lax"
# django-axes keeps failures in the database, so a lockout holds in every web process.
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = int(os.environ.get("TONGBAN_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("TONGBAN_LOGIN_LOCKOUT_HOURS", "0.25"))
# Per account: five wrong passwords lock that account wherever they come from. Locking whole IP
# addresses would lock out a service hall or a campus behind one address, so it is opt-in.
AXES_LOCKOUT_PARAMETERS = (
    ["username", "ip_address"] if env_bool("TONGBAN_LOGIN_LOCKOUT_BY_IP") else ["username"]
)
SILENCED_SYSTEM_CHECKS = [] if env_bool("TONGBAN_LOGIN_LOCKOUT_BY_IP") else ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_CALLABLE = "tongban.identity.backends.lockout_username"
AXES_LOCKOUT_TEMPLATE = "identity/locked_out.html"
AXES_VERBOSE = False
AXES_IPWARE_PROXY_COUNT = 1 if env_bool("TONGBAN_BEHIND_PROXY") else None
# Password spraying (one password, many accounts) never trips a per-account lockout; two more
# rules do (tongban.identity.throttle, docs/operations.md "Security"). By address: failures from
# one address naming this many different accounts within the cool-off stop that address signing
# in until they age out (an account that then signs in stops counting, so a service hall behind
# one address stays far below it). Site-wide: this many failures in a window make every failing
# address wait some seconds before its next attempt while the attack lasts.
TONGBAN_LOGIN_ADDRESS_ACCOUNT_LIMIT = int(os.environ.get("TONGBAN_LOGIN_ADDRESS_ACCOUNT_LIMIT", "20"))
TONGBAN_LOGIN_SITE_FAILURE_LIMIT = int(os.environ.get("TONGBAN_LOGIN_SITE_FAILURE_LIMIT", "300"))
TONGBAN_LOGIN_SITE_WINDOW_SECONDS = int(os.environ.get("TONGBAN_LOGIN_SITE_WINDOW_SECONDS", "300"))
TONGBAN_LOGIN_ATTACK_DELAY_SECONDS = int(os.environ.get("TONGBAN_LOGIN_ATTACK_DELAY_SECONDS", "30"))
OTP_TOTP_ISSUER = os.environ.get("TONGBAN_OTP_ISSUER", "通办")
# SMS: "outbox" (development: JSON lines in var/outbox/sms.jsonl), "console" (DEBUG only),
# "http" (a provider: POST to TONGBAN_SMS_URL with TONGBAN_SMS_API_KEY), or a dotted class path.
TONGBAN_OUTBOX_DIR = Path(os.environ.get("TONGBAN_OUTBOX_DIR", str(VAR_DIR / "outbox"))).resolve()
TONGBAN_SMS_BACKEND = os.environ.get("TONGBAN_SMS_BACKEND", "outbox")
TONGBAN_SMS_URL = os.environ.get("TONGBAN_SMS_URL", "")
TONGBAN_SMS_API_KEY = os.environ.get("TONGBAN_SMS_API_KEY", "")
TONGBAN_SMS_SIGN = os.environ.get("TONGBAN_SMS_SIGN", "通办")
TONGBAN_SMS_TIMEOUT = float(os.environ.get("TONGBAN_SMS_TIMEOUT", "5"))
TONGBAN_CODE_TTL_SECONDS = int(os.environ.get("TONGBAN_CODE_TTL_SECONDS", "300"))
TONGBAN_CODE_MAX_ATTEMPTS = int(os.environ.get("TONGBAN_CODE_MAX_ATTEMPTS", "5"))
# Sending limits: (count, seconds) per mobile number and per client IP.
TONGBAN_SMS_LIMITS_PER_TARGET = [(1, 60), (5, 3600), (10, 86400)]
TONGBAN_SMS_LIMITS_PER_IP = [(int(os.environ.get("TONGBAN_SMS_LIMIT_PER_IP_HOUR", "20")), 3600)]
# Email: files under var/outbox/email (development) or SMTP with TONGBAN_EMAIL_BACKEND=smtp.
if os.environ.get("TONGBAN_EMAIL_BACKEND", "file") == "smtp":
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": os.environ.get("TONGBAN_EMAIL_HOST", "localhost"),
                "port": int(os.environ.get("TONGBAN_EMAIL_PORT", "25")),
                "username": os.environ.get("TONGBAN_EMAIL_USER", ""),
                "password": os.environ.get("TONGBAN_EMAIL_PASSWORD", ""),
                "use_tls": env_bool("TONGBAN_EMAIL_TLS", False),
            },
        }
    }
else:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": str(TONGBAN_OUTBOX_DIR / "email")},
        }
    }
DEFAULT_FROM_EMAIL = os.environ.get("TONGBAN_EMAIL_FROM", "通办 <noreply@localhost>")

# Electronic licences (tongban.certificates): the seal algorithm of this deployment (ed25519 or
# sm2 — SM2 with SM3), the secret the departments' private keys are encrypted with (default:
# derived from SECRET_KEY), how long a 亮证 code lasts and the longest 用证 share.
TONGBAN_SEAL_ALGORITHM = os.environ.get("TONGBAN_SEAL_ALGORITHM", "ed25519").strip().lower()
TONGBAN_SEAL_SECRET = os.environ.get("TONGBAN_SEAL_SECRET", "")
TONGBAN_CERTIFICATE_PRESENT_SECONDS = int(os.environ.get("TONGBAN_CERTIFICATE_PRESENT_SECONDS", "300"))
TONGBAN_CERTIFICATE_SHARE_MAX_DAYS = int(os.environ.get("TONGBAN_CERTIFICATE_SHARE_MAX_DAYS", "180"))
