"""Env slots for vectorised rollouts, in worker processes or in the calling process.

A :class:`SlotHost` owns ``n`` env slots. Each step it receives one command per slot —
``("start", task_id, init_state, seed, record)``, ``("step", action)`` or ``None`` (idle) —
and answers per slot with a :class:`SlotResult` (observation, success, the rendered frame if
the slot records, or an error). A slot keeps its env while consecutive episodes share a task.

:class:`ProcessBackend` runs hosts in worker processes (``forkserver``: ``fork`` deadlocks
inside EGL); one that dies (a segfault, ``os._exit``, the OOM killer) or stops answering for
``timeout_s`` fails only the episodes it was running: it is restarted and the evaluation
goes on. :class:`InProcessBackend` runs one host in the calling process.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import multiprocessing as mp
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

log = logging.getLogger(__name__)
Command = tuple | None
EnvFactory = Callable[[str, dict[str, Any]], Any]  # (task_id, obs config) -> env; picklable


def default_env_factory(task_id: str, obs: dict[str, Any]) -> Any:
    from robolearn.envs import make_env

    return make_env(task_id, obs=obs, time_limit=False)


@dataclass
class SlotResult:
    obs: dict[str, np.ndarray] | None = None
    success: bool = False
    frame: np.ndarray | None = None
    language: str = ""
    horizon: int = 0
    error: str | None = None
    goals: tuple[bool, ...] = ()  # each goal atom's status (the env's info["goal_status"])


def _goals(info: dict[str, Any]) -> tuple[bool, ...]:
    return tuple(bool(g) for g in info.get("goal_status", ()))


class SlotHost:
    def __init__(self, n: int, obs: dict[str, Any], factory: EnvFactory | None = None) -> None:
        self.obs_cfg = obs
        self.factory = factory or default_env_factory
        self.envs: list[Any] = [None] * n
        self.tasks: list[str | None] = [None] * n
        self.record = [False] * n

    def _env(self, slot: int, task_id: str) -> Any:
        if self.tasks[slot] != task_id:
            self._drop(slot)
            self.envs[slot] = self.factory(task_id, self.obs_cfg)
            self.tasks[slot] = task_id
        return self.envs[slot]

    def _drop(self, slot: int) -> None:
        if self.envs[slot] is not None:
            try:
                self.envs[slot].close()
            except Exception:  # closing a broken env must not end the evaluation
                log.debug("closing env of slot %d failed", slot, exc_info=True)
        self.envs[slot], self.tasks[slot] = None, None

    def handle(self, commands: Sequence[Command]) -> list[SlotResult | None]:
        out: list[SlotResult | None] = []
        for slot, cmd in enumerate(commands):
            if cmd is None:
                out.append(None)
                continue
            try:
                out.append(self._run(slot, cmd))
            except Exception as exc:
                log.warning("slot %d: %s", slot, exc)
                self._drop(slot)
                out.append(
                    SlotResult(
                        error=f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}"
                    )
                )
        return out

    def _run(self, slot: int, cmd: tuple) -> SlotResult:
        if cmd[0] == "start":
            _, task_id, init_state, seed, record = cmd
            env = self._env(slot, task_id)
            obs, info = env.reset(seed=seed, options={"init_state": init_state})
            self.record[slot] = record
            base = env.unwrapped
            return SlotResult(
                obs, bool(info["is_success"]), self._frame(slot, env),
                base.task.language, base.task.horizon, goals=_goals(info),
            )  # fmt: skip
        env = self.envs[slot]
        if env is None:
            raise RuntimeError(f"slot {slot} got a step before a start")
        obs, _, _, _, info = env.step(cmd[1])
        return SlotResult(obs, bool(info["is_success"]), self._frame(slot, env), goals=_goals(info))

    def _frame(self, slot: int, env: Any) -> np.ndarray | None:
        """The video frame of a recorded episode. A renderer that fails (an EGL context
        the process cannot get: "gladLoadGL error" under load) costs the episode its video,
        not its result: the episode goes on unrecorded, as the policy's obs need no render."""
        if not self.record[slot]:
            return None
        try:
            return env.render()
        except Exception as exc:
            log.warning("slot %d: rendering failed (%s); the episode goes on without video",
                        slot, str(exc).splitlines()[0] if str(exc) else type(exc).__name__)  # fmt: skip
            self.record[slot] = False
            return None

    def close(self) -> None:
        for slot in range(len(self.envs)):
            self._drop(slot)


def _worker_main(conn: Any, n: int, obs: dict[str, Any], factory: EnvFactory | None) -> None:
    from robolearn.logging import setup_logging

    setup_logging("WARNING")
    host = SlotHost(n, obs, factory)
    try:
        while True:
            commands = conn.recv()
            if commands is None:
                break
            conn.send(host.handle(commands))
    except (EOFError, KeyboardInterrupt):
        pass
    finally:
        host.close()


class InProcessBackend:
    def __init__(self, slots: int, obs: dict[str, Any], factory: EnvFactory | None = None):
        self.slots = slots
        self.host = SlotHost(slots, obs, factory)
        self.restarts = 0

    def run(self, commands: Sequence[Command]) -> list[SlotResult | None]:
        return self.host.handle(commands)

    def close(self) -> None:
        self.host.close()


class ProcessBackend:
    """``workers`` processes hosting ``slots`` env slots between them (contiguous chunks)."""

    def __init__(
        self,
        slots: int,
        workers: int,
        obs: dict[str, Any],
        factory: EnvFactory | None = None,
        timeout_s: float = 300.0,
        context: str = "forkserver",
    ) -> None:
        workers = max(1, min(workers, slots))
        self.slots, self.obs, self.factory, self.timeout_s = slots, obs, factory, timeout_s
        self.ctx = mp.get_context(context)
        bounds = np.linspace(0, slots, workers + 1).round().astype(int)
        self.chunks = [range(a, b) for a, b in itertools.pairwise(bounds)]
        self.procs: list[Any] = [None] * workers
        self.conns: list[Any] = [None] * workers
        self.restarts = 0
        for w in range(workers):
            self._start(w)

    def _start(self, w: int) -> None:
        parent, child = self.ctx.Pipe()
        proc = self.ctx.Process(
            target=_worker_main,
            args=(child, len(self.chunks[w]), self.obs, self.factory),
            daemon=True,
        )
        proc.start()
        child.close()
        self.procs[w], self.conns[w] = proc, parent

    def _restart(self, w: int, why: str) -> None:
        log.warning("eval worker %d (pid %s) %s; restarting it", w, self.procs[w].pid, why)
        self.restarts += 1
        with contextlib.suppress(Exception):
            self.procs[w].kill()
            self.procs[w].join(5)
        self._start(w)

    def run(self, commands: Sequence[Command]) -> list[SlotResult | None]:
        out: list[SlotResult | None] = [None] * self.slots
        sent: list[int] = []
        for w, chunk in enumerate(self.chunks):
            part = [commands[i] for i in chunk]
            if all(c is None for c in part):
                continue
            try:
                self.conns[w].send(part)
                sent.append(w)
            except (BrokenPipeError, EOFError, OSError):
                self._fail(w, part, out, "died")
        for w in sent:
            chunk = self.chunks[w]
            part = [commands[i] for i in chunk]
            try:
                if not self.conns[w].poll(self.timeout_s):
                    self._fail(w, part, out, f"did not answer in {self.timeout_s:.0f} s")
                    continue
                results = self.conns[w].recv()
            except (EOFError, BrokenPipeError, ConnectionResetError, OSError):
                self._fail(w, part, out, "died")
                continue
            for i, res in zip(chunk, results):
                out[i] = res
        return out

    def _fail(self, w: int, part: list, out: list, why: str) -> None:
        code = self.procs[w].exitcode
        for i, cmd in zip(self.chunks[w], part):
            if cmd is not None:
                out[i] = SlotResult(error=f"eval worker {why} (exit code {code})")
        self._restart(w, why)

    def close(self) -> None:
        for conn in self.conns:
            with contextlib.suppress(Exception):
                conn.send(None)
        for proc in self.procs:
            proc.join(10)
            if proc.is_alive():
                proc.kill()
