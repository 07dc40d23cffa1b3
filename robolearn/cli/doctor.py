"""``robolearn doctor``: print versions and checks; non-zero exit with a one-line fix."""

from __future__ import annotations

from typing import Any

from robolearn.doctor import run_checks


def run(cfg: Any) -> int:
    checks = run_checks(cfg)
    width = max(len(c.name) for c in checks)
    for check in checks:
        mark = "ok  " if check.ok else "FAIL"
        print(f"[{mark}] {check.name:<{width}}  {check.detail}")
    failed = [c for c in checks if not c.ok]
    if failed:
        print(f"\n{len(failed)} check(s) failed. To fix:")
        for check in failed:
            print(f"  - {check.name}: {check.fix}")
        return 1
    print("\nAll checks passed.")
    return 0
