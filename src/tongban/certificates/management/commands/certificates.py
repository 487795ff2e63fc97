"""``tongban certificates``: seal keys, the periodic sweep and the audit chain."""

from django.core.management.base import BaseCommand, CommandError

from tongban.departments.models import Department


class Command(BaseCommand):
    help = (
        "电子证照：rotate-key --department ID（更换部门电子印章密钥）| sweep（补发漏出的证照、标记到期证照）"
        "| verify-audit（核对证照记录的哈希链）"
    )

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        rotate = sub.add_parser("rotate-key", help="更换部门的电子印章密钥（旧密钥保留用于核验）")
        rotate.add_argument("--department", type=int, required=True, help="部门 ID")
        rotate.add_argument("--algorithm", choices=["ed25519", "sm2"], default=None)
        sweep = sub.add_parser("sweep", help="为已办结出证但缺证照的办件出证，并标记到期证照")
        sweep.add_argument("--days", type=int, default=30, help="回看多少天内办结的办件")
        sub.add_parser("verify-audit", help="核对每张证照记录的哈希链")

    def handle(self, *args, **options) -> None:
        action = options["action"]
        if action == "rotate-key":
            from tongban.certificates.seals import rotate_key

            department = Department.objects.filter(pk=options["department"]).first()
            if department is None:
                raise CommandError(f"没有 ID 为 {options['department']} 的部门。")
            key = rotate_key(department, options["algorithm"])
            self.stdout.write(f"{department.name} 的新印章密钥：{key.kid}（{key.get_algorithm_display()}）")
        elif action == "sweep":
            from tongban.certificates.services import expire_due, issue_pending

            issued = issue_pending(options["days"])
            expired = expire_due()
            self.stdout.write(f"补出证照 {issued} 张，标记到期 {expired} 张")
        else:
            from tongban.certificates.audit import verify_chains

            broken = verify_chains()
            if broken:
                for line in broken:
                    self.stderr.write(line)
                raise CommandError(f"证照记录哈希链有 {len(broken)} 处不符。")
            self.stdout.write("证照记录哈希链完整。")
