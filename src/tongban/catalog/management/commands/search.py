from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from tongban.catalog.models import SearchSynonym
from tongban.catalog.search import rebuild_index
from tongban.catalog.search.dictionary import update_shipped
from tongban.catalog.search.evaluation import evaluate, format_report, read_cases
from tongban.core.errors import ServiceError


class Command(BaseCommand):
    help = "检索：tongban search evaluate FILE.tsv（评测检索质量）| reindex（重建索引）| update-synonyms（更新随系统提供的同义词）。"

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        ev = sub.add_parser(
            "evaluate", help="按评测集（检索词<TAB>可接受事项名称，| 分隔）计算 top-1、top-3、MRR"
        )
        ev.add_argument("file", help="UTF-8 的 TSV 文件")
        ev.add_argument("--region", help="以该区划的群众身份检索（区划过滤）")
        ev.add_argument("--min-top3", type=float, help="top-3 低于此比例（0–1）时以非零状态退出")
        ev.add_argument("--quiet", action="store_true", help="不列出未命中的检索词")
        sub.add_parser("reindex", help="按当前词典和分词重建全部检索索引")
        sub.add_parser("update-synonyms", help="用随系统提供的新词库替换管理员未改动的同义词条目")

    def handle(self, *args, **options) -> None:
        if options["action"] == "reindex":
            self.stdout.write(f"已重建检索索引：{rebuild_index()} 个事项")
            return
        if options["action"] == "update-synonyms":
            with transaction.atomic():
                added = update_shipped(SearchSynonym)
            self.stdout.write(f"随系统提供的同义词已更新：{added} 条（管理员维护的条目未改动）")
            return
        path = Path(options["file"])
        if not path.exists():
            raise CommandError(f"文件不存在：{path}")
        try:
            report = evaluate(read_cases(path), region_code=options.get("region"))
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(format_report(report, show_misses=not options["quiet"]))
        minimum = options.get("min_top3")
        if minimum is not None and report.top3 < minimum:
            raise CommandError(f"top-3 {report.top3:.1%} 低于要求的 {minimum:.0%}。")
