import datetime as dt

import pytest

from tests.factories import DepartmentFactory, PublishedItemFactory, region_chain
from tongban.supervision.models import IndicatorCell


@pytest.fixture
def stats_world(db):
    """Two departments; the first has items with 40, 3 and 6 cases received in Nov 2026,
    the second one item with exactly 5 (shown) and one with 4 (hidden, total hidden too)."""
    region = region_chain("511602")
    big, small = (
        DepartmentFactory(name="统计测试局", region=region),
        DepartmentFactory(name="五件局", region=region),
    )
    items = [PublishedItemFactory(department=big, name=f"大事项{n}") for n in range(3)]
    items += [PublishedItemFactory(department=small, name=f"小事项{n}") for n in range(2)]
    month = dt.date(2026, 11, 1)
    for item, received in zip(items, [40, 3, 6, 5, 4], strict=True):
        IndicatorCell.objects.create(
            region_code=item.region_code,
            department_id=item.department_id,
            item_id=item.pk,
            month=month,
            received=received,
            online=received,
            accepted=received,
            concluded=received,
            with_promised=received,
            on_time_promised=received,
        )
    return {"items": items, "big": big, "small": small, "month": month}
