"""The reader's name in "who used my data" is the platform's one actor label (core.types)."""

import pytest

from tests.identity.factories import CitizenFactory, PopulationRecordFactory
from tongban.core.masking import mask_mobile
from tongban.registries.models import DataAccessLog
from tongban.registries.selectors import read_person

pytestmark = pytest.mark.django_db


def test_a_reader_without_a_real_name_is_named_by_a_masked_mobile_number():
    record = PopulationRecordFactory()
    reader = CitizenFactory(real_name="")
    read_person(record.id_number, accessor=reader, purpose="办件审核")
    label = DataAccessLog.objects.get().accessor_label
    assert label == mask_mobile(reader.mobile)
    assert reader.mobile not in label
