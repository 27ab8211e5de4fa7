"""Measures the API Lambda's import cost: `import app` against chalice, boto3 and pynamodb alone.

Usage: python bench/cold_start.py [--runs 5] [--top 15]

Each measurement is a fresh interpreter run with `-X importtime`; the figure is the sum of the
"self" column (microseconds spent in each module's own top-level code, so nothing is counted
twice), median of the runs. The baseline is what any Chalice + PynamoDB Lambda must import; the
ratio app / baseline is the cold-start cost Sitebook adds (issue: at most 1.5x). The heaviest
modules that app adds over the baseline are listed, so a regression names its culprit. It
prints figures and never passes or fails.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = "import chalice, boto3, pynamodb"
APP = "import app"
FIRST_POST = "import app, jwt, chalicelib.api.customer_schemas, chalicelib.services.customers"


def import_times(code: str) -> dict[str, int]:
    """Module → self microseconds of one fresh interpreter running ``code``."""
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "", "AWS_DEFAULT_REGION": "ap-southeast-2", "PYTHONPATH": str(ROOT)},
    )
    times: dict[str, int] = {}
    for line in run.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, _cumulative, name = (part.strip() for part in line[12:].split("|"))
        times[name.strip()] = times.get(name.strip(), 0) + int(self_us)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    base_sums, app_sums, post_sums, extra = [], [], [], Counter()
    for _ in range(args.runs):  # alternated, so machine noise hits both alike
        base = import_times(BASELINE)
        app = import_times(APP)
        base_sums.append(sum(base.values()))
        app_sums.append(sum(app.values()))
        post_sums.append(sum(import_times(FIRST_POST).values()))
        for name, us in app.items():
            if name not in base:
                extra[name] += us
    base_ms = statistics.median(base_sums) / 1000
    app_ms = statistics.median(app_sums) / 1000
    print(f"runs: {args.runs} (median of the summed self times)")
    print(f"baseline  {BASELINE!r}: {base_ms:8.1f} ms")
    print(f"app       {APP!r}: {app_ms:8.1f} ms")
    print(f"ratio app / baseline: {app_ms / base_ms:.2f}x")
    post_ms = statistics.median(post_sums) / 1000
    print(f"app and a first customer POST's modules: {post_ms:8.1f} ms ({post_ms / base_ms:.2f}x)")
    print(f"modules app adds over the baseline, heaviest {args.top} (mean self ms):")
    for name, us in extra.most_common(args.top):
        print(f"  {us / args.runs / 1000:8.1f}  {name}")


if __name__ == "__main__":
    main()
