"""Never ask twice, and when the platform must ask after all, say why (issue 14, Build 6): the
upload page names the department that has not granted the data, or says the provider holds no
record of the applicant; with the grant in force the material is not asked and nothing is said."""

import pytest
from django.urls import reverse

from tests.factories import MaterialRequirementFactory, PublishedItemFactory
from tongban.cases import services as cases
from tongban.cases import steps
from tongban.registries.models import DataAccessLog
from tongban.sharing.models import SharedMaterial


@pytest.fixture
def item(world):
    item = PublishedItemFactory(
        name="社会保险登记", department=world.consumer, legal_limit=20, promised_limit=10
    )
    material = MaterialRequirementFactory(item=item, name="申请人居民身份证")
    SharedMaterial.objects.create(requirement=material, resource=world.population, fields=["name", "address"])
    item.material = material
    return item


def _draft(world, item):
    world.citizen.mobile = "13900000001"
    world.citizen.save()
    return cases.start_application(user=world.citizen, item=item)


def test_without_a_grant_the_page_names_the_department_that_has_not_granted(client, world, item):
    draft = _draft(world, item)
    note = steps.material_notes(draft)[item.material.pk]
    assert world.police.name in note and world.consumer.name in note and "尚未获得" in note
    client.force_login(world.citizen)
    page = client.get(reverse("cases:apply_materials", args=[draft.public_id]))
    assert page.status_code == 200
    assert note in page.content.decode()
    # Explaining reads no one's data.
    assert not DataAccessLog.objects.filter(channel="material").exists()


def test_with_a_grant_nothing_is_asked_and_nothing_explained(world, item, granted):
    draft = _draft(world, item)
    assert cases.missing_materials(draft) == []
    assert steps.material_notes(draft) == {}


def test_a_subject_the_provider_does_not_hold_is_explained(world, item, granted):
    world.person.delete()
    draft = _draft(world, item)
    assert cases.missing_materials(draft) == [item.material]
    note = steps.material_notes(draft)[item.material.pk]
    assert "没有查到您的记录" in note and world.police.name in note


def test_an_item_whose_own_department_provides_the_data_needs_no_note(world, item):
    item.department = world.police
    item.save()
    assert steps.material_notes(_draft(world, item)) == {}
