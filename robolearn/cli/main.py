"""``robolearn``: one console script with sub-commands, each a Hydra app.

``robolearn <command> [key=value ...] [-m] [--cfg job] [--help]`` composes
``configs/<command>.yaml`` (validated by its dataclass schema) and runs the command. Every
Hydra option (multirun, ``--cfg``, ``hydra.run.dir=...``) works after the command name.
"""

from __future__ import annotations

import difflib
import importlib
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Command:
    module: str  # robolearn.cli.<module> defining run(cfg) -> int
    config_name: str
    help: str
    writes_run_dir: bool = True
    hydra: bool = True  # False: the module's main(argv) parses its own arguments


COMMANDS: dict[str, Command] = {
    "doctor": Command("doctor", "doctor", "check the installation and render a frame", False),
    "render-suite": Command("render_suite", "render_suite", "PNG grid of a suite's tasks"),
    "collect": Command("collect", "collect", "collect scripted-expert demonstrations"),
    "train": Command("train", "train", "train a policy on demos, evaluate it, write videos"),
    "eval": Command("eval", "eval", "evaluate a checkpoint on a suite: table, videos"),
    "render": Command("render", "render", "a video of a checkpoint on one task", False),
    "lifelong": Command(
        "lifelong", "lifelong", "lifelong learning on a task ordering: R, FWT/NBT/AUC"
    ),
    "report": Command(
        "report", "report", "aggregate lifelong runs: `report <sweep dir>`", False, hydra=False
    ),
    "demos": Command(
        "demos",
        "",
        "inspect demo files: `demos info FILE`, `demos replay FILE`",
        False,
        hydra=False,
    ),
}


def _usage() -> str:
    width = max(len(n) for n in COMMANDS)
    lines = ["usage: robolearn <command> [key=value ...] [hydra options]", "", "commands:"]
    lines += [f"  {name:<{width}}  {cmd.help}" for name, cmd in COMMANDS.items()]
    lines += ["", "`robolearn <command> --help` shows a command's config and options."]
    return "\n".join(lines)


def run_hydra_app(
    task: Callable[[Any], int | None], config_name: str, argv: Sequence[str], prog: str
) -> int:
    """Run ``task`` as a Hydra app over ``argv`` (Hydra options + overrides); its exit code."""
    import hydra

    from robolearn.config import register_schemas
    from robolearn.paths import configs_dir

    register_schemas()
    result: list[int] = []

    def _task(cfg: Any) -> None:
        result.append(int(task(cfg) or 0))

    app = hydra.main(config_path=str(configs_dir()), config_name=config_name, version_base="1.3")
    old_argv = sys.argv
    sys.argv = [prog, *argv]
    try:
        app(_task)()
    finally:
        sys.argv = old_argv
    return max(result, default=0)


def _wrap(
    cmd: Command, run: Callable[[Any], int | None], name: str | None = None
) -> Callable[[Any], int | None]:
    name = name or cmd.module or cmd.config_name

    def task(cfg: Any) -> int | None:
        from robolearn.errors import RobolearnError

        try:
            if cmd.writes_run_dir:
                from hydra.core.hydra_config import HydraConfig

                from robolearn.config import write_run_metadata
                from robolearn.logging import setup_logging

                setup_logging()
                write_run_metadata(cfg, HydraConfig.get().runtime.output_dir)
            return run(cfg)
        except RobolearnError as exc:  # bad input: one clear line, no traceback
            print(f"robolearn {name}: error: {exc}", file=sys.stderr)
            return 2

    return task


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help", "help"):
        print(_usage())
        return 0
    name, rest = args[0], args[1:]
    if name not in COMMANDS:
        close = difflib.get_close_matches(name, COMMANDS, n=3)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        print(f"robolearn: unknown command {name!r}.{hint}\n\n{_usage()}", file=sys.stderr)
        return 2
    cmd = COMMANDS[name]
    module = importlib.import_module(f"robolearn.cli.{cmd.module}")
    if not cmd.hydra:
        return int(module.main(rest, prog=f"robolearn {name}") or 0)
    return run_hydra_app(_wrap(cmd, module.run, name), cmd.config_name, rest, f"robolearn {name}")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
