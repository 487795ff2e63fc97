"""``/readyz`` (issue 19): 200 with the database and the queue's figures, 503 without database;
``/healthz`` needs no database at all."""

import datetime as dt

from django.db import OperationalError
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tests.core import tasks_for_tests
from tongban.web import views


def test_readyz_reports_the_database_and_the_queue(client, db):
    tasks_for_tests.always_fails.enqueue()
    DBTaskResult.objects.update(enqueued_at=timezone.now() - dt.timedelta(seconds=90))
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["database"] == {"ok": True}
    assert body["queue"]["waiting"] == 1
    assert body["queue"]["oldest_waiting_seconds"] >= 90
    assert {"running", "stale", "dead_letters", "workers"} <= set(body["queue"])


def test_readyz_answers_503_when_the_database_is_gone_and_healthz_still_answers(client, db, monkeypatch):
    class Gone:
        def cursor(self):
            raise OperationalError("connection refused")

    monkeypatch.setattr(views, "connection", Gone())
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "database": {"ok": False, "error": "OperationalError"},
    }
    assert client.get("/healthz").status_code == 200
