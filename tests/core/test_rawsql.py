"""core.rawsql: hand-written statements give the same instances the ORM gives, on both databases."""

import datetime as dt
import uuid

import pytest
from django.db import connection

from tests.factories import DepartmentFactory, PublishedItemFactory
from tongban.catalog.models import ServiceItem
from tongban.core import rawsql
from tongban.departments.models import Department


def _select(sql: str, params: list) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def _fields(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields}


@pytest.mark.django_db
def test_rows_become_the_instances_the_orm_reads():
    item = PublishedItemFactory(channels=["1", "2"], is_charged=True, fee_basis="《收费标准》")
    item_cols, dept_cols = rawsql.columns(ServiceItem, "i"), rawsql.columns(Department, "d")
    row = _select(
        f"SELECT {item_cols.sql}, {dept_cols.sql} FROM {rawsql.table(ServiceItem)} i "
        f"JOIN {rawsql.table(Department)} d ON d.id = i.department_id WHERE i.id = %s",
        [item.pk],
    )
    loaded = item_cols.load(row)
    department = dept_cols.load(row, len(item_cols))
    assert _fields(loaded) == _fields(ServiceItem.objects.get(pk=item.pk))
    assert _fields(department) == _fields(Department.objects.get(pk=item.department_id))
    # Converted as the ORM converts: JSON is a list, booleans are booleans, times are aware.
    assert loaded.channels == ["1", "2"] and loaded.is_charged is True
    assert isinstance(loaded.created_at, dt.datetime) and loaded.created_at.tzinfo is not None
    assert not loaded._state.adding and loaded._state.db == "default"
    loaded.name = "改名后的事项"
    loaded.save(update_fields=["name"])
    assert ServiceItem.objects.get(pk=item.pk).name == "改名后的事项"


@pytest.mark.django_db
def test_an_outer_join_that_found_nothing_is_none():
    department = DepartmentFactory()
    item_cols = rawsql.columns(ServiceItem, "i")
    row = _select(
        f"SELECT d.id, {item_cols.sql} FROM {rawsql.table(Department)} d "
        f"LEFT JOIN {rawsql.table(ServiceItem)} i ON i.department_id = d.id WHERE d.id = %s",
        [department.pk],
    )
    assert row[0] == department.pk
    assert item_cols.load(row, 1) is None


def test_columns_are_kept_per_model_and_alias():
    assert rawsql.columns(Department, "d") is rawsql.columns(Department, "d")
    assert rawsql.columns(Department, "x").sql.startswith('"x".')
    assert len(rawsql.columns(Department, "d")) == len(Department._meta.concrete_fields)


@pytest.mark.django_db
def test_param_is_the_stored_form():
    from tongban.cases.models import Application

    value = uuid.UUID("5d02a17c-64eb-47b3-8338-9b555878ae09")
    stored = rawsql.param(Application, "public_id", value)
    assert stored == (value if connection.features.has_native_uuid_field else value.hex)


def test_a_statement_is_written_once_per_arguments():
    calls = []

    @rawsql.statement
    def sql(locked: bool) -> str:
        calls.append(locked)
        return f"SELECT 1 {'FOR UPDATE' if locked else ''}"

    assert sql(True) == sql(True) != sql(False)
    assert calls == [True, False]
