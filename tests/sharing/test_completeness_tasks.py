"""Completeness of the data-access log for background work (issue 14): run the 免申即享
sweep (``tongban tick``'s ``offers.sweep_all``) with every SQL query captured; each query that
reads the population registry's identifying columns must be matched by log rows, written by
the same task, for every person the task read — with a system actor and a purpose."""

import datetime as dt

import pytest

from tests.factories import PublishedItemFactory
from tests.workflow import dmn_world
from tests.workflow.dmn_world import grant_population, person, publish
from tests.workflow.test_dmn_offers import ELDERLY
from tongban.decisions import offers
from tongban.decisions.models import Policy
from tongban.registries.models import DataAccessLog, PopulationRecord
from tongban.registries.validators import make_id_number
from tongban.sharing import readaudit

world = dmn_world.world


@pytest.fixture
def policy(world):
    grant_population(world["department"])
    publish("policy:elderly", ELDERLY, world["department"], name="高龄津贴")
    item = PublishedItemFactory(
        name="高龄津贴发放", department=world["department"], case_kind="1", promised_limit=0, item_type="05"
    )
    return Policy.objects.create(code="GLJT", name="高龄津贴", item=item, table_key="policy:elderly")


class SweepTask:
    class task:
        module_path = "tongban.decisions.offers.sweep_all"


def test_the_sweep_task_logs_every_registry_read(policy, tmp_path, monkeypatch):
    monkeypatch.setenv(readaudit.ENV, str(tmp_path / "audit.jsonl"))
    for i, birth in enumerate((dt.date(1940, 1, 1), dt.date(1980, 1, 1), dt.date(2000, 6, 1)), start=1):
        person(make_id_number("511602", birth, i), name=f"居民{i}", birth=birth)
    before = DataAccessLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    readaudit.task_started(sender=None, task_result=SweepTask)
    try:
        offers.sweep_all()
    finally:
        readaudit.task_finished(sender=None, task_result=SweepTask)
    lines = readaudit.read_lines(tmp_path / "audit.jsonl")[0]
    reads = [r for line in lines for r in line["reads"] if r["table"] == "registries_populationrecord"]
    assert reads, "the sweep read no registry data: nothing was checked"
    found = readaudit.verdict(lines)
    assert found.unmatched == [] and found.paths
    logged = DataAccessLog.objects.filter(pk__gt=before)
    read_people = set(PopulationRecord.objects.values_list("pk", flat=True))
    assert set(logged.values_list("person_id", flat=True)) >= read_people
    screening = logged.filter(purpose__contains="资格筛查")
    assert screening.count() == len(read_people)
    assert set(screening.values_list("accessor_id", "accessor_label")) == {(None, "通办平台·免申即享筛查")}
    sites = {r["site"] for r in reads}
    print(
        f"\ntask completeness: sweep_all, {len(reads)} registry reads from {len(sites)} query sites: {sites}"
    )
