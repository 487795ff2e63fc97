"""Demo step "appointments": 广安区政务服务中心 with windows of 人社 and 市监, their bookable
items, half-hour slots on working days for the coming week, worked by the README's 受理
accounts (``rs_shouli`` at windows 1–2, ``sj_shouli`` at window 3). Idempotent."""

import datetime as dt
from collections.abc import Callable

from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone

from tongban.appointments.models import Hall, Slot, SlotTemplate, Window
from tongban.appointments.services import generate_slots
from tongban.catalog.models import ServiceItem
from tongban.regions.models import Region

from .configure import BENEFIT_ITEM, DRUG_ITEM, RS, SJ, department, item

HALL_CODE = "guangan-district"
# (window, department, its featured item, how many more of the department's bookable items)
WINDOWS = [
    ("1号窗口", RS, BENEFIT_ITEM, 30),
    ("2号窗口", RS, BENEFIT_ITEM, 30),
    ("3号窗口", SJ, DRUG_ITEM, 30),
]
MORNING = [(dt.time(9, 0), dt.time(12, 0))]
AFTERNOON = [(dt.time(13, 30), dt.time(17, 30))]
SLOT_MINUTES = 30
CAPACITY, ONLINE = 6, 4


def _half_hours() -> list[tuple[dt.time, dt.time]]:
    slots = []
    for start, end in MORNING + AFTERNOON:
        at = dt.datetime.combine(dt.date(2000, 1, 3), start)
        while at.time() < end:
            nxt = at + dt.timedelta(minutes=SLOT_MINUTES)
            slots.append((at.time(), nxt.time()))
            at = nxt
    return slots


def load(*, out: Callable[[str], None] | None = None, **_: object) -> str:
    try:
        rs = department(RS)
    except LookupError as exc:
        return f"跳过：{exc}"
    county = Region.objects.get(code="511602")
    with transaction.atomic():
        hall, _created = Hall.objects.get_or_create(
            code=HALL_CODE,
            defaults={
                "name": "广安区政务服务中心",
                "address": "广安区金安大道一段 1 号",
                "region": county,
                "department": rs,
                "book_days_ahead": 7,
            },
        )
        for number, short, featured, more in WINDOWS:
            owner = department(short)
            window, made = Window.objects.get_or_create(
                hall=hall,
                number=number,
                defaults={"department": owner, "name": f"{owner.short_name or owner.name}窗口"},
            )
            if made:
                main = item(*featured)
                if not main.supports_appointment:
                    ServiceItem.objects.filter(pk=main.pk).update(supports_appointment=True)
                others = ServiceItem.objects.published().filter(department=owner, supports_appointment=True)
                window.items.set([main, *others.order_by("pk")[:more]])
                SlotTemplate.objects.bulk_create(
                    [
                        SlotTemplate(
                            window=window,
                            weekday=weekday,
                            start=start,
                            end=end,
                            capacity=CAPACITY,
                            online_quota=ONLINE,
                        )
                        for weekday in range(5)
                        for start, end in _half_hours()
                    ]
                )
        today = timezone.localdate()
        made = generate_slots(hall, today, today + dt.timedelta(days=hall.book_days_ahead))
        extended = _todays_extended_slots(hall)
    if out:
        out(f"服务大厅：{hall.name}（取号机 /halls/{hall.code}/，叫号屏 /halls/{hall.code}/screen/）")
    return f"服务大厅 1 个，窗口 {len(WINDOWS)} 个，新增预约时段 {made} 个，今日延时演示时段 {extended} 个"


def _todays_extended_slots(hall: Hall) -> int:
    """延时服务 on window 1 for the rest of the day the demo is loaded, from the next ten
    minutes: whoever tries the demo (or the browser suite) can book, check in and be called at
    any hour, not only during a working day's opening hours."""
    window = hall.windows.get(number=WINDOWS[0][0])
    now = timezone.localtime()
    at = now.replace(second=0, microsecond=0) + dt.timedelta(minutes=10 - now.minute % 10)
    opening = Slot.objects.filter(window=window, date=now.date(), capacity=CAPACITY).aggregate(
        first=Min("start"), last=Max("end")
    )
    made = 0
    while at.date() == now.date():
        if opening["first"] and opening["first"] <= at.time() < opening["last"]:
            at += dt.timedelta(minutes=SLOT_MINUTES)
            continue  # the day's own opening hours have slots already
        end = min(at + dt.timedelta(minutes=SLOT_MINUTES), at.replace(hour=23, minute=59))
        if end <= at:
            break
        _slot, created = Slot.objects.get_or_create(
            window=window,
            date=at.date(),
            start=at.time(),
            defaults={
                "hall": hall,
                "end": end.time(),
                "capacity": CAPACITY,
                "online_quota": ONLINE,
                "extra": True,
            },
        )
        made += created
        at += dt.timedelta(minutes=SLOT_MINUTES)
    return made
