"""The letter-wording pages in the shared authorization table: only 事项管理 staff of the
department (``staff`` holds every role there) may read, preview or change its wording."""

from django.urls import reverse

from tests.identity.authorization import ObjectURL, World, outsiders_test, owner_test, without_role_test


def _edit(w: World) -> str:
    return reverse("cases:document_template", args=[str(w.department.pk), w.item.item_type, "grant"])


def _preview(w: World) -> str:
    return reverse("cases:document_template_preview", args=[str(w.department.pk), w.item.item_type, "grant"])


ROWS = [
    ObjectURL(
        "page: letter wording of a department",
        "get",
        _edit,
        "staff",
        shows=lambda w: "准予行政许可决定书",
    ),
    ObjectURL(
        "page: save a letter wording",
        "post",
        _edit,
        "staff",
        data=lambda w: {"action": "save", "version": "0", "title": "准予许可决定书", "body": "{{ 申请人 }}"},
    ),
    ObjectURL(
        "page: preview a letter wording",
        "post",
        _preview,
        "staff",
        data=lambda w: {"title": "预览标题", "body": "{{ 实施机关 }}"},
        shows=lambda w: "预览标题",
        changes=False,
    ),
]

# The processing roles of the same department do not word its letters.
WITHOUT_ROLE = [
    ("page: save a letter wording", "intake"),
    ("page: save a letter wording", "decider"),
]

test_outsiders_are_refused = outsiders_test(ROWS)
test_the_owner_gets_through = owner_test(ROWS)
test_department_staff_without_the_role_change_nothing = without_role_test(ROWS, WITHOUT_ROLE)
