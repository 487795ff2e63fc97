from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tongban.catalog.importer import export_catalog, import_catalog
from tongban.core.errors import ServiceError


class Command(BaseCommand):
    help = "事项目录：tongban catalog import FILE | tongban catalog export FILE（CSV 或 XLSX）。"

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="导入事项（按实施编码幂等，可重复执行）")
        imp.add_argument("file", help="CSV（UTF-8 或 GB18030）或 XLSX 文件")
        imp.add_argument("--region", help="区划代码：文件未写区划代码时使用，且所有行须在此区划之内")
        status = imp.add_mutually_exclusive_group()
        status.add_argument(
            "--publish", dest="status", action="store_const", const="published", help="文件中的事项全部发布"
        )
        status.add_argument(
            "--draft", dest="status", action="store_const", const="draft", help="文件中的事项全部设为草稿"
        )
        imp.add_argument("--strict", action="store_true", help="有任何错误行时以非零状态退出")
        imp.add_argument("--max-errors", type=int, default=50, help="最多显示多少条错误（默认 50）")
        exp = sub.add_parser("export", help="以完整格式（格式 B）导出事项")
        exp.add_argument("file", help="以 .xlsx 结尾写工作簿，否则写 CSV")
        exp.add_argument("--region", help="只导出该区划及其下级的事项")

    def handle(self, *args, **options) -> None:
        path = Path(options["file"])
        try:
            if options["action"] == "import":
                self._import(path, options)
            else:
                count = export_catalog(path, region=options.get("region"))
                self.stdout.write(f"已导出 {count} 个事项到 {path}")
        except ServiceError as exc:
            raise CommandError(exc.message) from exc

    def _import(self, path: Path, options: dict) -> None:
        if not path.exists():
            raise CommandError(f"文件不存在：{path}")
        report = import_catalog(path, region=options.get("region"), status=options.get("status"))
        shown = report.errors[: options["max_errors"]]
        for error in shown:
            self.stderr.write(str(error))
        if len(report.errors) > len(shown):
            self.stderr.write(f"……另有 {len(report.errors) - len(shown)} 条错误未显示")
        self.stdout.write(f"事项导入完成：{report.summary()}")
        if options["strict"] and report.errors:
            raise CommandError(f"有 {len(report.errors)} 行未能导入。")
