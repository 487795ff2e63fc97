"""``tongban sharing-system CLIENT_ID PUBLIC_KEY_HEX [--name NAME]``.

Lets a department system that is registered as an OIDC client (``tongban oidc-client create
--department ID …``) call the data-sharing exchange: records its Ed25519 assertion public key
(64 hexadecimal characters) against that client, for the client's department.
"""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tongban.core.errors import ServiceError
from tongban.identity.oidc.models import Client
from tongban.sharing.services import register_system


class Command(BaseCommand):
    help = "让已接入统一身份认证的部门系统接入数据共享交换（登记其客户端断言公钥）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("client_id", help="接入系统的 client_id（tongban oidc-client create 输出）")
        parser.add_argument("public_key", help="Ed25519 公钥，64 位十六进制")
        parser.add_argument("--name", default="", help="系统名称（默认沿用接入系统名称）")

    def handle(self, *args, **options) -> None:
        client = Client.objects.filter(client_id=options["client_id"]).first()
        if client is None:
            raise CommandError("找不到该 client_id 的接入系统，请先用 tongban oidc-client create 登记。")
        try:
            system = register_system(
                actor=None, client=client, public_key=options["public_key"], name=options["name"]
            )
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"{system.name}（{system.client_id}）已接入数据共享，所属部门：{system.department.name}"
        )
