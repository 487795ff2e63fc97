"""Every write path of appointments keeps ``core.audit``'s rule (as tests/cases/test_audit_last.py
checks for cases): the audit append is the last write of its transaction."""

import datetime as dt

import pytest

from tests.appointments.conftest import make_slot
from tests.cases.audit_last import check_audit_last, transactions
from tongban.appointments import services

TUESDAY = dt.date(2026, 12, 8)


def _booking(w):
    return services.book(
        user=w["citizen"], item=w["item"], slot=make_slot(w["windows"][0], TUESDAY, dt.time(9, 0))
    )


def _today(w):
    return make_slot(w["windows"][0], w["clock"].today, dt.time(10, 0), quota=2, capacity=6)


def _checkable(w):
    w["clock"].set(dt.datetime(2026, 12, 7, 9, 0))
    return services.book(user=w["citizen"], item=w["item"], slot=_today(w))


def _called(w):
    _today(w)
    services.take_walk_in(hall=w["hall"], item=w["item"])
    return services.call_next(clerk=w["clerk"], window=w["windows"][0])


def _serving(w):
    return services.start_service(clerk=w["clerk"], ticket=_called(w))


def _waiting(w):
    _today(w)
    return services.take_walk_in(hall=w["hall"], item=w["item"])


def _due_no_show(w):
    booking = _booking(w)
    w["clock"].set(dt.datetime(2026, 12, 8, 12, 0))
    return booking


WRITE_PATHS = {
    "book": (
        lambda w: make_slot(w["windows"][0], TUESDAY, dt.time(9, 0)),
        lambda w, s: services.book(user=w["citizen"], item=w["item"], slot=s),
    ),
    "cancel": (_booking, lambda w, b: services.cancel(user=w["citizen"], booking=b)),
    "reschedule": (
        _booking,
        lambda w, b: services.reschedule(
            user=w["citizen"], booking=b, slot=make_slot(w["windows"][0], TUESDAY, dt.time(10, 0))
        ),
    ),
    "check in": (
        _checkable,
        lambda w, b: services.check_in(hall=w["hall"], number=b.number, code=b.check_code),
    ),
    "walk in": (_today, lambda w, s: services.take_walk_in(hall=w["hall"], item=w["item"])),
    "call next": (_waiting, lambda w, t: services.call_next(clerk=w["clerk"], window=w["windows"][0])),
    "recall": (_called, lambda w, t: services.recall(clerk=w["clerk"], ticket=t)),
    "skip": (_called, lambda w, t: services.skip(clerk=w["clerk"], ticket=t)),
    "serve": (_called, lambda w, t: services.start_service(clerk=w["clerk"], ticket=t)),
    "finish (opens the rating)": (_serving, lambda w, t: services.finish(clerk=w["clerk"], ticket=t)),
    "no-show": (_due_no_show, lambda w, b: services.mark_no_shows()),
}


@pytest.mark.parametrize("path", list(WRITE_PATHS))
def test_the_audit_append_is_the_last_write_of_every_transaction(hall, clock, path):
    world = {**hall, "clock": clock}
    prepare, write = WRITE_PATHS[path]
    target = prepare(world)
    with transactions() as found:
        write(world, target)
    check_audit_last(found)
