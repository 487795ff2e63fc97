"""Downloads of a dataset: CSV (UTF-8 with BOM, so Excel opens Chinese text), JSON and XLSX.

CSV and JSON use the field names of datapackage.json (machine-readable, stable); the XLSX
sheet, meant for people, heads its columns with the Chinese titles. Suppressed cells are empty
(CSV, XLSX) or null (JSON). Text that a spreadsheet would run as a formula is prefixed with '.
"""

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable, Iterator

from django.core.serializers.json import DjangoJSONEncoder
from openpyxl import Workbook

from .datasets import Spec


def _safe(value):
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(_safe(value))


class _Line:
    """A file-like object that hands back what csv.writer wrote, for streaming."""

    def write(self, value: str) -> str:
        return value


def csv_chunks(spec: Spec, rows: Iterable[dict]) -> Iterator[bytes]:
    writer = csv.writer(_Line())
    yield "\ufeff".encode() + writer.writerow(spec.field_names).encode()
    for row in rows:
        yield writer.writerow([_cell(row[name]) for name in spec.field_names]).encode()


def json_chunks(spec: Spec, rows: Iterable[dict], head: dict) -> Iterator[bytes]:
    yield (json.dumps(head, ensure_ascii=False, cls=DjangoJSONEncoder)[:-1] + ', "rows": [').encode()
    first = True
    for row in rows:
        yield (("" if first else ",\n") + json.dumps(row, ensure_ascii=False, cls=DjangoJSONEncoder)).encode()
        first = False
    yield b"]}"


def xlsx_bytes(spec: Spec, rows: Iterable[dict]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=str(spec.title)[:31])
    sheet.append([str(f.title) for f in spec.fields])
    for row in rows:
        sheet.append([_safe(row[name]) for name in spec.field_names])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
