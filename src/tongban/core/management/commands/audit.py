"""``tongban audit verify`` checks the hash chain; ``tongban audit tail [-n N]`` shows the end."""

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone


class Command(BaseCommand):
    help = "审计日志：verify（核对整条哈希链）| tail [-n N]（显示最近 N 条记录）"

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="按序号重新计算每条记录的哈希，报告第一条断裂的记录")
        tail = sub.add_parser("tail", help="显示最近的审计记录")
        tail.add_argument("-n", type=int, default=20, help="条数（默认 20）")

    def handle(self, *args: Any, **options: Any) -> None:
        from tongban.core import audit

        if options["action"] == "tail":
            for entry in audit.tail(options["n"]):
                self.stdout.write(self._line(entry))
            return
        report = audit.verify_chain()
        self.stdout.write(f"已核对 {report.checked} 条审计记录。")
        if not report.ok:
            raise CommandError(f"哈希链断裂：{report.problem}")
        if not audit.guard_installed():
            raise CommandError("哈希链完整，但数据库中拒绝修改、删除审计记录的触发器缺失或已停用。")
        self.stdout.write("哈希链完整。")

    @staticmethod
    def _line(entry: Any) -> str:
        at = timezone.localtime(entry.at).strftime("%Y-%m-%d %H:%M:%S")
        who = entry.actor_label + (f"（代表 {entry.on_behalf_of}）" if entry.on_behalf_of else "")
        target = f"{entry.object_type}#{entry.object_id}" if entry.object_type else "-"
        summary = json.dumps(entry.summary, ensure_ascii=False, sort_keys=True) if entry.summary else ""
        return f"{entry.seq}\t{at}\t{who}\t{entry.action}\t{target}\t{summary}".rstrip()
