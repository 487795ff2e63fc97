"""The hash-chained audit log: appending, refusals, tamper detection, processes, the command."""

import datetime as dt
import hashlib
import json
import subprocess
import sys
import time
from contextlib import contextmanager
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from tests.cases import conftest as case_fixtures
from tests.certificates import conftest as certificate_fixtures
from tests.factories import UserFactory
from tongban.core import audit
from tongban.core.models import GENESIS, AppendOnlyError, AuditEntry, AuditHead

pytestmark = pytest.mark.django_db

world = case_fixtures.world  # the cases fixture: department, item, applicant and staff
_fast_password_hashing = case_fixtures._fast_password_hashing
licence_type = certificate_fixtures.licence_type
issued = certificate_fixtures.issued


def _chain(n: int = 5) -> list[AuditEntry]:
    return [
        audit.append("test.step", summary={"n": i}, object_type="test.thing", object_id=str(i))
        for i in range(n)
    ]


def _sql(statement: str, params: list | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


@contextmanager
def _guard_dropped():
    """Remove the triggers inside the test's transaction (both databases roll DDL back)."""
    if connection.vendor == "postgresql":
        _sql("DROP TRIGGER core_auditentry_append_only ON core_auditentry")
        _sql("DROP TRIGGER core_auditentry_no_truncate ON core_auditentry")
    else:
        _sql("DROP TRIGGER core_auditentry_no_update")
        _sql("DROP TRIGGER core_auditentry_no_delete")
    yield


# ------------------------------------------------------------------ building the chain


def test_entries_form_a_gapless_chain_that_verifies():
    entries = _chain(5)
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
    assert entries[0].prev_hash == GENESIS
    assert all(later.prev_hash == earlier.hash for earlier, later in zip(entries, entries[1:], strict=False))
    assert all(AuditEntry.objects.get(seq=e.seq).compute_hash() == e.hash for e in entries)
    head = AuditHead.objects.get(pk=1)
    assert (head.seq, head.hash) == (5, entries[-1].hash)
    report = audit.verify_chain()
    assert report.ok and report.checked == 5 and report.seq is None


def test_several_entries_appended_at_once_are_consecutive_links_that_verify():
    user = UserFactory()
    first = audit.append("test.one", actor=user, summary={"n": 0})
    batch = audit.append_many(
        [
            {"action": "test.many", "actor": user, "summary": {"n": n, "mobile": "13800000000"}}
            for n in (1, 2, 3)
        ]
    )
    assert [e.seq for e in batch] == [2, 3, 4]
    assert batch[0].prev_hash == first.hash
    assert all(later.prev_hash == earlier.hash for earlier, later in zip(batch, batch[1:], strict=False))
    assert all(e.actor_id == str(user.pk) and e.summary["mobile"] != "13800000000" for e in batch)
    head = AuditHead.objects.get(pk=1)
    assert (head.seq, head.hash) == (4, batch[-1].hash)
    assert audit.append_many([]) == []
    assert audit.verify_chain().ok and audit.verify_chain().checked == 4


def test_empty_log_verifies_with_nothing_checked():
    report = audit.verify_chain()
    assert report.ok and report.checked == 0


def test_hash_is_sha256_over_sorted_key_json_of_every_field():
    entry = audit.append("test.hash", summary={"b": 2, "a": "一"})
    stored = AuditEntry.objects.get(seq=entry.seq)
    payload = {
        "seq": stored.seq,
        "at": stored.at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "actor_id": "",
        "actor_label": "系统",
        "on_behalf_of": "",
        "action": "test.hash",
        "object_type": "",
        "object_id": "",
        "summary": {"a": "一", "b": 2},
        "prev_hash": GENESIS,
    }
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert stored.hash == hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_actor_object_and_enterprise_are_recorded():
    from tests.identity.factories import enterprise_for, verified_citizen
    from tongban.identity.actors import Actor

    user = verified_citizen()
    enterprise = enterprise_for(user)
    entry = audit.append("test.act", actor=Actor(user=user, enterprise=enterprise), obj=enterprise)
    assert (entry.actor_id, entry.actor_label, entry.on_behalf_of) == (
        str(user.pk),
        user.real_name,
        enterprise.name,
    )
    assert (entry.object_type, entry.object_id) == ("identity.enterpriseaccount", str(enterprise.pk))
    plain = audit.append("test.act", actor=user, on_behalf_of="")
    assert (plain.actor_label, plain.on_behalf_of) == (user.real_name, "")
    system = audit.append("test.act")
    assert (system.actor_id, system.actor_label) == ("", "系统")


def test_summary_keeps_no_secrets_and_masks_personal_identifiers():
    entry = audit.append(
        "test.clean",
        summary={
            "password": "Strong-pass-123",
            "sms_code": "123456",
            "access_token": "abc",
            "nested": {"otp": "654321", "id_number": "510602199001011234"},
            "mobile": "13812345678",
            "email": "zhangsan@example.cn",
            "note": "申请人身份证 510602199001011234，电话 13912345678",
            "case": "510100-20261101-000001",
            "code": "11510100MB0000000X4000111000000",
            "amount": 12.5,
        },
    )
    stored = AuditEntry.objects.get(seq=entry.seq).summary
    flat = json.dumps(stored, ensure_ascii=False)
    for secret in (
        "Strong-pass-123",
        "123456",
        "abc",
        "654321",
        "510602199001011234",
        "13812345678",
        "13912345678",
    ):
        assert secret not in flat
    assert stored["password"] == stored["sms_code"] == stored["access_token"] == audit.REMOVED
    assert stored["nested"] == {"otp": audit.REMOVED, "id_number": "5106**********1234"}
    assert stored["mobile"] == "138****5678"
    assert stored["email"] == "z***n@example.cn"
    assert stored["note"] == "申请人身份证 5106**********1234，电话 139****5678"
    assert stored["case"] == "510100-20261101-000001"  # case numbers and item codes are not identifiers
    assert stored["code"] == "11510100MB0000000X4000111000000"
    assert stored["amount"] == 12.5
    assert audit.verify_chain().ok


def test_actor_label_never_shows_a_full_mobile_number():
    user = UserFactory(username="13812345678", real_name="")
    assert audit.append("test.act", actor=user).actor_label == "138****5678"


def test_entry_rolls_back_with_the_change_it_records_and_the_number_is_reused():
    first = audit.append("test.kept")
    with pytest.raises(RuntimeError), transaction.atomic():
        audit.append("test.lost")
        raise RuntimeError("the change failed")
    assert list(AuditEntry.objects.values_list("action", flat=True)) == ["test.kept"]
    assert AuditHead.objects.get(pk=1).seq == first.seq
    assert audit.append("test.next").seq == first.seq + 1
    assert audit.verify_chain().ok


def test_missing_head_row_is_rebuilt_from_the_last_entry():
    entries = _chain(2)
    AuditHead.objects.all().delete()
    rebuilt = audit.append("test.after")
    assert (rebuilt.seq, rebuilt.prev_hash) == (3, entries[-1].hash)
    assert audit.verify_chain().ok


# ------------------------------------------------------------------ refusals


def test_orm_refuses_changing_or_deleting_entries():
    entry = _chain(1)[0]
    stored = AuditEntry.objects.get(seq=entry.seq)
    stored.action = "changed"
    with pytest.raises(AppendOnlyError):
        stored.save()
    with pytest.raises(AppendOnlyError):
        stored.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(seq=entry.seq).update(action="changed")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.bulk_create([AuditEntry(seq=99, action="x", prev_hash=GENESIS, hash="f" * 64)])
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.bulk_update([stored], ["action"])
    assert AuditEntry.objects.get(seq=entry.seq).action == "test.step"


@pytest.mark.parametrize(
    "statement",
    [
        "DELETE FROM core_auditentry WHERE seq = 3",
        "DELETE FROM core_auditentry",
        "UPDATE core_auditentry SET action = 'changed' WHERE seq = 3",
        "UPDATE core_auditentry SET summary = '{}'",
    ],
)
def test_database_refuses_update_and_delete(statement):
    _chain(5)
    assert audit.guard_installed()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        _sql(statement)
    assert AuditEntry.objects.count() == 5
    assert audit.verify_chain().ok


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE exists on PostgreSQL only")
def test_postgresql_refuses_truncate():
    _chain(2)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        _sql("TRUNCATE core_auditentry")
    assert AuditEntry.objects.count() == 2


# ------------------------------------------------------------------ tamper detection

TAMPER = {
    "at": ("UPDATE core_auditentry SET at = %s WHERE seq = 3", ["2020-01-01T00:00:00+00:00"]),
    "actor_id": ("UPDATE core_auditentry SET actor_id = '42' WHERE seq = 3", None),
    "actor_label": ("UPDATE core_auditentry SET actor_label = '李四' WHERE seq = 3", None),
    "on_behalf_of": ("UPDATE core_auditentry SET on_behalf_of = '别的公司' WHERE seq = 3", None),
    "action": ("UPDATE core_auditentry SET action = 'test.other' WHERE seq = 3", None),
    "object_type": ("UPDATE core_auditentry SET object_type = 'cases.case' WHERE seq = 3", None),
    "object_id": ("UPDATE core_auditentry SET object_id = '999' WHERE seq = 3", None),
    "summary": ("UPDATE core_auditentry SET summary = %s WHERE seq = 3", ['{"n": 99}']),
    "summary_extra_key": ("UPDATE core_auditentry SET summary = %s WHERE seq = 3", ['{"n": 2, "x": 1}']),
    "prev_hash": ("UPDATE core_auditentry SET prev_hash = %s WHERE seq = 3", [GENESIS]),
    "hash": ("UPDATE core_auditentry SET hash = %s WHERE seq = 3", ["f" * 64]),
    "seq": ("UPDATE core_auditentry SET seq = 1000 WHERE seq = 3", None),
}


@pytest.mark.parametrize("field", sorted(TAMPER))
def test_changing_any_stored_field_names_that_entry(field):
    _chain(5)
    statement, params = TAMPER[field]
    with _guard_dropped():
        _sql(statement, params)
    report = audit.verify_chain()
    assert not report.ok
    assert report.seq == 3, report.problem
    assert "第 3 条" in report.problem
    assert report.checked == 2


def test_a_consistent_rewrite_of_one_entry_still_breaks_the_next_link():
    """Recomputing the changed entry's own hash does not help: the next entry points at the old one."""
    entries = _chain(5)
    forged = AuditEntry.objects.get(seq=3)
    forged.action = "test.forged"
    new_hash = forged.compute_hash()
    with _guard_dropped():
        _sql("UPDATE core_auditentry SET action = 'test.forged', hash = %s WHERE seq = 3", [new_hash])
    report = audit.verify_chain()
    assert (report.seq, report.checked) == (4, 3)
    assert entries[3].prev_hash != new_hash


def test_forced_delete_of_a_middle_entry_is_reported_as_a_gap():
    _chain(5)
    with _guard_dropped():
        _sql("DELETE FROM core_auditentry WHERE seq = 3")
    report = audit.verify_chain()
    assert (report.seq, report.checked) == (3, 2)
    assert "第 3 条审计记录缺失" in report.problem


def test_forced_delete_of_the_last_entries_is_caught_by_the_head():
    _chain(5)
    with _guard_dropped():
        _sql("DELETE FROM core_auditentry WHERE seq >= 4")
    report = audit.verify_chain()
    assert (report.seq, report.checked) == (4, 3)
    assert "链头指向第 5 条" in report.problem


@pytest.mark.parametrize("chunk_size", [1, 2, 7, 50])
def test_verify_reads_the_log_in_pages_of_any_size(chunk_size):
    _chain(7)
    assert audit.verify_chain(chunk_size=chunk_size).checked == 7
    with _guard_dropped():
        _sql("DELETE FROM core_auditentry WHERE seq = 5")
    assert audit.verify_chain(chunk_size=chunk_size).seq == 5


@pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL's timestamp type refuses such text")
def test_an_unreadable_stored_time_names_the_entry():
    _chain(3)
    with _guard_dropped():
        _sql("UPDATE core_auditentry SET at = 'not a time' WHERE seq = 2")
    report = audit.verify_chain()
    assert (report.seq, report.checked) == (2, 1)


# ------------------------------------------------------------------ the command


def _run(*args):
    out, err = StringIO(), StringIO()
    call_command("audit", *args, stdout=out, stderr=err)
    return out.getvalue()


def test_verify_command_reports_the_count_and_succeeds():
    _chain(3)
    out = _run("verify")
    assert "已核对 3 条审计记录" in out and "哈希链完整" in out


def test_verify_command_fails_naming_the_broken_entry():
    _chain(3)
    with _guard_dropped():
        _sql("UPDATE core_auditentry SET actor_label = 'x' WHERE seq = 2")
        with pytest.raises(CommandError, match="第 2 条审计记录的内容与哈希不符"):
            _run("verify")


def test_verify_command_fails_when_the_triggers_are_gone():
    _chain(2)
    with _guard_dropped(), pytest.raises(CommandError, match="触发器"):
        _run("verify")
    assert not audit.guard_installed()


def test_tail_shows_the_last_entries_oldest_first():
    user = UserFactory(username="tail-user", real_name="赵六")
    for i in range(5):
        audit.append("test.tail", actor=user, summary={"n": i}, object_type="test.thing", object_id=str(i))
    lines = _run("tail", "-n", "2").splitlines()
    assert [line.split("\t")[0] for line in lines] == ["4", "5"]
    assert (
        "赵六" in lines[0] and "test.tail" in lines[0] and "test.thing#3" in lines[0] and '"n": 3' in lines[0]
    )
    assert len(_run("tail").splitlines()) == 5


def test_admin_is_read_only(staff_admin_client):
    entry = _chain(1)[0]
    assert staff_admin_client.get("/admin/core/auditentry/").status_code == 200
    assert staff_admin_client.get(f"/admin/core/auditentry/{entry.seq}/change/").status_code == 200
    assert staff_admin_client.get("/admin/core/auditentry/add/").status_code == 403
    assert (
        staff_admin_client.post(f"/admin/core/auditentry/{entry.seq}/delete/", {"post": "yes"}).status_code
        == 403
    )
    response = staff_admin_client.post(f"/admin/core/auditentry/{entry.seq}/change/", {"action": "changed"})
    assert response.status_code == 403
    assert AuditEntry.objects.get(seq=entry.seq).action == "test.step"


@pytest.mark.django_db(transaction=True)
def test_flush_empties_the_log_and_puts_the_triggers_back():
    _chain(3)
    call_command("flush", interactive=False, verbosity=0)
    assert AuditEntry.objects.count() == 0
    assert audit.guard_installed()
    assert audit.append("test.after_flush").seq == 1
    assert audit.verify_chain().ok


# ------------------------------------------------------------------ separate OS processes

APPEND = """
import os, sys, time
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongban.settings")
django.setup()
from django.db import transaction
from tongban.core import audit
name, count, start_at = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
while time.time() < start_at:
    time.sleep(0.001)
for i in range(count):
    with transaction.atomic():
        audit.append("test.concurrent", summary={"process": name, "i": i})
print("done")
"""


def _cli(env, *args):
    return subprocess.run(
        [sys.executable, "-m", "tongban", "audit", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
def test_two_processes_appending_at_once_build_one_unbroken_chain(external_db):
    count = 60
    start_at = time.time() + 4  # both interpreters are up and waiting before this instant
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", APPEND, name, str(count), str(start_at)],
            env=external_db,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("a", "b")
    ]
    for proc in procs:
        out, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err[-3000:]
        assert out.strip() == "done"
    result = _cli(external_db, "verify")
    assert result.returncode == 0, result.stderr
    assert f"已核对 {2 * count} 条审计记录" in result.stdout
    tail = _cli(external_db, "tail", "-n", str(2 * count)).stdout.splitlines()
    assert [int(line.split("\t")[0]) for line in tail] == list(range(1, 2 * count + 1))
    by_process = {"a": [], "b": []}
    for line in tail:
        summary = json.loads(line.split("\t")[-1])
        by_process[summary["process"]].append(summary["i"])
    assert by_process == {"a": list(range(count)), "b": list(range(count))}


TAMPER_SCRIPT = """
import os, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongban.settings")
django.setup()
from django.db import connection
with connection.cursor() as cursor:
    if connection.vendor == "postgresql":
        cursor.execute("ALTER TABLE core_auditentry DISABLE TRIGGER core_auditentry_append_only")
        cursor.execute("UPDATE core_auditentry SET on_behalf_of = 'forged' WHERE seq = 2")
        cursor.execute("ALTER TABLE core_auditentry ENABLE TRIGGER core_auditentry_append_only")
    else:
        cursor.execute("DROP TRIGGER core_auditentry_no_update")
        cursor.execute("UPDATE core_auditentry SET on_behalf_of = 'forged' WHERE seq = 2")
"""


@pytest.mark.slow
def test_command_exit_codes(external_db):
    setup = (
        "import os,django;os.environ.setdefault('DJANGO_SETTINGS_MODULE','tongban.settings');django.setup()"
    )
    seed = (
        setup
        + ";from tongban.core import audit;[audit.append('test.cli', summary={'i': i}) for i in range(3)]"
    )
    subprocess.run([sys.executable, "-c", seed], env=external_db, check=True, timeout=120)
    ok = _cli(external_db, "verify")
    assert ok.returncode == 0 and "已核对 3 条审计记录" in ok.stdout and "哈希链完整" in ok.stdout
    subprocess.run([sys.executable, "-c", TAMPER_SCRIPT], env=external_db, check=True, timeout=120)
    broken = _cli(external_db, "verify")
    assert broken.returncode == 1
    assert "已核对 1 条审计记录" in broken.stdout
    assert "第 2 条审计记录的内容与哈希不符" in broken.stderr


# ------------------------------------------------------------------ wired into the services


def _actions(prefix: str) -> list[str]:
    return list(
        AuditEntry.objects.filter(action__startswith=prefix).order_by("seq").values_list("action", flat=True)
    )


def test_case_events_and_ratings_are_chained(world, django_capture_on_commit_callbacks):
    from tests.cases.conftest import staff
    from tests.cases.test_flow import submitted_case
    from tests.factories import DepartmentFactory
    from tongban.cases import services as case_services
    from tongban.ratings import services as rating_services

    w = world
    case = submitted_case(w)
    submit = AuditEntry.objects.get(action="cases.submit")
    assert (submit.object_type, submit.object_id) == ("cases.case", str(case.pk))
    assert submit.actor_id == str(w["applicant"].pk)
    assert submit.summary["number"] == case.number and submit.summary["to"] == case.status
    reason = "不属于本机关职权范围，电话 13912345678。"
    case_services.refuse_case(actor=w["intake"], case=case, reason=reason)
    refuse = AuditEntry.objects.get(action="cases.refuse")
    assert refuse.actor_label == w["intake"].display_name
    assert refuse.summary["opinion_sha256"] == audit.digest(reason)
    assert "13912345678" not in json.dumps(refuse.summary)
    case.refresh_from_db()

    rating = rating_services.rate_case(user=w["applicant"], case=case, level=1, comment="材料要求太多")
    rect = rating.rectification
    rating_services.record_callback(actor=w["intake"], rectification=rect, note="已电话联系申请人。")
    with django_capture_on_commit_callbacks(execute=True):
        rating_services.complete_rectification(actor=w["intake"], rectification=rect, outcome="精简了材料。")
    appeal = rating_services.file_appeal(
        actor=w["intake"], rating=rating, reason="申请人在评价中辱骂工作人员，与办件无关。"
    )
    supervisor = staff(DepartmentFactory(name="区政务服务管理局"), "supervisor")
    rating_services.decide_appeal(actor=supervisor, appeal=appeal, upheld=False, note="评价属实。")
    assert _actions("ratings.") == [
        "ratings.rate_case",
        "ratings.callback",
        "ratings.rectified",
        "ratings.appeal_filed",
        "ratings.appeal_decided",
    ]
    decided = AuditEntry.objects.get(action="ratings.appeal_decided")
    assert (decided.object_type, decided.object_id, decided.summary["status"]) == (
        "ratings.appeal",
        str(appeal.pk),
        "rejected",
    )
    assert "材料要求太多" not in json.dumps(AuditEntry.objects.get(action="ratings.rate_case").summary)
    assert audit.verify_chain().ok


def test_a_refused_case_action_leaves_no_entry(world):
    from tests.cases.test_flow import submitted_case
    from tongban.cases import services as case_services
    from tongban.core.errors import ServiceError

    case = submitted_case(world)
    before = AuditEntry.objects.count()
    with pytest.raises(ServiceError):
        case_services.refuse_case(actor=world["outsider"], case=case, reason="无权处理的人员不能不予受理。")
    assert AuditEntry.objects.count() == before
    assert audit.verify_chain().ok


def test_catalogue_changes_are_chained():
    from tests.catalog.test_services import item_data
    from tests.factories import DepartmentFactory, SuperUserFactory, region_chain
    from tongban.catalog import services as catalog_services

    admin = SuperUserFactory()
    item = catalog_services.create_item(
        actor=admin, data=item_data(DepartmentFactory(region=region_chain("511602")))
    )
    catalog_services.update_item(actor=admin, item=item, data={"name": "食品经营许可（新办）"})
    catalog_services.publish_item(actor=admin, item=item)
    catalog_services.withdraw_item(actor=admin, item=item, reason="法律依据已废止")
    assert _actions("catalog.") == ["catalog.create", "catalog.update", "catalog.publish", "catalog.withdraw"]
    update = AuditEntry.objects.get(action="catalog.update")
    assert update.summary["fields"] == ["name"] and update.summary["version"] == 2
    assert (update.object_type, update.object_id, update.actor_id) == (
        "catalog.serviceitem",
        str(item.pk),
        str(admin.pk),
    )
    assert AuditEntry.objects.get(action="catalog.withdraw").summary["to"] == "withdrawn"
    assert audit.verify_chain().ok


def test_identity_actions_are_chained_with_the_enterprise():
    from tests.identity.factories import enterprise_for, verified_citizen
    from tongban.identity.actors import Actor
    from tongban.identity.audit import record_action

    user = verified_citizen()
    enterprise = enterprise_for(user)
    record_action(
        Actor(user=user, enterprise=enterprise), "identity.test", target=enterprise, summary="授权经办人"
    )
    entry = AuditEntry.objects.get(action="identity.test")
    assert (entry.actor_id, entry.on_behalf_of, entry.summary["summary"]) == (
        str(user.pk),
        enterprise.name,
        "授权经办人",
    )
    assert audit.verify_chain().ok


def test_certificate_events_are_anchored_in_the_chain(issued):
    from tongban.certificates.models import CertificateEvent

    event = CertificateEvent.objects.get(certificate=issued, action="issued")
    entry = AuditEntry.objects.get(action="certificates.issued")
    assert (entry.object_type, entry.object_id) == ("certificates.certificate", str(issued.pk))
    # A holder's code that looks like an ID number is masked, like every ID number in the log.
    expected = {"identifier": audit.mask_text(issued.identifier), "event": event.pk, "event_hash": event.hash}
    assert entry.summary == expected
    from tongban.cases.models import CaseEvent

    events = list(CaseEvent.objects.order_by("pk").values_list("action", flat=True))
    assert _actions("cases.") == [f"cases.{action}" for action in events]  # every case event, in order
    assert len(events) >= 4
    assert audit.verify_chain().ok
