"""``tongban oidc-client create --name NAME --redirect-uri URI [--full-id] [--department ID]``.

Prints the new client's credentials as JSON. The secret appears only here: the database keeps
just its hash, so a lost secret means registering the system again.
"""

import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tongban.core.errors import ServiceError
from tongban.identity.oidc.services import create_client


class Command(BaseCommand):
    help = "管理接入统一身份认证（OpenID Connect）的部门系统。"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, parser_class=CommandParser)
        create = sub.add_parser(
            "create", help="登记一个部门系统，输出 client_id 与 client_secret（JSON，仅显示一次）"
        )
        create.add_argument("--name", required=True, help="系统名称，显示在授权页面上")
        create.add_argument(
            "--redirect-uri", action="append", required=True, dest="redirect_uris", help="回调地址，可重复"
        )
        create.add_argument(
            "--post-logout-redirect-uri",
            action="append",
            default=[],
            dest="logout_uris",
            help="退出后返回地址",
        )
        create.add_argument("--department", type=int, default=None, help="所属部门的编号")
        create.add_argument(
            "--full-id", action="store_true", help="允许该系统获得完整身份证号码（须有法定依据）"
        )

    def handle(self, *args, **options) -> None:
        if options["action"] == "create":
            self._create(options)

    def _create(self, options: dict) -> None:
        try:
            new = create_client(
                name=options["name"],
                redirect_uris=options["redirect_uris"],
                post_logout_redirect_uris=options["logout_uris"],
                department_id=options["department"],
                may_receive_full_id=options["full_id"],
            )
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        client = new.client
        self.stdout.write(
            json.dumps(
                {
                    "name": client.name,
                    "client_id": client.client_id,
                    "client_secret": new.client_secret,
                    "redirect_uris": client.redirect_uris.split(),
                    "department": client.department_id,
                    "may_receive_full_id": client.may_receive_full_id,
                    "token_endpoint_auth_method": "client_secret_basic",
                },
                ensure_ascii=False,
            )
        )
