"""Time the published list's downloads for a list of N rows (default 6,000, the quota).

    .venv/bin/python bench/publication_exports.py [N]

No database: the rows are made in memory as the snapshot's rows would be. Prints one JSON
object: the seconds (wall clock and CPU) and bytes of each file and the PDF's page count.
"""

from __future__ import annotations

import io
import json
import os
import sys
import time
from types import SimpleNamespace


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jifen.settings.base")
    import django

    django.setup()
    import pikepdf

    from jifen.publication import exports

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 6000
    names = ["王素芳", "李建国", "张伟", "欧阳明月", "陈静"]
    employers = ["北京星河科技有限公司", "中国石油天然气集团有限公司北京分公司", "北京大学"]
    rows = [
        SimpleNamespace(
            rank=i + 1,
            name=names[i % 5],
            id_masked="110105********2346",
            birth_month=f"19{70 + i % 20}-{1 + i % 12:02d}",
            employer=employers[i % 3],
            scores=[
                "60.50",
                "11.67",
                "26.00",
                "-10.21",
                "0.00",
                "0.00",
                "6.00",
                "20.00",
                "0.00",
                "0.00",
            ],
            total=f"{130 - i * 0.002:.2f}",
        )
        for i in range(n)
    ]
    out = {"rows": n}
    for kind, make in (
        ("csv", lambda: exports.to_csv(rows)),
        ("xlsx", lambda: exports.to_xlsx(rows, year=2026)),
        ("pdf", lambda: exports.to_pdf(rows, year=2026)),
    ):
        started, cpu = time.perf_counter(), time.process_time()
        data = make()
        out[kind] = {
            "seconds": round(time.perf_counter() - started, 2),
            "cpu_seconds": round(time.process_time() - cpu, 2),
            "bytes": len(data),
        }
        if kind == "pdf":
            with pikepdf.open(io.BytesIO(data)) as pdf:
                out[kind]["pages"] = len(pdf.pages)
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
