"""``tongban bundle_figures``: the 一件事 figures of docs/joint.md, measured on the loaded data.

Run after ``tongban demo``; ``--write docs/joint.md`` replaces the table between the figures
markers of that file, so the published figures are always the command's output. The materials
are counted on the real pages (``cases.joint_figures.measure``): each bundle's joint draft is
started for the demo applicant its README account stands for, and rolled back.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tongban.cases.joint_figures import measure
from tongban.catalog.bundle_demo import shipped_bundles
from tongban.catalog.bundles import bundle_plan, bundle_queryset
from tongban.forms.figures import bundle_figures
from tongban.identity.models import EnterpriseAccount, User

START = "<!-- figures:start -->"
END = "<!-- figures:end -->"
# Bundle (slug without region) → the README account that applies (mobile) and whether it applies
# for its enterprise: parents, founders and the bereaved as citizens; 企业注销 by the legal
# representative of 广安市鑫源商贸有限公司.
DEMO_APPLICANTS = {
    "chusheng": ("13800000001", False),
    "canyin": ("13800000001", False),
    "qiyekaiban": ("13800000002", False),
    "tuixiu": ("13800000001", False),
    "shenhou": ("13800000001", False),
    "qiyezhuxiao": ("13800000002", True),
}


def ratio(a: int, b: int) -> str:
    return f"{a / b:.0%}" if b else "—"


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
            "| 一件事 | 演示申请人 | 事项 | 部门 | 字段：联办 / 分别 | 材料：联办上传 / 分别（指南所列） "
            "| 材料：分别办理、同样免提交 | 页面：联办 / 分别 |",
            "|---|---|---:|---:|---:|---:|---:|---:|",
        ]
        notes = []
        for slug in slugs:
            if slug not in bundles:
                continue
            bundle = bundles[slug]
            mobile, for_enterprise = DEMO_APPLICANTS[slug.rsplit("-", 1)[0]]
            user = User.objects.filter(username=mobile).first()
            if user is None:
                raise CommandError(f"没有演示账号 {mobile}，请先运行 tongban demo。")
            enterprise = (
                EnterpriseAccount.objects.filter(legal_rep=user).order_by("pk").first()
                if for_enterprise
                else None
            )
            f = bundle_figures(bundle_plan(bundle, {}, region_code=region))
            flow = measure(user=user, bundle=bundle, region_code=region, enterprise=enterprise)
            joint = len(flow.joint_asked)
            who = f"{user.real_name}（{enterprise.name}）" if enterprise else user.real_name
            rows.append(
                f"| {f.name} (`{f.slug}`) | {who} | {f.items} | {f.departments} "
                f"| {f.joint_fields} / {f.separate_fields} ({ratio(f.joint_fields, f.separate_fields)}) "
                f"| **{joint} / {f.separate_materials} ({ratio(joint, f.separate_materials)})** "
                f"| {flow.separate_asked} ({ratio(flow.separate_asked, f.separate_materials)}) "
                f"| {f.joint_pages} / {f.separate_pages} ({ratio(f.joint_pages, f.separate_pages)}) |"
            )
            asked = "、".join(f"“{n}”" for n in flow.joint_asked) or "无"
            fetched = "、".join(f"“{n}”" for n in flow.fetched) or "无"
            notes.append(f"- {f.name}：联办上传 {asked}；免提交 {fetched}。")
        table = "\n".join([*rows, "", *notes])
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
        self.stdout.write(f"已写入 {write}（{len(notes)} 个一件事）")
