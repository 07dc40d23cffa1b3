"""Carrying a gripped object far out or close in: turning it about the vertical for the reach.

A grip keeps the lean of the fingers it was made with (the object would tilt otherwise), but
the arm reaches far out only with the fingers leaning out and close in only with them
leaning in (REACH_LEAN): the hand turns the object about the vertical on the way, which
keeps it as level as it is.
"""

from __future__ import annotations

import logging
import math

import numpy as np

from robolearn.experts.motion import PSI_RANGE, wrap
from robolearn.experts.primitives import Ctx, Motion, move, transit

log = logging.getLogger(__name__)

# Lean band (m from the robot's base): beyond it a held object is turned so the fingers lean
# out, within it so they lean in (if they lean over TURN_MIN rad from that way).
LEAN_BAND = (0.45, 0.7)
TURN_MIN, TURN_SPARE = 0.6, 0.3  # ... keeping this far (rad) inside the wrist's range
TURN_FOLDED = 2.0  # at most this turn (rad) of a hand leaning in close to the base
TURN_REVERSE = 2.5  # a turn over this (rad) is made mid-reach


def _wanted_lean(ctx: Ctx, xy: np.ndarray) -> float | None:
    """World yaw the fingertips should point to at ``xy`` (REACH_LEAN: outwards far out,
    inwards close in); None in between, where any lean does."""
    radial = np.asarray(xy, float)[:2] - ctx.view.base_xy
    dist = float(np.linalg.norm(radial))
    if LEAN_BAND[0] <= dist <= LEAN_BAND[1]:
        return None
    return math.atan2(radial[1], radial[0]) + (0.0 if dist > LEAN_BAND[1] else math.pi)


def turn_lean(ctx: Ctx, xy: np.ndarray) -> Motion:
    """Turn the held object about the vertical so the fingers lean the way REACH_LEAN wants
    at the target ``xy``: a frozen grip keeps the lean of where it was made, and a wrist
    leaning the wrong way reaches neither as far out (the elbow locks straight) nor as
    close in (the wrist folds up). Only the yaw turns, so the object stays as level as it
    is; it turns over the middle of the reach, where any lean does, when the turn is big."""
    want, lead = _wanted_lean(ctx, xy), ctx.held_lean()
    if want is None or lead is None:
        return True
    delta = wrap(want - lead)
    if abs(delta) < TURN_MIN:
        return True
    view = ctx.view
    start = view.eef_pos
    # Far out, or close in with the hand leaning in (the wrist folded up), the wrist turns
    # badly: turn mid-way, and from leaning in by no more than TURN_FOLDED.
    radial = start[:2] - view.base_xy
    here = float(np.linalg.norm(radial))
    inwards = abs(wrap(lead - math.atan2(radial[1], radial[0]) - math.pi)) < math.pi / 4
    folded = here < LEAN_BAND[0] and inwards
    most = TURN_FOLDED if folded else math.pi
    # Either way round, as far as the wrist goes: the one that comes closest. The last joint
    # turns against the yaw, and with the arm as it swings round to the target (the yaw
    # stays put), so there it will be at ``roll``.
    lo, hi = PSI_RANGE[0] + TURN_SPARE, PSI_RANGE[1] - TURN_SPARE
    target = np.asarray(xy, float)[:2] - view.base_xy
    swing = wrap(math.atan2(target[1], target[0]) - math.atan2(radial[1], radial[0]))
    roll, limit = view.wrist_roll + swing, view.wrist_limit - TURN_SPARE
    least, most = (
        max(lo - ctx.cmd_psi, roll - limit, -most),
        min(hi - ctx.cmd_psi, roll + limit, most),
    )
    turns = [
        float(np.clip(t, least, most)) for t in (delta, delta - math.copysign(2 * math.pi, delta))
    ]
    turn = min(turns, key=lambda t: abs(wrap(delta - t)))
    if abs(turn) < TURN_MIN:
        log.debug("no wrist turn gives the lean wanted at %s", np.round(xy, 3))
        return True
    reverse = abs(turn) > TURN_REVERSE  # a half turn: where the lean matters least
    if here > LEAN_BAND[1] or folded or reverse:
        mid = _mid_reach(view.base_xy, start[:2], np.asarray(xy, float)[:2])
        yield from transit(ctx, np.array([mid[0], mid[1], start[2]]), "transport", tol=0.03)
    ctx.aim(ctx.cmd_psi + turn, exact=True)
    yield from move(ctx, view.eef_pos, "transport", tol=0.03, rot_tol=0.12, max_steps=30)
    return True


def _mid_reach(base: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The point of segment ``a``-``b`` nearest the middle of the lean band from ``base``."""
    mid_dist = sum(LEAN_BAND) / 2
    ts = np.linspace(0.0, 1.0, 41)
    pts = a[None] + (b - a)[None] * ts[:, None]
    return pts[int(np.argmin(np.abs(np.linalg.norm(pts - base, axis=1) - mid_dist)))]
