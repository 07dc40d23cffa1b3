"""``robolearn demos info FILE``, ``replay FILE --demo i --video out.mp4``, ``pack`` / ``unpack``."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence


def main(argv: Sequence[str], prog: str = "robolearn demos") -> int:
    parser = argparse.ArgumentParser(prog=prog, description="Inspect demonstration files.")
    sub = parser.add_subparsers(dest="action", required=True)
    info = sub.add_parser("info", help="counts, lengths, keys, success, skill stats")
    info.add_argument("file")
    info.add_argument("--json", action="store_true", help="print JSON")
    rep = sub.add_parser("replay", help="render a demo's states to mp4; report action drift")
    rep.add_argument("file")
    rep.add_argument("--demo", default="0", help="index or name (demo_3)")
    rep.add_argument("--video", default=None, help="mp4 path")
    rep.add_argument("--camera", default="agentview")
    rep.add_argument("--size", type=int, default=256)
    pk = sub.add_parser("pack", help="camera streams -> H.264 inside the files (to ship them)")
    pk.add_argument("src", help="a demo file or a folder of them")
    pk.add_argument("dst", help="the folder (or file) to write")
    pk.add_argument("--crf", type=int, default=23, help="libx264 quality: lower is better/larger")
    pk.add_argument("--workers", type=int, default=1)
    pk.add_argument("--drop", nargs="*", default=[], metavar="PATTERN",
                    help="leave out per-demo datasets: states, 'obs/object_*' (fnmatch)")  # fmt: skip
    up = sub.add_parser("unpack", help="decode packed files into ordinary demo files")
    up.add_argument("src", help="a packed demo file or a folder of them")
    up.add_argument("dst", help="the folder (or file) to write")
    up.add_argument("--compression", choices=["none", "lzf", "gzip"], default="none")
    up.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(list(argv))

    from robolearn.errors import RobolearnError
    from robolearn.logging import setup_logging

    setup_logging()
    try:
        if args.action == "info":
            from robolearn.data.inspect import summarize

            summary = summarize(args.file)
            print(json.dumps(summary, indent=2) if args.json else _format(summary))
            return 0
        if args.action in ("pack", "unpack"):
            return _pack(args)
        from robolearn.data.replay import replay_demo

        demo = int(args.demo) if args.demo.isdigit() else args.demo
        report = replay_demo(args.file, demo, args.video, args.camera, args.size)
    except RobolearnError as exc:
        print(f"{prog}: error: {exc}")
        return 2
    print(
        f"{report.demo}: {report.steps} steps" + (f", video {report.video}" if report.video else "")
    )
    print(
        f"action replay drift: end effector {report.max_eef_drift * 1000:.1f} mm, "
        f"objects {report.max_object_drift * 1000:.1f} mm; "
        f"goal at end of replay: {'yes' if report.replay_success else 'no'}"
    )
    return 0


def _pack(args: argparse.Namespace) -> int:
    from robolearn.data import pack

    if args.action == "pack":
        reports = pack.pack(args.src, args.dst, args.crf, args.workers, args.drop)
    else:
        compression = None if args.compression == "none" else args.compression
        reports = pack.unpack(args.src, args.dst, compression=compression, workers=args.workers)
    for r in reports:
        print(
            f"{r.dest}: "
            + (
                "exists, kept"
                if r.skipped
                else f"{r.streams} streams, {r.frames} "
                f"frames, {r.bytes_in / 2**20:.1f} -> {r.bytes_out / 2**20:.1f} MiB, {r.seconds:.1f} s"
            )
        )
    s = pack.summary(reports)
    line = (
        f"{args.action}: {s['files']} files ({s['skipped']} kept), {s['frames']} frames, "
        f"{s['bytes_in'] / 2**20:.1f} -> {s['bytes_out'] / 2**20:.1f} MiB"
    )
    if s["mean_abs_error"] is not None:
        line += f", pixel error mean {s['mean_abs_error']:.2f} max {s['max_abs_error']} (of 255)"
    print(line)
    return 0


def _format(s: dict) -> str:
    lines = [
        f"{s['path']}: task {s['task_id']}",
        f"  demos {s['demos']} ({', '.join(f'{k} {v}' for k, v in s['masks'].items())}), "
        f"steps {s['total_steps']}, length mean {s['length']['mean']:.1f} "
        f"[{s['length']['min']}, {s['length']['max']}]",
        f"  success {s['success_rate']:.0%}"
        + (f", experts version {s['expert_version']}" if s.get("expert_version") else ""),
        "  obs:",
    ]
    lines += [f"    {k}: {shape} {dtype}" for k, (shape, dtype) in s["obs"].items()]
    lines.append(f"  actions: {s['actions'][0]} {s['actions'][1]}")
    if s.get("dart"):
        d = s["dart"]
        lines.append(
            f"  expert_actions: clean labels (DART perturb={d['perturb']}, rho "
            f"{d['perturb_rho']}, scope {d['perturb_scope']})"
        )
    if s.get("recovery") and s.get("takeover"):
        r, t = s["recovery"], s["takeover"]
        lines.append(
            f"  action_mask: takeover demos, the policy {t['checkpoint']} drove the first "
            f"{t['steps'][0]}-{t['steps'][1]} steps ({r['masked_steps']} steps not learned from)"
        )
    elif s.get("recovery"):
        r = s["recovery"]
        lines.append(
            f"  action_mask: {r['demos_with_miss']} demos with a deliberate miss, "
            f"{r['masked_steps']} steps not learned from"
        )
    lines.append(
        "  skills: "
        + ", ".join(
            f"{k} x{v['count']} ({v['mean_steps']:.0f} steps)" for k, v in s["skills"].items()
        )
    )
    lines += [f"  language: {lang}" for lang in s["language"]]
    return "\n".join(lines)
