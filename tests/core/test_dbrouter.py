"""The read-replica router: which reads may go to the replica, pinning after a write, failover.

The whole deployment (a real streaming replica behind PgBouncer, the replica stopped under load)
is exercised by the fault suite, tests/fault/suite.py; these tests pin down the decisions.
"""

import pytest
from django.db import OperationalError, connections
from django.http import HttpResponse
from django.test import RequestFactory

from tests.fresh_settings import fresh_settings
from tongban.cases.models import Case
from tongban.catalog.models import ServiceItem
from tongban.core import dbrouter
from tongban.regions.models import Region

router = dbrouter.ReplicaRouter()


@pytest.fixture
def replica_up(monkeypatch):
    monkeypatch.setattr(dbrouter.state, "available", lambda: True)
    monkeypatch.setattr(
        dbrouter, "connections", {"default": connections["default"], "replica": FakeReplica()}
    )


def through_middleware(request, view):
    """Run ``view`` inside ReplicaMiddleware; returns (what the view returned, the response)."""
    seen = {}

    def get_response(req):
        seen["value"] = view()
        return HttpResponse("ok")

    response = dbrouter.ReplicaMiddleware(get_response)(request)
    return seen["value"], response


def test_a_safe_request_reads_the_catalogue_from_the_replica(replica_up):
    value, _ = through_middleware(RequestFactory().get("/items/"), lambda: router.db_for_read(ServiceItem))
    assert value == "replica"
    value, _ = through_middleware(RequestFactory().head("/regions/"), lambda: router.db_for_read(Region))
    assert value == "replica"


def test_data_that_must_be_fresh_stays_on_the_primary(replica_up):
    value, _ = through_middleware(RequestFactory().get("/my/cases/"), lambda: router.db_for_read(Case))
    assert value is None


def test_outside_a_web_request_nothing_reads_from_the_replica(replica_up):
    # Workers, tick and commands run outside ReplicaMiddleware.
    assert router.db_for_read(ServiceItem) is None


def test_a_write_pins_the_client_to_the_primary_for_a_while(replica_up, settings):
    settings.TONGBAN_REPLICA_PIN_SECONDS = 10
    value, response = through_middleware(
        RequestFactory().post("/items/"), lambda: router.db_for_read(ServiceItem)
    )
    assert value is None
    cookie = response.cookies[dbrouter.PIN_COOKIE]
    assert cookie["max-age"] == 10
    pinned = RequestFactory().get("/items/")
    pinned.COOKIES[dbrouter.PIN_COOKIE] = cookie.value
    value, response = through_middleware(pinned, lambda: router.db_for_read(ServiceItem))
    assert value is None
    assert dbrouter.PIN_COOKIE not in response.cookies


def test_an_expired_or_garbled_pin_allows_the_replica_again(replica_up):
    for stale in ("1000", "not-a-time"):
        request = RequestFactory().get("/items/")
        request.COOKIES[dbrouter.PIN_COOKIE] = stale
        value, _ = through_middleware(request, lambda: router.db_for_read(ServiceItem))
        assert value == "replica"


def test_a_request_that_wrote_reads_its_own_writes_from_the_primary(replica_up):
    def view():
        assert router.db_for_write(ServiceItem) == "default"
        return router.db_for_read(ServiceItem)

    value, _ = through_middleware(RequestFactory().get("/items/"), view)
    assert value is None


def test_related_objects_follow_the_instance_they_were_read_from(replica_up):
    item = ServiceItem()
    item._state.db = "default"
    value, _ = through_middleware(
        RequestFactory().get("/items/"), lambda: router.db_for_read(Region, instance=item)
    )
    assert value == "default"


def test_only_the_primary_is_migrated():
    assert router.allow_migrate("default", "catalog") is True
    assert router.allow_migrate("replica", "catalog") is False


class FakeCursor:
    def __init__(self, lag):
        self.lag = lag

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def execute(self, sql):
        if isinstance(self.lag, Exception):
            raise self.lag

    def fetchone(self):
        return (self.lag,)


class FakeReplica:
    vendor = "postgresql"

    def __init__(self, lag=0.0):
        self.lag, self.cursors, self.connects, self.closed = lag, 0, 0, 0
        self.execute_wrappers = []

    def close_if_health_check_failed(self):
        pass

    def ensure_connection(self):
        self.connects += 1
        if isinstance(self.lag, Exception):
            raise self.lag

    def cursor(self):
        self.cursors += 1
        return FakeCursor(self.lag)

    def close(self):
        self.closed += 1


@pytest.fixture
def fake_replica(monkeypatch, settings):
    settings.TONGBAN_REPLICA_CHECK_SECONDS = 2
    settings.TONGBAN_REPLICA_MAX_LAG_SECONDS = 5
    clock = {"now": 1000.0}
    monkeypatch.setattr(dbrouter.time, "monotonic", lambda: clock["now"])
    replica = FakeReplica()
    monkeypatch.setattr(dbrouter, "connections", {"replica": replica, "default": None})
    return replica, clock


def test_a_replica_that_answers_with_little_lag_is_used(fake_replica):
    replica, clock = fake_replica
    state = dbrouter.ReplicaState()
    assert state.available() is True
    assert replica.cursors == 1
    clock["now"] += 1
    assert state.available() is True
    assert replica.cursors == 1  # the lag is measured again only after the check interval


def test_a_stopped_replica_fails_over_to_the_primary_and_is_tried_again_later(fake_replica):
    replica, clock = fake_replica
    state = dbrouter.ReplicaState()
    replica.lag = OperationalError("connection refused")
    assert state.available() is False
    assert replica.closed == 1
    clock["now"] += 1
    assert state.available() is False
    assert replica.cursors == 1  # not asked again within the interval
    replica.lag = 0.0
    clock["now"] += 2
    assert state.available() is True


def test_a_replica_that_lags_too_far_is_not_used(fake_replica):
    replica, clock = fake_replica
    state = dbrouter.ReplicaState()
    replica.lag = 30.0
    assert state.available() is False
    assert state.lag_seconds == 30.0
    replica.lag = 0.5
    clock["now"] += 3
    assert state.available() is True


def test_a_replica_that_dies_between_checks_is_left_at_once(fake_replica):
    replica, clock = fake_replica
    state = dbrouter.ReplicaState()
    assert state.available() is True
    replica.lag = OperationalError("server closed the connection")
    clock["now"] += 0.5
    assert state.available() is False


def test_settings_for_several_machines_come_from_the_environment(tmp_path):
    """One fresh interpreter for the whole province setup (each costs a Django start-up)."""
    province = fresh_settings(
        "[sorted(settings.DATABASES), settings.DATABASE_ROUTERS, "
        "'tongban.core.dbrouter.ReplicaMiddleware' in settings.MIDDLEWARE, "
        "settings.DATABASES['replica']['OPTIONS'].get('connect_timeout'), "
        "settings.DATABASES['default']['OPTIONS']['prepare_threshold'], "
        "settings.DATABASES['default'].get('DISABLE_SERVER_SIDE_CURSORS'), "
        "str(settings.MEDIA_ROOT), settings.STORAGES['default']['BACKEND'], "
        "settings.STORAGES['default']['OPTIONS']['bucket_name']]",
        DATABASE_URL="postgres://tongban@127.0.0.1:6432/tongban",
        DATABASE_REPLICA_URL="postgres://tongban@127.0.0.1:5433/tongban",
        TONGBAN_DB_TRANSACTION_POOLER="1",
        TONGBAN_MEDIA_ROOT=str(tmp_path / "shared"),
        TONGBAN_STORAGE="s3",
        TONGBAN_S3_BUCKET="tongban-uploads",
    )
    assert province == [
        ["default", "replica"],
        ["tongban.core.dbrouter.ReplicaRouter"],
        True,
        2,
        None,  # PgBouncer before 1.21 keeps no named prepared statements
        True,  # a WITH HOLD cursor would outlive its server connection
        str(tmp_path / "shared"),
        "storages.backends.s3.S3Storage",
        "tongban-uploads",
    ]
    plain = fresh_settings(
        "[sorted(settings.DATABASES), settings.DATABASE_ROUTERS, "
        "'tongban.core.dbrouter.ReplicaMiddleware' in settings.MIDDLEWARE, "
        "settings.STORAGES['default']['BACKEND']]"
    )
    assert plain == [["default"], [], False, "django.core.files.storage.FileSystemStorage"]
