"""One settings module for every deployment, driven by environment variables.

Defaults give a working single-machine install (SQLite in WAL mode under ``var/``);
production sets ``DATABASE_URL`` (PostgreSQL), ``TONGBAN_SECRET_KEY`` and
``TONGBAN_ALLOWED_HOSTS``.
"""

import os
from pathlib import Path

import dj_database_url


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
    "django_tasks_db",
    "tongban.core",
    "tongban.regions",
    "tongban.departments",
    "tongban.catalog",
    "tongban.workdays",
    "tongban.forms",
    "tongban.workflow",
    "tongban.identity",
    "tongban.identity.oidc",
    "oauth2_provider",
    "tongban.web",
]

AUTH_USER_MODEL = "identity.User"

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "tongban.web.middleware.PreferencesMiddleware",
]

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

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "tongban_cache",
    },
    "local": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "tongban-local",
    },
}

TASKS = {
    "default": {
        "BACKEND": (
            "django.tasks.backends.immediate.ImmediateBackend"
            if env_bool("TONGBAN_TASKS_IMMEDIATE", False)
            else "django_tasks_db.DatabaseBackend"
        ),
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
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
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
TONGBAN_PUBLIC_URL = os.environ.get("TONGBAN_PUBLIC_URL", "http://127.0.0.1:8000")
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
    "REFRESH_TOKEN_EXPIRE_SECONDS": int(os.environ.get("TONGBAN_OIDC_REFRESH_TOKEN_SECONDS", str(30 * 86400))),
    "ROTATE_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https", "http"] if env_bool("TONGBAN_OIDC_ALLOW_HTTP", DEBUG or TESTING) else ["https"],
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
}
