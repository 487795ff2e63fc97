"""Completeness of the data-access log for background work (issue 14): run the 免申即享
sweep (``tongban tick``'s ``offers.sweep_all``) with every SQL query captured; each query that
reads the population registry's identifying columns must be matched by log rows, written by
the same task, for every person the task read — with a system actor and a purpose."""

import datetime as dt

import pytest
from django.db import connection

from tests.factories import PublishedItemFactory
from tests.sharing.test_completeness import Capture
from tests.workflow import dmn_world
from tests.workflow.dmn_world import grant_population, person, publish
from tests.workflow.test_dmn_offers import ELDERLY
from tongban.decisions import offers
from tongban.decisions.models import Policy
from tongban.registries.models import DataAccessLog, PopulationRecord
from tongban.registries.validators import make_id_number

world = dmn_world.world


@pytest.fixture
def policy(world):
    grant_population(world["department"])
    publish("policy:elderly", ELDERLY, world["department"], name="高龄津贴")
    item = PublishedItemFactory(
        name="高龄津贴发放", department=world["department"], case_kind="1", promised_limit=0, item_type="05"
    )
    return Policy.objects.create(code="GLJT", name="高龄津贴", item=item, table_key="policy:elderly")


def test_the_sweep_task_logs_every_registry_read(policy):
    for i, birth in enumerate((dt.date(1940, 1, 1), dt.date(1980, 1, 1), dt.date(2000, 6, 1)), start=1):
        person(make_id_number("511602", birth, i), name=f"居民{i}", birth=birth)
    before = DataAccessLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    capture = Capture(None)
    with connection.execute_wrapper(capture):
        offers.sweep_all()
    reads = [r for r in capture.reads if r[0] == "registries_populationrecord"]
    assert reads, "the sweep read no registry data: nothing was checked"
    logged = DataAccessLog.objects.filter(pk__gt=before)
    read_people = set(PopulationRecord.objects.values_list("pk", flat=True))
    assert set(logged.values_list("person_id", flat=True)) >= read_people
    screening = logged.filter(purpose__contains="资格筛查")
    assert screening.count() == len(read_people)
    assert set(screening.values_list("accessor_id", "accessor_label")) == {(None, "通办平台·免申即享筛查")}
    sites = {site for _table, site, _sql in reads}
    print(
        f"\ntask completeness: sweep_all, {len(reads)} registry reads from {len(sites)} query sites: {sites}"
    )
