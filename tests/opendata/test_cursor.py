"""Paging the published case statistics by position: the snapshot's rows are numbered in its
order, pages read ``seq > n`` instead of skipping rows, and a ``cursor`` walks the whole dataset
(refused, in Chinese, when malformed, when it belongs to an earlier snapshot, or with ``page``)."""

import base64
import datetime as dt
import re

import pytest

from tongban.opendata import selectors, services
from tongban.opendata.models import StatisticsRow
from tongban.supervision.models import IndicatorCell

pytestmark = pytest.mark.django_db

ROWS = "/api/v1/opendata/datasets/case-statistics/rows"


@pytest.fixture
def snapshot(stats_world):
    """The stats world plus October for two items: 7 rows in November, 3 in October."""
    for item in stats_world["items"][:2]:
        IndicatorCell.objects.create(
            region_code=item.region_code,
            department_id=item.department_id,
            item_id=item.pk,
            month=dt.date(2026, 10, 1),
            received=12,
            accepted=12,
        )
    assert services.rebuild_statistics() == 10
    return stats_world


def _keys(rows: list[dict]) -> list[tuple]:
    return [(r["month"], r["department_code"], r["row_kind"], r["item_code"]) for r in rows]


def _walk(client, query: str, size: int) -> tuple[list[dict], list[dict]]:
    """Every row by cursor, and the answers read."""
    answers, rows, cursor = [], [], None
    while True:
        url = f"{ROWS}?page_size={size}{query}" + (f"&cursor={cursor}" if cursor else "")
        answer = client.get(url)
        assert answer.status_code == 200, answer.content
        data = answer.json()
        answers.append(data)
        rows += data["rows"]
        cursor = data["next_cursor"]
        if cursor is None:
            return rows, answers


def test_rows_are_numbered_in_the_snapshot_order(snapshot):
    rows = list(StatisticsRow.objects.order_by("seq"))
    assert [r.seq for r in rows] == list(range(1, 11))
    order = [(-r.month.toordinal(), r.region_code, r.department_code, r.kind, r.item_code) for r in rows]
    assert order == sorted(order)
    assert rows[0].month == dt.date(2026, 11, 1) and rows[-1].month == dt.date(2026, 10, 1)


def test_pages_by_number_are_the_snapshot_in_order(client, snapshot):
    expected = list(StatisticsRow.objects.order_by("seq").values_list("item_code", flat=True))
    seen = []
    for page in (1, 2, 3, 4):
        data = client.get(f"{ROWS}?page_size=3&page={page}").json()
        assert data["page"] == page and data["pages"] == 4 and data["total"] == 10
        seen += [r["item_code"] for r in data["rows"]]
        assert (data["next_cursor"] is None) == (page == 4)
    assert seen == expected


def test_a_cursor_walks_every_row_once(client, snapshot):
    by_page = [r for p in (1, 2, 3, 4) for r in client.get(f"{ROWS}?page_size=3&page={p}").json()["rows"]]
    rows, answers = _walk(client, "", 3)
    assert rows == by_page
    assert [len(a["rows"]) for a in answers] == [3, 3, 3, 1]
    assert all(a["page"] is None for a in answers[1:])  # asked by cursor: no page number
    assert all(a["total"] == 10 for a in answers)


def test_a_cursor_keeps_the_filter(client, snapshot):
    big = snapshot["items"][0]
    rows, _answers = _walk(client, "&region=5116", 2)
    assert len(rows) == 10
    rows, _answers = _walk(client, f"&item={big.code}", 1)
    assert _keys(rows) == [
        ("2026-11", rows[0]["department_code"], "事项", big.code),
        ("2026-10", rows[0]["department_code"], "事项", big.code),
    ]
    rows, _answers = _walk(client, "&month=2026-10", 2)
    assert [r["month"] for r in rows] == ["2026-10"] * 3


def test_a_last_full_page_has_no_cursor(client, snapshot):
    data = client.get(f"{ROWS}?page_size=10").json()
    assert len(data["rows"]) == 10 and data["next_cursor"] is None


@pytest.mark.parametrize(
    "cursor",
    [
        "abc",
        "!!!",
        base64.urlsafe_b64encode(b"12.x").decode(),
        base64.urlsafe_b64encode(b"-1.5").decode(),
        "x" * 80,
        "%E4%BD%A0%E5%A5%BD",
    ],
)
def test_a_bad_cursor_is_refused_in_chinese(client, snapshot, cursor):
    response = client.get(f"{ROWS}?cursor={cursor}")
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid_parameters" and body["field"] == "cursor"
    assert "cursor 无效" in body["message"] and "next_cursor" in body["message"]


def test_a_cursor_of_an_earlier_snapshot_is_refused(client, snapshot):
    cursor = client.get(f"{ROWS}?page_size=3").json()["next_cursor"]
    assert client.get(f"{ROWS}?page_size=3&cursor={cursor}").status_code == 200
    services.rebuild_statistics()
    response = client.get(f"{ROWS}?page_size=3&cursor={cursor}")
    assert response.status_code == 422
    assert "重新生成" in response.json()["message"] and "第一页" in response.json()["message"]


def test_cursor_and_page_together_are_refused(client, snapshot):
    cursor = client.get(f"{ROWS}?page_size=3").json()["next_cursor"]
    response = client.get(f"{ROWS}?page_size=3&page=2&cursor={cursor}")
    assert response.status_code == 422
    assert re.search(r"cursor 与 page 不能同时使用", response.json()["message"])


def test_a_dataset_without_a_snapshot_has_no_cursor(client, snapshot):
    data = client.get("/api/v1/opendata/datasets/holidays/rows?page_size=5").json()
    assert data["next_cursor"] is None and data["page"] == 1
    response = client.get("/api/v1/opendata/datasets/holidays/rows?cursor=abc")
    assert response.status_code == 422 and "不支持 cursor" in response.json()["message"]


def test_deep_filtered_pages_are_capped(client, snapshot, monkeypatch):
    monkeypatch.setattr(selectors, "FILTERED_OFFSET_MAX", 4)
    assert client.get(f"{ROWS}?region=5116&page_size=2&page=2").status_code == 200
    response = client.get(f"{ROWS}?region=5116&page_size=2&page=3")
    assert response.status_code == 422
    assert "next_cursor" in response.json()["message"] and "下载" in response.json()["message"]
    # Unfiltered pages are read by position, never capped; a cursor goes past the cap.
    assert client.get(f"{ROWS}?page_size=2&page=5").json()["rows"]
    rows, _answers = _walk(client, "&region=5116", 2)
    assert len(rows) == 10
    page = client.get("/opendata/case-statistics/?region=5116&page=400")
    assert page.status_code == 422 and "next_cursor" in page.content.decode()
