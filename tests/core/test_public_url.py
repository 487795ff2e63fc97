"""Absolute links and QR codes come from TONGBAN_PUBLIC_URL, which `tongban serve --port` (and so
`make run PORT=…`) sets from its port unless it was given (issue 10: QR codes pointed at 8000)."""

import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.urls import reverse

from tests.factories import PublishedItemFactory
from tongban.certificates.services import verify_url
from tongban.core.management.commands import serve
from tongban.core.public import public_reverse, public_url

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("host", "port", "expected"),
    [
        ("127.0.0.1", 8001, "http://127.0.0.1:8001"),
        ("0.0.0.0", 8123, "http://127.0.0.1:8123"),
        ("localhost", 9000, "http://localhost:9000"),
        ("::1", 8001, "http://[::1]:8001"),
    ],
)
def test_serve_derives_the_public_address_from_its_port(monkeypatch, host, port, expected):
    monkeypatch.delenv("TONGBAN_PUBLIC_URL", raising=False)
    assert serve.public_url_for(host, port) == expected


def test_a_configured_public_address_wins(monkeypatch):
    monkeypatch.setenv("TONGBAN_PUBLIC_URL", "https://zwfw.example.gov.cn")
    assert serve.public_url_for("127.0.0.1", 8001) == "https://zwfw.example.gov.cn"


def test_serve_hands_the_address_to_the_web_worker_and_tick(monkeypatch):
    monkeypatch.delenv("TONGBAN_PUBLIC_URL", raising=False)
    started = []
    monkeypatch.setattr(serve, "port_problem", lambda host, port: None)
    monkeypatch.setattr(serve, "call_command", lambda *a, **k: None)
    monkeypatch.setattr(serve.Child, "start", lambda self: started.append(self) or SimpleNamespace(pid=0))
    monkeypatch.setattr(serve.Command, "supervise", lambda self, children: None)
    call_command("serve", "--port", "8123", "--tick", "0", stdout=open("/dev/null", "w"))
    assert {c.name for c in started} == {"web", "worker"}
    assert {c.env["TONGBAN_PUBLIC_URL"] for c in started} == {"http://127.0.0.1:8123"}


def test_make_run_sets_the_address_from_port_unless_given():
    def public_address(*env: str) -> str:
        cmd = [
            "env",
            *env,
            "make",
            "--no-print-directory",
            "-o",
            "demo",
            "-o",
            "check-port",
            "run",
            "PORT=8123",
            'TONGBAN=sh -c "echo PUBLIC=$$TONGBAN_PUBLIC_URL" x',
        ]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=ROOT).stdout
        return next(line for line in out.splitlines() if line.startswith("PUBLIC="))[7:]

    assert public_address("-u", "TONGBAN_PUBLIC_URL") == "http://127.0.0.1:8123"
    assert public_address("TONGBAN_PUBLIC_URL=https://zwfw.example.gov.cn") == "https://zwfw.example.gov.cn"


def test_links_use_the_setting_not_the_request(settings):
    settings.TONGBAN_PUBLIC_URL = "https://zwfw.example.gov.cn/"
    assert public_url("/a/") == "https://zwfw.example.gov.cn/a/"
    assert public_reverse("cases:my_case", "X1") == "https://zwfw.example.gov.cn" + reverse(
        "cases:my_case", args=["X1"]
    )
    assert verify_url("1.2.3").startswith("https://zwfw.example.gov.cn/")


@pytest.mark.django_db
def test_the_guide_qr_code_encodes_the_public_address(client, settings):
    settings.TONGBAN_PUBLIC_URL = "http://127.0.0.1:8123"
    item = PublishedItemFactory()
    page = client.get(reverse("web:item", args=[item.code]), HTTP_HOST="testserver")
    assert page.context["own_url"] == f"http://127.0.0.1:8123/items/{item.code}/"
