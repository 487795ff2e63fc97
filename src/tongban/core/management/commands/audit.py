"""``tongban audit verify [--anchors FILE_OR_URL]`` checks the hash chain (and that it still holds
what the published anchors signed); ``tongban audit anchor`` signs the head now;
``tongban audit tail [-n N]`` shows the end."""

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone


class Command(BaseCommand):
    help = (
        "审计日志：verify [--anchors 文件或网址]（核对整条哈希链及公布的锚点）| anchor（立即签署链头锚点）"
        "| tail [-n N]（显示最近 N 条记录）"
    )

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="按序号重新计算每条记录的哈希，报告第一条断裂的记录")
        verify.add_argument(
            "--anchors",
            metavar="FILE_OR_URL",
            help="公布的审计锚点（文件或网址）：证明锚点之前的记录未被改动、删除或重新链接",
        )
        verify.add_argument(
            "--key", metavar="JWKS_FILE", help="用此文件中的公钥核验锚点签名（默认：平台公布的公钥）"
        )
        sub.add_parser("anchor", help="立即签署当前链头，作为公开锚点保存")
        tail = sub.add_parser("tail", help="显示最近的审计记录")
        tail.add_argument("-n", type=int, default=20, help="条数（默认 20）")

    def handle(self, *args: Any, **options: Any) -> None:
        from tongban.core import audit

        if options["action"] == "tail":
            for entry in audit.tail(options["n"]):
                self.stdout.write(self._line(entry))
            return
        if options["action"] == "anchor":
            self._anchor()
            return
        report = audit.verify_chain()
        self.stdout.write(f"已核对 {report.checked} 条审计记录。")
        if not report.ok:
            raise CommandError(f"哈希链断裂：{report.problem}")
        if options.get("anchors"):
            self._verify_anchors(options["anchors"], options.get("key"))
        if not audit.guard_installed():
            raise CommandError("哈希链完整，但数据库中拒绝修改、删除审计记录的触发器缺失或已停用。")
        self.stdout.write("哈希链完整。")

    def _anchor(self) -> None:
        from tongban.core import anchors
        from tongban.core.errors import ServiceError

        try:
            anchor = anchors.anchor_now()
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        if anchor is None:
            self.stdout.write("审计日志为空，无需签署锚点。")
            return
        at = timezone.localtime(anchor.anchored_at).strftime("%Y-%m-%d %H:%M:%S")
        self.stdout.write(f"锚点：第 {anchor.seq} 条，哈希 {anchor.hash}，{at} 以密钥 {anchor.kid} 签署。")

    def _verify_anchors(self, source: str, key_file: str | None) -> None:
        from tongban.core import anchors
        from tongban.core.errors import ServiceError

        try:
            items = anchors.load(source)
            keys = anchors.keys_from_file(key_file) if key_file else None
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        checks = anchors.verify_anchors(items, keys)
        failed = [c for c in checks if not c.ok]
        for check in failed:
            where = f"第 {check.seq} 条处的锚点" if check.seq is not None else f"第 {check.index} 个锚点"
            self.stderr.write(f"{where}：{check.problem}")
        if failed:
            raise CommandError(f"{len(failed)} 个锚点未通过核验（共 {len(checks)} 个）。")
        latest = max(c.seq for c in checks)
        self.stdout.write(
            f"{len(checks)} 个锚点签名有效且与本库一致：第 {latest} 条及之前的记录未被改动、删除或重新链接。"
        )

    @staticmethod
    def _line(entry: Any) -> str:
        at = timezone.localtime(entry.at).strftime("%Y-%m-%d %H:%M:%S")
        who = entry.actor_label + (f"（代表 {entry.on_behalf_of}）" if entry.on_behalf_of else "")
        target = f"{entry.object_type}#{entry.object_id}" if entry.object_type else "-"
        summary = json.dumps(entry.summary, ensure_ascii=False, sort_keys=True) if entry.summary else ""
        return f"{entry.seq}\t{at}\t{who}\t{entry.action}\t{target}\t{summary}".rstrip()
