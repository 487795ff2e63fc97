"""PostgreSQL connections bind parameters on the server and keep repeated statements prepared."""

import pytest
from django.db import connection

from tests.factories import DepartmentFactory
from tests.fresh_settings import fresh_settings
from tongban.departments.models import Department


def database_options(**env: str) -> dict:
    return fresh_settings("settings.DATABASES['default'].get('OPTIONS', {})", **env)


def test_postgresql_prepares_statements_unless_told_not_to(tmp_path):
    url = "postgres://tongban@127.0.0.1:5432/tongban"
    options = database_options(DATABASE_URL=url, TONGBAN_VAR_DIR=str(tmp_path))
    assert options["server_side_binding"] is True and options["prepare_threshold"] == 5
    off = database_options(
        DATABASE_URL=url, TONGBAN_VAR_DIR=str(tmp_path), TONGBAN_DB_PREPARE_THRESHOLD="off"
    )
    assert off["server_side_binding"] is True and off["prepare_threshold"] is None
    sqlite = database_options(TONGBAN_VAR_DIR=str(tmp_path))
    assert "server_side_binding" not in sqlite and "prepare_threshold" not in sqlite


@pytest.mark.django_db
def test_a_statement_run_five_times_is_prepared_on_the_server():
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    department = DepartmentFactory()
    for _ in range(6):
        assert Department.objects.filter(pk=department.pk, is_active=True).exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any('FROM "departments_department"' in sql and "$1" in sql for sql in prepared), prepared


def test_a_threshold_that_is_not_a_number_is_refused_in_chinese(tmp_path):
    import subprocess

    with pytest.raises(subprocess.CalledProcessError) as failed:
        database_options(
            DATABASE_URL="postgres://tongban@127.0.0.1:5432/tongban",
            TONGBAN_VAR_DIR=str(tmp_path),
            TONGBAN_DB_PREPARE_THRESHOLD="five",
        )
    assert "TONGBAN_DB_PREPARE_THRESHOLD 应为非负整数或 off" in failed.value.stderr
