from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tongban.consult.evaluation import DEFAULT_SET, evaluate, format_report, read_questions
from tongban.core.errors import ServiceError


class Command(BaseCommand):
    help = "咨询投诉：tongban consult evaluate [FILE.tsv]（评测智能客服的首次回答）。"

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        ev = sub.add_parser("evaluate", help="按问题集（问题<TAB>事项名称<TAB>指南栏目）评测智能客服")
        ev.add_argument(
            "file", nargs="?", default=str(DEFAULT_SET), help="UTF-8 的 TSV 文件（默认：随系统提供的问题集）"
        )
        ev.add_argument("--region", default="511602", help="以该区划的群众身份提问（默认 511602 广安区）")
        ev.add_argument("--min-right", type=float, help="答对比例（0–1）低于此值时以非零状态退出")
        ev.add_argument("--quiet", action="store_true", help="不列出未答对的问题")

    def handle(self, *args, **options) -> None:
        path = Path(options["file"])
        if not path.exists():
            raise CommandError(f"文件不存在：{path}")
        try:
            report = evaluate(read_questions(path), region_code=options["region"] or None)
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(format_report(report, show_misses=not options["quiet"]))
        minimum = options.get("min_right")
        if minimum is not None and report.right < minimum:
            raise CommandError(f"答对比例 {report.right:.1%} 低于要求的 {minimum:.0%}。")
