"""Faster bulk inserts for the province-scale catalogue.

Django's ``bulk_create`` spends most of its time building model instances and compiling
SQL value by value; with nearly a million rows that alone takes minutes on two cores.
Here child rows are plain dicts completed with each field's own default, values that need
conversion (JSON, dates) go through the field's ``get_db_prep_save``, and rows are written
with ``executemany`` (SQLite) or ``COPY`` (PostgreSQL). Other databases fall back to
``bulk_create``.
"""

import enum
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import connection, models

_CONVERTED = (models.JSONField, models.DateTimeField, models.DateField, models.FileField, models.DecimalField)


def allocate_ids(model: type[models.Model], count: int) -> list[int]:
    """Reserve ``count`` primary keys for rows inserted with explicit ids."""
    if count == 0:
        return []
    table = model._meta.db_table
    pk = model._meta.pk.column
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, pk, count],
            )
            return [row[0] for row in cursor.fetchall()]
        # SQLite: the write transaction (BEGIN IMMEDIATE) already excludes other writers.
        cursor.execute(f"SELECT COALESCE(MAX({quote(pk)}), 0) FROM {quote(table)}")  # noqa: S608 (model metadata)
        start = cursor.fetchone()[0] + 1
        return list(range(start, start + count))


def _write(model: type[models.Model], fields: list[models.Field], rows: list[tuple]) -> None:
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(f.column) for f in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            placeholders = ", ".join(["%s"] * len(fields))
            sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608 (model metadata)
            cursor.executemany(sql, rows)


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


def insert_instances(model: type[models.Model], objs: Sequence[models.Model], now: datetime) -> None:
    """Insert unsaved instances whose primary keys are already set (see ``allocate_ids``)."""
    if not objs:
        return
    if connection.vendor not in ("sqlite", "postgresql"):
        model.objects.bulk_create(objs, batch_size=1000)
        return
    fields = list(model._meta.concrete_fields)
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            for obj in objs:
                setattr(obj, f.attname, now)
    plan = [(f.attname, f if isinstance(f, _CONVERTED) else None) for f in fields]
    rows = [
        tuple(
            f.get_db_prep_save(getattr(obj, attname), connection) if f else _plain(getattr(obj, attname))
            for attname, f in plan
        )
        for obj in objs
    ]
    _write(model, fields, rows)


def insert_dicts(model: type[models.Model], rows: Sequence[dict[str, Any]], now: datetime) -> None:
    """Insert rows given as ``{attname: value}``; missing fields take their model default."""
    if not rows:
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    if connection.vendor not in ("sqlite", "postgresql"):
        model.objects.bulk_create([model(**row) for row in rows], batch_size=1000)
        return
    defaults: dict[str, Any] = {}
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            defaults[f.attname] = now
        elif f.attname not in rows[0]:
            defaults[f.attname] = f.get_default()
    converted = [isinstance(f, _CONVERTED) for f in fields]
    prepared = []
    for row in rows:
        values = []
        for f, convert in zip(fields, converted, strict=True):
            value = row[f.attname] if f.attname in row else defaults[f.attname]
            values.append(f.get_db_prep_save(value, connection) if convert else value)
        prepared.append(tuple(values))
    _write(model, fields, prepared)
