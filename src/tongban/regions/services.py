"""Writes to the region tree."""

import csv
import gzip
import io
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from tongban.core.errors import InvalidInput, PermissionDenied

from .codes import RegionCodeError, level_of, normalize_region_code, parent_code
from .models import Region

DATA_DIR = Path(__file__).resolve().parent / "data"
FILES = ("provinces", "cities", "areas", "streets")


@dataclass
class LoadReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def _read(name: str, data_dir: Path) -> list[dict[str, str]]:
    gz = data_dir / f"{name}.csv.gz"
    raw = gz if gz.exists() else data_dir / f"{name}.csv"
    opener = gzip.open if raw.suffix == ".gz" else open
    with opener(raw, "rb") as fh:
        text = io.TextIOWrapper(fh, encoding="utf-8-sig")
        return list(csv.DictReader(text))


@transaction.atomic
def load_regions(data_dir: Path | None = None) -> LoadReport:
    """Load the shipped GB/T 2260 tree; running it again changes nothing."""
    data_dir = data_dir or DATA_DIR
    report = LoadReport()
    existing = {r.code: r for r in Region.objects.all()}
    for name in FILES:
        to_create, to_update = [], []
        for row in _read(name, data_dir):
            code = row["code"].strip()
            title = row["name"].strip()
            parent = existing.get(parent_code(code)) if level_of(code) > 1 else None
            full_name = f"{parent.full_name}{title}" if parent else title
            if (
                parent
                and parent.level == Region.Level.CITY
                and parent.name in {"市辖区", "县", "省直辖县级行政区划"}
            ):
                full_name = f"{parent.parent.full_name}{title}" if parent.parent else title
            current = existing.get(code)
            if current is None:
                region = Region(
                    code=code, name=title, level=level_of(code), parent=parent, full_name=full_name
                )
                to_create.append(region)
                existing[code] = region
            elif (current.name, current.parent_id, current.full_name) != (
                title,
                parent.pk if parent else None,
                full_name,
            ):
                current.name, current.parent, current.full_name = title, parent, full_name
                to_update.append(current)
            else:
                report.unchanged += 1
        Region.objects.bulk_create(to_create, batch_size=2000)
        # bulk_create on SQLite/PostgreSQL sets primary keys, so children can point at these rows.
        Region.objects.bulk_update(to_update, ["name", "parent", "full_name"], batch_size=2000)
        report.created += len(to_create)
        report.updated += len(to_update)
    return report


@transaction.atomic
def add_village(*, actor, parent_code_value: str, code: str, name: str) -> Region:
    """Admins add villages/communities (12-digit codes) under a township."""
    if actor is None or not actor.is_staff:
        raise PermissionDenied()
    try:
        code = normalize_region_code(code)
        township_code = normalize_region_code(parent_code_value)
    except RegionCodeError as exc:
        raise InvalidInput(str(exc), field="code") from exc
    if (
        len(code) != 12
        or level_of(township_code) != Region.Level.TOWNSHIP
        or not code.startswith(township_code)
    ):
        raise InvalidInput("村/社区代码应为 12 位，且以所属乡镇/街道的 9 位代码开头。", field="code")
    name = (name or "").strip()
    if not name:
        raise InvalidInput("请填写村/社区名称。", field="name")
    parent = Region.objects.filter(code=township_code).first()
    if parent is None:
        raise InvalidInput("所属乡镇/街道不存在。", field="parent")
    if Region.objects.filter(code=code).exists():
        raise InvalidInput("该区划代码已存在。", field="code")
    return Region.objects.create(
        code=code, name=name, level=Region.Level.VILLAGE, parent=parent, full_name=f"{parent.full_name}{name}"
    )
