"""The read audit behind the access log's completeness test (issue 14) can fail: a planted
read of someone's registry record without a log row is reported as unmatched; the same read
through ``read_person`` (logged with a purpose) is a covered code path; a log row about another
person does not cover it; one's own record, an existence check and a key-only read are not
reads of someone else's personal data."""

import datetime as dt
import json

import pytest
from django.http import HttpResponse
from django.urls import path

from tests.factories import StaffUserFactory, UserFactory, login_verified, region_chain
from tongban.registries import selectors
from tongban.registries.models import PopulationRecord
from tongban.sharing import readaudit

pytestmark = pytest.mark.django_db

SUBJECT = "511602199003070010"
OTHER = "511602198501010013"


def planted(request):
    record = PopulationRecord.objects.get(id_number=SUBJECT)
    return HttpResponse(record.address)


def logged(request):
    record = selectors.read_person(SUBJECT, accessor=request.user, purpose="资格复核")
    return HttpResponse(record.address)


def logged_other(request):
    selectors.read_person(OTHER, accessor=request.user, purpose="资格复核")
    return HttpResponse(PopulationRecord.objects.get(id_number=SUBJECT).address)


def exists(request):
    found = PopulationRecord.objects.filter(id_number=SUBJECT).exists()
    keys = list(PopulationRecord.objects.filter(id_number=SUBJECT).values_list("pk", flat=True))
    return HttpResponse(f"{found} {keys}")


urlpatterns = [
    path("planted/", planted, name="planted"),
    path("logged/", logged, name="logged"),
    path("logged-other/", logged_other, name="logged-other"),
    path("exists/", exists, name="exists"),
]


@pytest.fixture
def audit(tmp_path, monkeypatch, settings):
    """The audit as the shipped server runs it: the middleware outermost, the file named by env."""
    target = tmp_path / "audit.jsonl"
    monkeypatch.setenv(readaudit.ENV, str(target))
    settings.MIDDLEWARE = ["tongban.sharing.readaudit.ReadAuditMiddleware", *settings.MIDDLEWARE]
    settings.ROOT_URLCONF = __name__
    region = region_chain("511602")
    for number, name in ((SUBJECT, "张三"), (OTHER, "李四")):
        PopulationRecord.objects.create(
            name=name,
            id_number=number,
            birth_date=dt.date(1990, 3, 7),
            sex="M",
            address="中心街1号",
            region=region,
        )
    return target


def _verdict(target):
    return readaudit.verdict(readaudit.read_lines(target)[0])


def _staff(client):
    user = StaffUserFactory(real_name="窗口人员")
    login_verified(client, user)
    return user


def test_a_planted_unlogged_read_fails_the_audit(audit, client):
    _staff(client)
    assert client.get("/planted/").status_code == 200
    found = _verdict(audit)
    assert len(found.unmatched) == 1
    kind, view, actor, table, site, why = found.unmatched[0]
    assert (kind, view, actor["kind"], table, why) == (
        "request",
        "planted",
        "staff",
        "registries_populationrecord",
        "no log row",
    )
    assert not site.startswith("registries/")  # the planted view, not the logged selector
    assert not found.paths


def test_an_anonymous_planted_read_fails_too(audit, client):
    client.get("/planted/")
    found = _verdict(audit)
    assert [u[2]["kind"] for u in found.unmatched] == ["anonymous"]


def test_a_logged_read_is_a_covered_path(audit, client):
    _staff(client)
    assert client.get("/logged/").status_code == 200
    found = _verdict(audit)
    assert found.unmatched == []
    assert {(view, table) for view, table, _site in found.paths} == {
        ("logged", "registries_populationrecord")
    }
    assert any(site.startswith("registries/selectors.py:") for _v, _t, site in found.paths)


def test_a_log_row_about_someone_else_does_not_cover_the_read(audit, client):
    _staff(client)
    client.get("/logged-other/")
    found = _verdict(audit)
    assert [u[-1] for u in found.unmatched] == [f"no log row for ['{SUBJECT}']"]


def test_the_subjects_own_record_and_key_only_reads_are_not_for_someone_else(audit, client):
    citizen = UserFactory(real_name="张三", id_number=SUBJECT, real_name_level=2)
    client.force_login(citizen)
    client.get("/planted/")
    client.get("/exists/")
    lines = readaudit.read_lines(audit)[0]
    assert [
        r["own"] for line in lines for r in line["reads"] if r["table"] == "registries_populationrecord"
    ] == [True]
    found = readaudit.verdict(lines)
    assert found.unmatched == [] and found.reads == 0


def test_a_background_task_is_audited(audit):
    class Result:
        class task:
            module_path = "tests.privacy.planted_task"

    readaudit.task_started(sender=None, task_result=Result)
    PopulationRecord.objects.get(id_number=SUBJECT)
    readaudit.task_finished(sender=None, task_result=Result)
    found = _verdict(audit)
    assert [(u[0], u[1], u[2]["kind"]) for u in found.unmatched] == [
        ("task", "tests.privacy.planted_task", "system")
    ]


def test_a_log_row_without_purpose_does_not_count():
    line = {
        "kind": "request",
        "name": "v",
        "actor": {"pk": 1, "kind": "staff"},
        "reads": [{"table": "cases_case", "columns": ["data"], "site": "x:1", "numbers": [], "own": False}],
        "logs": [{"number": SUBJECT, "purpose": ""}],
    }
    assert [u[-1] for u in readaudit.verdict([line]).unmatched] == ["no purpose"]
    line["logs"][0]["purpose"] = "受理审查"
    assert readaudit.verdict([line]).unmatched == [] and len(readaudit.verdict([line]).paths) == 1


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ('SELECT "registries_populationrecord"."id" FROM "registries_populationrecord" WHERE x', {}),
        (
            'SELECT (1) AS "a" FROM "registries_populationrecord" WHERE "registries_populationrecord"."name" = %s',
            {},
        ),
        (
            'SELECT "cases_case"."id", T3."id_number" FROM "cases_case" INNER JOIN "identity_user" T3 '
            'ON ("cases_case"."applicant_id" = T3."id")',
            {"identity_user": ["id_number"]},
        ),
        (
            'SELECT "cases_case"."id", T3."mobile" FROM "cases_case" INNER JOIN "identity_user" T3 '
            'ON ("cases_case"."assignee_id" = T3."id")',
            {},
        ),
        (
            'SELECT "certificates_certificate"."holder_number" FROM "certificates_certificate"',
            {"certificates_certificate": ["holder_number"]},
        ),
    ],
)
def test_personal_columns(sql, expected):
    assert readaudit.personal_columns(sql) == expected


def test_lines_are_read_whole(tmp_path):
    target = tmp_path / "a.jsonl"
    target.write_text(json.dumps({"a": 1}) + "\n" + '{"b"')
    lines, offset = readaudit.read_lines(target)
    assert lines == [{"a": 1}] and offset == len(json.dumps({"a": 1})) + 1


def test_a_task_acting_for_the_subject_is_not_a_read_for_someone_else(audit):
    class Result:
        class task:
            module_path = "tongban.notifications.tasks.notify_case"

    assert Result.task.module_path in readaudit.SUBJECT_TASKS
    readaudit.task_started(sender=None, task_result=Result)
    PopulationRecord.objects.get(id_number=SUBJECT)
    readaudit.task_finished(sender=None, task_result=Result)
    lines = readaudit.read_lines(audit)[0]
    assert [r["own"] for line in lines for r in line["reads"]] == [True]
    assert readaudit.verdict(lines).unmatched == []
