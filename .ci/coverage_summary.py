"""Print the test coverage of the ``coverage/`` package from slipcover's JSON report.

Usage: ``python .ci/coverage_summary.py .slipcover.json``.  One line per sub-package
and the total (lines covered / lines), for the CI log.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path


def main(path: str) -> int:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    per_part: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for name, info in data["files"].items():
        parts = Path(name).parts
        if "coverage" not in parts:
            continue
        rel = parts[parts.index("coverage"):]
        key = "/".join(rel[:2]) if len(rel) > 2 else "/".join(rel)
        covered = len(info.get("executed_lines", []))
        missing = len(info.get("missing_lines", []))
        per_part[key][0] += covered
        per_part[key][1] += covered + missing
    total_cov = sum(c for c, _ in per_part.values())
    total = sum(n for _, n in per_part.values())
    print("test coverage of coverage/ (slipcover, lines; tests run in subprocesses are not counted):")
    for key in sorted(per_part):
        c, n = per_part[key]
        print(f"  {key:<32} {c:>6} / {n:<6} {100 * c / max(n, 1):5.1f}%")
    print(f"  {'TOTAL':<32} {total_cov:>6} / {total:<6} {100 * total_cov / max(total, 1):5.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else ".slipcover.json"))
