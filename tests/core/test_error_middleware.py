"""Service errors become pages in one place (``tongban.core.middleware``)."""

import pytest
from django.test import override_settings

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.core.error_urls")]


def test_not_found_is_the_sites_404_page(client):
    response = client.get("/missing/")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


def test_permission_denied_is_a_403_with_the_services_message(client):
    response = client.get("/forbidden/")
    assert response.status_code == 403
    body = response.content.decode()
    assert "只有申请人本人可以撤回。" in body
    assert "无权办理" in body


def test_invalid_input_not_shown_by_a_form_is_a_400_with_its_message(client):
    response = client.get("/invalid/")
    assert response.status_code == 400
    assert "撤回原因不能超过 200 字。" in response.content.decode()


def test_a_view_without_errors_is_untouched(client):
    response = client.get("/fine/")
    assert response.status_code == 200
    assert response.content == b"ok"


@override_settings(DEBUG_PROPAGATE_EXCEPTIONS=False)
def test_other_exceptions_are_not_swallowed(client):
    client.raise_request_exception = True
    with pytest.raises(ValueError, match="not a service error"):
        client.get("/broken/")
