"""Shared fixtures. Tests run on SQLite by default and on PostgreSQL when DATABASE_URL says so."""

import os

import pytest

os.environ.setdefault("TONGBAN_TESTING", "1")


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    # Pages remembered by the process would outlive a test's rolled-back catalogue.
    settings.TONGBAN_PAGECACHE_LOCAL_SECONDS = 0


@pytest.fixture(autouse=True)
def _process_caches():
    """Rows a process remembers (shipped process templates, the holiday table, region codes seen)
    are deleted by the flush that ends a transactional test; every test starts with nothing
    remembered."""
    from tongban.regions import selectors as regions
    from tongban.workdays import calendar
    from tongban.workflow import selectors

    for clear in (selectors.clear_cache, calendar.clear_cache, regions.clear_cache):
        clear()
    yield
    for clear in (selectors.clear_cache, calendar.clear_cache, regions.clear_cache):
        clear()


def _pg_admin(cfg):
    import psycopg

    return psycopg.connect(
        host=cfg["HOST"],
        port=cfg["PORT"] or 5432,
        user=cfg["USER"],
        password=cfg["PASSWORD"] or None,
        dbname=cfg["NAME"],
        autocommit=True,
    )


@pytest.fixture(scope="session")
def _external_db_template(tmp_path_factory):
    """Migrate once per test session; each ``external_db`` is a copy of this template."""
    import subprocess
    import sys
    import uuid

    import dj_database_url

    base = tmp_path_factory.mktemp("external-template")
    env = {**os.environ, "TONGBAN_TESTING": "1", "TONGBAN_VAR_DIR": str(base / "var")}
    base_url = os.environ.get("DATABASE_URL", "")
    template = {"kind": "sqlite", "path": base / "template.sqlite3"}
    if base_url.startswith(("postgres://", "postgresql://")):
        cfg = dj_database_url.parse(base_url)
        name = f"tongban_tpl_{uuid.uuid4().hex[:12]}"
        with _pg_admin(cfg) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        template = {"kind": "pg", "cfg": cfg, "name": name, "base_url": base_url}
        env["DATABASE_URL"] = base_url.rsplit("/", 1)[0] + "/" + name
    else:
        env["DATABASE_URL"] = f"sqlite:///{template['path']}"
    for command in (["migrate", "--noinput", "-v0"], ["createcachetable"]):
        subprocess.run([sys.executable, "-m", "tongban", *command], env=env, check=True, timeout=600)
    if template["kind"] == "sqlite":
        import sqlite3

        with sqlite3.connect(template["path"]) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    yield template
    if template["kind"] == "pg":
        with _pg_admin(template["cfg"]) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{template["name"]}" WITH (FORCE)')


@pytest.fixture
def external_db(tmp_path, _external_db_template):
    """A freshly migrated database that separate OS processes can share.

    pytest-django's SQLite test database lives in memory, so tests that need two real
    processes (concurrent claims, restarts, rate limits across servers) get their own
    database here: a SQLite file, or a new PostgreSQL database when DATABASE_URL is set.
    Yields the environment for subprocesses (DATABASE_URL, TONGBAN_VAR_DIR, …).
    """
    import shutil
    import uuid

    env = {**os.environ, "TONGBAN_TESTING": "1", "TONGBAN_VAR_DIR": str(tmp_path / "var")}
    template = _external_db_template
    if template["kind"] == "pg":
        name = f"tongban_ext_{uuid.uuid4().hex[:12]}"
        with _pg_admin(template["cfg"]) as admin:
            admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template["name"]}"')
        env["DATABASE_URL"] = template["base_url"].rsplit("/", 1)[0] + "/" + name
    else:
        target = tmp_path / "shared.sqlite3"
        shutil.copyfile(template["path"], target)
        env["DATABASE_URL"] = f"sqlite:///{target}"
    try:
        yield env
    finally:
        if template["kind"] == "pg":
            with _pg_admin(template["cfg"]) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def staff_admin_client(client, django_user_model):
    """A platform superuser signed in with a verified second factor (the admin requires it)."""
    from tests.factories import login_verified

    user = django_user_model.objects.create_user(
        username="platform-root", password="Strong-pass-123", kind="staff", is_staff=True, is_superuser=True
    )
    login_verified(client, user)
    return client


def pytest_collection_modifyitems(items):
    """Every transactional test restores the migrations' seed data (themes, synonyms, message
    templates…) with serialized rollback.

    A transactional test ends by flushing the database. If some flushed without serialized
    rollback, Django would re-create content types under new keys and a later test restoring
    the serialized data would collide with them; doing it for all of them keeps every
    transactional test starting from the same migrated data.
    """
    for item in items:
        marker = item.get_closest_marker("django_db")
        transactional = (marker is not None and marker.kwargs.get("transaction")) or bool(
            {"transactional_db", "live_server"} & set(getattr(item, "fixturenames", ()))
        )
        if transactional:
            kwargs = dict(marker.kwargs) if marker is not None else {}
            kwargs.update(transaction=True, serialized_rollback=True)
            item.add_marker(pytest.mark.django_db(**kwargs), append=False)


class XdistGroups:
    """Make ``--dist loadgroup`` group the tests marked ``xdist_group``.

    pytest-xdist 3.8 names a test's group by appending ``@group`` to ``item._nodeid``; since
    pytest 9.2 a node's id is ``item._id``, so the suffix never reaches the scheduler and every
    group is spread over the workers (two shipped-demo servers, a journey's steps split between
    them). Runs after every other collection hook and puts the suffix on the id itself; does
    nothing where xdist's own suffix is there.
    """

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config, items):
        if not getattr(config.option, "loadgroup", False):
            return
        from _pytest.nodeid import NodeId

        for item in items:
            groups = sorted(
                {
                    str(m.args[0] if m.args else m.kwargs.get("name", "default"))
                    for m in item.iter_markers("xdist_group")
                }
            )
            if groups and "@" not in item.nodeid:
                item._id = NodeId.parse(f"{item.nodeid}@{'_'.join(groups)}")


def pytest_configure(config):
    config.pluginmanager.register(XdistGroups(), "tongban-xdist-groups")
