"""Entry points run in separate Python processes by test_concurrency.py (a fresh interpreter
against the shared external database, like another web process)."""

import json
import os
import sys
import threading
import time


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongban.settings")
    import django

    django.setup()


def prepare(quota: int, taken: int, people: int) -> dict:
    """A slot in two days with ``quota`` online places, ``taken`` of them already booked, and
    ``people`` citizens who have not booked."""
    import datetime as dt

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from tests.appointments.conftest import build_hall, make_slot

    world = build_hall(windows=1)
    slot = make_slot(
        world["windows"][0],
        timezone.localdate() + dt.timedelta(days=2),
        dt.time(9, 0),
        quota=quota,
        capacity=quota + 5,
    )
    slot.booked = taken
    slot.save(update_fields=["booked"])
    User = get_user_model()
    users = User.objects.bulk_create(
        [User(username=f"booker{n}", kind="citizen", real_name=f"预约人{n}") for n in range(people)]
    )
    return {"slot": slot.pk, "item": world["item"].pk, "users": [u.pk for u in users]}


def book_many(user_ids: list[int], slot_id: int, item_id: int, start_at: float) -> dict:
    """One thread (and database connection) per person, all starting at ``start_at``."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from tongban.appointments import services
    from tongban.catalog.models import ServiceItem
    from tongban.core.errors import ServiceError

    item = ServiceItem.objects.get(pk=item_id)
    users = list(get_user_model().objects.filter(pk__in=user_ids))
    results: list[str] = []
    lock = threading.Lock()

    def one(user: object) -> None:
        try:
            while time.time() < start_at:
                time.sleep(0.001)
            try:
                services.book(user=user, item=item, slot=slot_id)
                outcome = "booked"
            except ServiceError as exc:
                outcome = exc.code
            with lock:
                results.append(outcome)
        finally:
            connection.close()

    threads = [threading.Thread(target=one, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"results": results}


def count(slot_id: int) -> dict:
    from tongban.appointments.models import Booking, Slot

    slot = Slot.objects.get(pk=slot_id)
    return {"booked": slot.booked, "bookings": Booking.objects.filter(slot=slot).count()}


if __name__ == "__main__":
    _setup_django()
    command, *args = sys.argv[1:]
    print(json.dumps(globals()[command](*[json.loads(a) for a in args])))
