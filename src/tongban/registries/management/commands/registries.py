from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tongban.registries.services import ImportFailed, import_enterprises, import_people, read_csv_rows


class Command(BaseCommand):
    help = (
        "基础库：tongban registries import-people FILE | import-enterprises FILE —— "
        "从 UTF-8 CSV 导入人口或法人基础信息（按身份证号码 / 统一社会信用代码更新，可重复执行）。"
    )

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        people = sub.add_parser("import-people", help="导入人口基础信息 CSV")
        people.add_argument("file", type=Path)
        enterprises = sub.add_parser("import-enterprises", help="导入法人基础信息 CSV")
        enterprises.add_argument("file", type=Path)

    def handle(self, *args, **options) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"找不到文件：{path}")
        rows = read_csv_rows(path.read_bytes())
        importer = import_people if options["action"] == "import-people" else import_enterprises
        try:
            report = importer(rows)
        except ImportFailed as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"导入完成：新增 {report.created}，更新 {report.updated}")
