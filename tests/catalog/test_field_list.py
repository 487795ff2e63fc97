"""The importer's columns come from the one list of elements the catalogue services take
(``services.GUIDE_ELEMENTS``): a new element is imported and exported without a second list."""

from tongban.catalog import importer, services

KINDS = ("TEXT_COLUMNS", "INT_COLUMNS", "BOOL_COLUMNS", "CHOICE_COLUMNS", "LIST_COLUMNS")


def test_every_element_is_a_column_read_in_exactly_one_way():
    columns = [name for kind in KINDS for name in getattr(importer, kind)]
    assert sorted(columns) == sorted(("service_objects", *services.GUIDE_ELEMENTS))
    assert len(columns) == len(set(columns))
    assert set(columns) <= set(importer.LAYOUT_B)
    assert set(columns) <= set(services.SCALAR_FIELDS)


def test_each_column_is_read_as_its_field_is_stored():
    assert "is_charged" in importer.BOOL_COLUMNS
    assert "online_depth" in importer.INT_COLUMNS  # a number with choices, written Ⅰ–Ⅳ or 1–4
    assert "case_kind" in importer.CHOICE_COLUMNS
    assert "channels" in importer.LIST_COLUMNS
    assert "keywords" in importer.TEXT_COLUMNS
