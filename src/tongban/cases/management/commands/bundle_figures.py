"""``tongban bundle_figures``: the 一件事 figures of docs/joint.md, computed from the loaded data.

Run after ``tongban demo``; ``--write docs/joint.md`` replaces the table between the figures
markers of that file, so the published figures are always the command's output.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tongban.catalog.bundle_demo import shipped_bundles
from tongban.catalog.bundles import bundle_plan, bundle_queryset
from tongban.forms.figures import bundle_figures

START = "<!-- figures:start -->"
END = "<!-- figures:end -->"


class Command(BaseCommand):
    help = "一件事：联办与分别办理所需填写的字段、提交的材料和访问的页面数对比（Markdown 表格）"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--region", default="511602", help="区划代码（默认演示数据的广安区）")
        parser.add_argument("--write", metavar="FILE", help="写入该 Markdown 文件的 figures 标记之间")

    def handle(self, *args, region: str, write: str | None, **options) -> None:
        slugs = [f"{spec['slug']}-{region}" for spec in shipped_bundles()]
        bundles = {b.slug: b for b in bundle_queryset().filter(slug__in=slugs)}
        if not bundles:
            raise CommandError(f"区划 {region} 没有随系统提供的一件事，请先运行 tongban demo。")
        rows = [
            "| 一件事 | 事项 | 部门 | 字段：联办 / 分别 | 材料：联办 / 分别 | 页面：联办 / 分别 |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for slug in slugs:
            if slug not in bundles:
                continue
            f = bundle_figures(bundle_plan(bundles[slug], {}, region_code=region))
            rows.append(
                f"| {f.name} (`{f.slug}`) | {f.items} | {f.departments} "
                f"| {f.joint_fields} / {f.separate_fields} ({f.field_ratio:.0%}) "
                f"| {f.joint_materials} / {f.separate_materials} ({f.material_ratio:.0%}) "
                f"| {f.joint_pages} / {f.separate_pages} ({f.page_ratio:.0%}) |"
            )
        table = "\n".join(rows)
        if not write:
            self.stdout.write(table)
            return
        path = Path(write)
        text = path.read_text(encoding="utf-8")
        if START not in text or END not in text:
            raise CommandError(f"{write} 中没有 {START} … {END} 标记。")
        head, rest = text.split(START, 1)
        _old, tail = rest.split(END, 1)
        path.write_text(f"{head}{START}\n{table}\n{END}{tail}", encoding="utf-8")
        self.stdout.write(f"已写入 {write}（{len(rows) - 2} 个一件事）")
