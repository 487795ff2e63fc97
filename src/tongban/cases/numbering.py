"""Case numbers: region code + date + sequence, e.g. ``511602-20261122-000042``.

The sequence comes from a counter row per region and day, incremented inside the submitting
transaction, so numbers are unique across processes and machines without gaps caused by
in-memory state. The region is the implementing item's region code (2–12 digits).
"""

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import F

from .models import CaseNumberCounter


def next_case_number(region_code: str, day: dt.date) -> str:
    for _ in range(3):
        updated = CaseNumberCounter.objects.filter(region_code=region_code, day=day).update(
            value=F("value") + 1
        )
        if updated:
            break
        try:
            with transaction.atomic():
                CaseNumberCounter.objects.create(region_code=region_code, day=day, value=1)
            break
        except IntegrityError:
            continue  # another process created today's row first; increment it instead
    value = CaseNumberCounter.objects.get(region_code=region_code, day=day).value
    return f"{region_code}-{day:%Y%m%d}-{value:06d}"
