"""``tongban migrate`` alone gives a working site: the database cache's table comes with it."""

import os
import subprocess
import sys

HOME_PAGE = """
import django
django.setup()
from django.conf import settings
from django.db import connection
from django.test import Client
print("cache table", settings.CACHES["default"]["LOCATION"] in connection.introspection.table_names())
print("home", Client().get("/").status_code)
"""


def test_migrate_alone_gives_a_working_home_page(tmp_path):
    env = {
        **os.environ,
        "TONGBAN_TESTING": "1",
        "TONGBAN_VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "tongban.settings",
    }
    env.pop("TONGBAN_REDIS_URL", None)
    env.pop("CACHE_URL", None)
    tongban = [sys.executable, "-m", "tongban"]
    subprocess.run([*tongban, "migrate", "--noinput", "-v0"], env=env, check=True, timeout=600)
    out = subprocess.run(
        [sys.executable, "-c", HOME_PAGE], env=env, check=True, timeout=120, capture_output=True, text=True
    ).stdout
    assert "cache table True" in out
    assert "home 200" in out


def test_the_migration_keeps_an_existing_cache_table_and_its_entries(db):
    """Databases that ran ``createcachetable`` by hand migrate unchanged."""
    import importlib
    from types import SimpleNamespace

    from django.core.cache import caches
    from django.db import connection

    migration = importlib.import_module("tongban.core.migrations.0002_cache_table")
    caches["default"].set("core:kept", "still here", 60)
    migration.create_cache_tables(None, SimpleNamespace(connection=connection))
    assert caches["default"].get("core:kept") == "still here"


SHARED_CACHE = """
import django
django.setup()
from django.conf import settings
print(settings.CACHES["default"]["BACKEND"], settings.CACHES["default"]["LOCATION"])
"""


def shared_cache_backend(tmp_path, **variables: str) -> str:
    env = {
        **os.environ,
        "TONGBAN_VAR_DIR": str(tmp_path / "var"),
        "DJANGO_SETTINGS_MODULE": "tongban.settings",
    }
    for name in ("TONGBAN_REDIS_URL", "CACHE_URL"):
        env.pop(name, None)
    env.update(variables)
    return subprocess.run(
        [sys.executable, "-c", SHARED_CACHE], env=env, timeout=120, capture_output=True, text=True
    ).stdout.strip()


def test_the_shared_cache_is_the_database_unless_redis_is_named(tmp_path):
    assert shared_cache_backend(tmp_path) == "tongban.core.cachebackends.DatabaseCache tongban_cache"
    redis = "django.core.cache.backends.redis.RedisCache redis://cache.internal:6379/0"
    assert shared_cache_backend(tmp_path, TONGBAN_REDIS_URL="redis://cache.internal:6379/0") == redis
    assert shared_cache_backend(tmp_path, CACHE_URL="redis://cache.internal:6379/0") == redis
    # Another tool's CACHE_URL is not ours; a TONGBAN_REDIS_URL that is not Redis is refused.
    assert shared_cache_backend(tmp_path, CACHE_URL="memcached://x:11211").startswith(
        "tongban.core.cachebackends.DatabaseCache"
    )
    assert shared_cache_backend(tmp_path, TONGBAN_REDIS_URL="http://cache.internal") == ""


UPGRADE = """
import django
import django.apps
django.setup()
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

# Tongban's migrations as the previous release (3fcea6e) left them: later migrations of these apps
# and apps added since are left out; other (third-party) apps at their current migration.
PREVIOUS = {"cases": "0003_denied_status_label", "catalog": "0005_search_popularity",
            "certificates": "0001_initial", "core": "0001_audit_log", "departments": "0001_initial",
            "forms": "0001_initial", "identity": "0003_user_manager",
            "oidc": "0001_client_consent_signing_key", "notifications": "0002_default_templates",
            "ratings": "0001_initial", "regions": "0001_initial", "registries": "0001_base_registries",
            "web": "0001_page_cache", "workdays": "0001_initial",
            "workflow": "0002_process_versions_per_item"}
executor = MigrationExecutor(connection)
ours = {c.label for c in django.apps.apps.get_app_configs() if c.name.startswith("tongban.")}
targets = [
    (app, PREVIOUS.get(app, name))
    for app, name in executor.loader.graph.leaf_nodes()
    if app in PREVIOUS or app not in ours
]
executor.migrate(targets)
apps = executor.loader.project_state(targets).apps
Region = apps.get_model("regions", "Region")
region = Region.objects.create(code="511602", name="广安区", level=3)
department = apps.get_model("departments", "Department").objects.create(name="广安区民政局", region=region)
apps.get_model("catalog", "ServiceItem").objects.create(
    code="UPGRADE-1", name="最低生活保障对象认定", item_type="07", department=department,
    region=region, region_code="511602", status="published")
print("previous release loaded")
"""


def test_a_populated_database_of_the_previous_release_migrates(tmp_path):
    """Upgrading: the search dictionary's migration rebuilds the index, which tells the page cache,
    whose table is new in the same release (it failed with 'relation tongban_pages does not exist')."""
    env = {
        **os.environ,
        "TONGBAN_TESTING": "1",
        "TONGBAN_VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'upgrade.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "tongban.settings",
    }
    env.pop("TONGBAN_REDIS_URL", None)
    env.pop("CACHE_URL", None)
    out = subprocess.run(
        [sys.executable, "-c", UPGRADE], env=env, check=True, timeout=600, capture_output=True, text=True
    ).stdout
    assert "previous release loaded" in out
    subprocess.run(
        [sys.executable, "-m", "tongban", "migrate", "--noinput", "-v0"], env=env, check=True, timeout=600
    )
    out = subprocess.run(
        [sys.executable, "-c", HOME_PAGE], env=env, check=True, timeout=120, capture_output=True, text=True
    ).stdout
    assert "home 200" in out
