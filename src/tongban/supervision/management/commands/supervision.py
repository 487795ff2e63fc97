"""``tongban supervision recount [--check] [--fix]`` recomputes every indicator cell (per item, and
the summary per department without the item) from the raw cases and ratings and reports where
the rollups differ (``--check`` exits non-zero then; ``--fix`` replaces the cells by the
recount); ``tongban supervision drain`` counts what the audit chain recorded since the cursor,
as the worker does."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "电子监察指标：recount [--check] [--fix]（从原始办件重算并核对）| drain（按审计链补算）"

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        recount = sub.add_parser("recount", help="从原始办件和评价重算全部指标，报告与汇总表的差异")
        recount.add_argument("--check", action="store_true", help="有差异时以非零状态退出")
        recount.add_argument("--fix", action="store_true", help="用重算结果替换汇总表")
        recount.add_argument("--limit", type=int, default=50, help="最多列出的差异条数（默认 50）")
        sub.add_parser("drain", help="按审计链读取游标之后的变化并汇总（同后台任务）")

    def handle(self, *args: Any, **options: Any) -> None:
        from tongban.supervision import rollups

        if options["action"] == "drain":
            read = rollups.drain()
            swept = rollups.sweep_overdue()
            self.stdout.write(f"已读取 {read} 条审计记录，超期重算 {swept} 件。")
            return
        differences = rollups.recount(fix=options["fix"])
        for difference in differences[: options["limit"]]:
            region, department, item, month = difference.key
            cell = "部门汇总" if item is None else f"事项{item}"
            self.stdout.write(
                f"{region} 部门{department} {cell} {month:%Y-%m} {difference.measure}: "
                f"汇总 {difference.kept}，重算 {difference.recounted}"
            )
        if len(differences) > options["limit"]:
            self.stdout.write(f"……另有 {len(differences) - options['limit']} 处差异。")
        if not differences:
            self.stdout.write("汇总与重算一致。")
            return
        if options["fix"]:
            self.stdout.write(f"已用重算结果替换汇总表（原有 {len(differences)} 处差异）。")
        else:
            self.stdout.write(f"共 {len(differences)} 处差异。")
        if options["check"]:
            raise CommandError("监察指标汇总与原始办件重算不一致。")
