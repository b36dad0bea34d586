"""Turn a drawing on a plain white background into a real alpha channel (for providers without alpha).

The background is every near-white pixel connected to the border of the image (a flood fill, so
white areas enclosed by strokes, such as the face inside the outline, stay white). The flood fill
is vectorised: each sweep fills, in every row (then every column), the whole run of near-white
pixels that already holds a filled pixel; sweeps alternate until nothing changes, which takes
one pair of sweeps per bend of the path from the border. The antialiased ring between the
background and the strokes gets "colour to alpha" against white, so edges stay smooth on any
backdrop.

Blocking CPU work: run it through `anyio.to_thread.run_sync`.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from tool_server.dogs.validation import CLEAR_ALPHA, DARK_BELOW, Pixels, decode_rgba, encode_png

Mask = npt.NDArray[np.bool_]

WHITE_AT_LEAST = 235  # every channel at or above: near-white (tolerates JPEG noise and off-white)
EDGE_RING_PX = 2  # half-width of the band around the boundary given partial alpha
MAX_SWEEPS = 64


def remove_white_background(pixels: Pixels, white_at_least: int = WHITE_AT_LEAST) -> Pixels:
    """A copy of the RGB(A) `pixels` whose border-connected near-white background is transparent."""
    rgb = np.ascontiguousarray(pixels[..., :3])
    alpha = pixels[..., 3] if pixels.shape[2] == 4 else np.full(rgb.shape[:2], 255, dtype=np.uint8)
    near_white = np.all(rgb >= white_at_least, axis=2) | (alpha <= CLEAR_ALPHA)
    background = flood_from_border(near_white)
    # The band on both sides of the boundary: off-white background pixels there are the outer
    # fringe of the antialiasing, so they get partial alpha too rather than vanishing.
    edge = _dilate(background, EDGE_RING_PX) & _dilate(~background, EDGE_RING_PX)
    out = np.empty((*rgb.shape[:2], 4), dtype=np.uint8)
    out[..., :3] = rgb
    out[..., 3] = alpha
    out[background] = 0
    unmixed = _colour_to_alpha(rgb[edge])
    unmixed[:, 3] = np.minimum(unmixed[:, 3], alpha[edge])
    out[edge] = unmixed
    return out


def remove_white_background_png(data: bytes, white_at_least: int = WHITE_AT_LEAST) -> bytes:
    """Decode `data` (any format Pillow reads), remove the white background, encode as PNG."""
    return encode_png(remove_white_background(decode_rgba(data).pixels, white_at_least))


def flood_from_border(mask: Mask) -> Mask:
    """The pixels of `mask` 4-connected to the image border through `mask`."""
    filled = np.zeros_like(mask)
    filled[[0, -1], :] = mask[[0, -1], :]
    filled[:, [0, -1]] |= mask[:, [0, -1]]
    columns_first = np.ascontiguousarray(mask.T)
    for _ in range(MAX_SWEEPS):
        grown = _fill_runs(mask, filled)
        grown = np.ascontiguousarray(_fill_runs(columns_first, np.ascontiguousarray(grown.T)).T)
        if np.array_equal(grown, filled):
            break
        filled = grown
    return filled


def _fill_runs(mask: Mask, seeds: Mask) -> Mask:
    """Along each row: every run of `mask` that contains a seed, filled entirely."""
    height, width = mask.shape
    # A False column after each row keeps runs from continuing onto the next row.
    padded = np.zeros((height, width + 1), dtype=bool)
    padded[:, :width] = mask
    flat = padded.reshape(-1)
    starts = flat.copy()
    starts[1:] &= ~flat[:-1]
    run_of = np.cumsum(starts, dtype=np.int32)  # run number of each mask pixel (meaningless elsewhere)
    seeded = np.zeros(int(run_of[-1]) + 1, dtype=bool)
    seed_flat = np.zeros_like(flat)
    seed_flat.reshape(height, width + 1)[:, :width] = seeds & mask
    seeded[run_of[seed_flat]] = True
    return (flat & seeded[run_of]).reshape(height, width + 1)[:, :width]


def _dilate(mask: Mask, steps: int) -> Mask:
    grown = mask.copy()
    for _ in range(steps):
        step = grown.copy()
        step[1:] |= grown[:-1]
        step[:-1] |= grown[1:]
        wide = step.copy()
        wide[:, 1:] |= step[:, :-1]
        wide[:, :-1] |= step[:, 1:]
        grown = wide
    return grown


def _colour_to_alpha(rgb: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """Un-composite edge pixels from white, taking ink as anything darker than the seed's dark level.

    A pixel `c` seen on white is `a * f + (1 - a) * 255`; with `a` from how far the pixel is from
    white (full at the dark level), the colour `f` is recovered so the pixel looks the same on white
    and blends on any other backdrop.
    """
    values = rgb.astype(np.float32)
    alpha = np.clip((255 - values.min(axis=1)) / (255 - DARK_BELOW), 0, 1)
    safe = np.maximum(alpha, 1e-3)[:, None]
    colour = np.clip((values - (1 - alpha[:, None]) * 255) / safe, 0, 255)
    out = np.empty((rgb.shape[0], 4), dtype=np.uint8)
    out[:, :3] = np.rint(colour)
    out[:, 3] = np.rint(alpha * 255)
    return out
