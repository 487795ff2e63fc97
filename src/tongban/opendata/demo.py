"""Demo data of the open-data portal: the statistics snapshot over the demo's cases."""

from tongban.supervision import rollups

from . import services


def load(**_: object) -> str:
    """Count the demo's cases into 电子监察's rollups (idempotent), then publish the snapshot."""
    read = rollups.drain()
    rows = services.rebuild_statistics()
    return f"开放数据：办件统计 {rows} 行（汇总读取审计记录 {read} 条）"
