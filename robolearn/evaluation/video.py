"""Rollout videos: H.264 mp4 through imageio-ffmpeg, text overlays, suite grids.

Videos play at the env's control rate (20 Hz). :func:`overlay` writes the instruction on top
and the outcome at the bottom of each frame; :func:`grid_frames` tiles several episodes
(shorter ones hold their last frame) into one video per suite.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from pathlib import Path

import numpy as np


def write_video(path: str | Path, frames: Sequence[np.ndarray], fps: int) -> Path:
    """Write HxWx3 uint8 ``frames`` as an H.264 mp4 at ``fps``, atomically."""
    import imageio.v2 as imageio

    if len(frames) == 0:
        raise ValueError(f"no frames to write to {path}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp.mp4")
    with imageio.get_writer(tmp, fps=fps, codec="libx264", quality=7, macro_block_size=8) as w:
        for frame in frames:
            w.append_data(np.ascontiguousarray(frame))
    tmp.replace(path)
    return path


def _font(size: int):  # type: ignore[no-untyped-def]
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1
        return ImageFont.load_default()


def overlay(frame: np.ndarray, top: str, bottom: str = "", color: tuple = (255, 255, 255)):  # type: ignore[no-untyped-def]
    """``frame`` with ``top`` (wrapped) on a dark band above and ``bottom`` below."""
    from PIL import Image, ImageDraw

    h, w = frame.shape[:2]
    size = max(8, h // 20)
    font = _font(size)
    image = Image.fromarray(frame)
    draw = ImageDraw.Draw(image, "RGBA")
    lines = textwrap.wrap(top, width=max(10, int(w / (0.55 * size)))) if top else []
    band = (len(lines) * (size + 2) + 4) if lines else 0
    if band:
        draw.rectangle((0, 0, w, band), fill=(0, 0, 0, 150))
        for i, line in enumerate(lines):
            draw.text((4, 2 + i * (size + 2)), line, fill=(255, 255, 255), font=font)
    if bottom:
        draw.rectangle((0, h - size - 6, w, h), fill=(0, 0, 0, 150))
        draw.text((4, h - size - 4), bottom, fill=color, font=font)
    return np.asarray(image)


def episode_frames(
    frames: Sequence[np.ndarray], instruction: str, successes: Sequence[bool]
) -> list[np.ndarray]:
    """Overlay the instruction and, per frame, the running outcome (green once solved)."""
    out = []
    solved = False
    for t, frame in enumerate(frames):
        if successes:
            solved = solved or bool(successes[min(t, len(successes) - 1)])
        label = f"t={t}  success" if solved else f"t={t}"
        out.append(overlay(frame, instruction, label, (80, 255, 80) if solved else (255, 255, 255)))
    return out


def grid_frames(episodes: Sequence[Sequence[np.ndarray]], cols: int | None = None) -> list:
    """Tile episodes (lists of equal-size frames) into one frame sequence."""
    if not episodes:
        return []
    n = len(episodes)
    cols = cols or math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    h, w = episodes[0][0].shape[:2]
    length = max(len(e) for e in episodes)
    out = []
    for t in range(length):
        canvas = np.zeros((rows * h, cols * w, 3), dtype=np.uint8)
        for i, ep in enumerate(episodes):
            r, c = divmod(i, cols)
            canvas[r * h : (r + 1) * h, c * w : (c + 1) * w] = ep[min(t, len(ep) - 1)]
        out.append(canvas)
    return out


def downscale(frame: np.ndarray, size: int) -> np.ndarray:
    """Resize a square-ish frame to ``size`` px high (area filter)."""
    from PIL import Image

    h, w = frame.shape[:2]
    if h == size:
        return frame
    width = max(1, round(w * size / h))
    return np.asarray(Image.fromarray(frame).resize((width, size), Image.Resampling.BOX))
