import pytest

from tongban.regions.codes import RegionCodeError, ancestor_codes, normalize_region_code, to_code12


@pytest.mark.parametrize(
    ("given", "canonical"),
    [
        ("511602000000", "511602"),
        ("511602", "511602"),
        ("511600000000", "5116"),
        ("511600", "5116"),
        ("510000", "51"),
        ("510000000000", "51"),
        ("511602001000", "511602001"),
        ("511602001", "511602001"),
        ("511602001201", "511602001201"),
        (" 5116 ", "5116"),
    ],
)
def test_normalize_accepts_short_and_12_digit_forms(given, canonical):
    assert normalize_region_code(given) == canonical


@pytest.mark.parametrize("bad", ["", "5116a2", "51160", "1234567"])
def test_normalize_rejects_bad_codes(bad):
    with pytest.raises(RegionCodeError):
        normalize_region_code(bad)


def test_code12_and_ancestors():
    assert to_code12("511602") == "511602000000"
    assert ancestor_codes("511602001") == ["51", "5116", "511602", "511602001"]
