"""The demo's step list: other apps add loaders; --only / --skip choose among them."""

import pytest

import tongban.demo as demo_steps

CALLS: list[tuple[str, dict]] = []


def record_step(**kwargs):
    CALLS.append(("record", kwargs))
    return "记录完成"


def other_step(**kwargs):
    CALLS.append(("other", kwargs))
    return "其他完成"


@pytest.fixture
def fake_steps(monkeypatch):
    CALLS.clear()
    monkeypatch.setattr(
        demo_steps,
        "STEPS",
        [("record", f"{__name__}.record_step"), ("other", f"{__name__}.other_step")],
    )


def test_steps_run_in_order_with_the_options_and_print_timings(fake_steps):
    lines = []
    timings = demo_steps.run_steps(scale="province", min_items=7, province="50", out=lines.append)
    assert [name for name, _kwargs in CALLS] == ["record", "other"]
    assert CALLS[0][1] | {"out": None} == {"scale": "province", "min_items": 7, "province": "50", "out": None}
    assert list(timings) == ["record", "other"]
    assert lines[0].startswith("[record] 记录完成（") and lines[0].endswith("秒）")


def test_only_and_skip_choose_steps(fake_steps):
    demo_steps.run_steps(only=["other"])
    demo_steps.run_steps(skip=["other"])
    assert [name for name, _kwargs in CALLS] == ["other", "record"]


def test_the_catalogue_steps_are_registered_with_search_then_statistics_last():
    assert demo_steps.step_names()[:2] == ["regions", "catalog"]
    assert demo_steps.step_names()[-2:] == ["search", "statistics"]
