"""`tongban demo`: load the demo data (idempotent: running it again changes nothing)."""

import time

from django.core.management.base import BaseCommand, CommandError

from tongban.core.errors import ServiceError
from tongban.demo import run_steps, step_names


class Command(BaseCommand):
    help = "载入演示数据：四川省广安市全部区县的政务服务事项、部门、一件事；--scale province 生成全省规模数据用于压测。"

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--scale",
            choices=["city", "province"],
            default="city",
            help="city：广安市演示数据（默认）；province：四川省全部区县，至少 --min-items 个事项",
        )
        parser.add_argument("--min-items", type=int, default=60_000, help="province 规模的最少事项数")
        parser.add_argument("--province", default="51", help="province 规模的省级区划代码（默认 51 四川省）")
        parser.add_argument(
            "--only", default="", help=f"只运行这些步骤（逗号分隔）：{', '.join(step_names())}"
        )
        parser.add_argument("--skip", default="", help="跳过这些步骤（逗号分隔）")

    def handle(self, *args, **options) -> None:
        only = [s.strip() for s in options["only"].split(",") if s.strip()]
        skip = [s.strip() for s in options["skip"].split(",") if s.strip()]
        unknown = sorted(set(only + skip) - set(step_names()))
        if unknown:
            raise CommandError(f"未知的步骤：{'、'.join(unknown)}。可用步骤：{'、'.join(step_names())}")
        if options["min_items"] < 1:
            raise CommandError("--min-items 必须为正整数。")
        province = options["province"].strip()
        if not (len(province) == 2 and province.isdigit()):
            raise CommandError("--province 应为 2 位省级行政区划代码，例如 51。")
        started = time.perf_counter()
        try:
            run_steps(
                scale=options["scale"],
                min_items=options["min_items"],
                province=province,
                only=only or None,
                skip=skip or None,
                out=self.stdout.write,
            )
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            self.style.SUCCESS(f"演示数据已就绪，共用时 {time.perf_counter() - started:.1f} 秒。")
        )
