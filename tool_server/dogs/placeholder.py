"""The offline provider's dog avatar: the base dog with the job's accessory drawn locally.

No image model is involved: each accessory is a few monoline paths on the base dog's 1024 canvas,
drawn with the same stroke and renderer, so the result is a real transparent PNG that passes the
avatar checks. It is a placeholder for development and demos (`coach-image-tools demo` without
keys), and every result made from it says so.

The job is read from the prompt's `Accessory: ...` line (the offline provider, like a hosted one,
only sees the prompt and the base image); a prompt without one gets the plain dog.
"""

from __future__ import annotations

import io
import math

from PIL import Image, ImageOps

from tool_server.dogs.base_image import circle_path, render_paths
from tool_server.dogs.jobs import jobs

Path = tuple[str, str, bool]  # (name, SVG path data on the 1024 canvas, filled)
ACCESSORY_LINE = "Accessory: "


def _gear(cx: float, cy: float, r: float, teeth: int = 8) -> tuple[Path, ...]:
    spokes = " ".join(
        f"M {cx + r * math.cos(a):.1f} {cy + r * math.sin(a):.1f} "
        f"L {cx + (r + 24) * math.cos(a):.1f} {cy + (r + 24) * math.sin(a):.1f}"
        for a in (2 * math.pi * k / teeth for k in range(teeth))
    )
    return (("gear", circle_path(cx, cy, r), False), ("gear-teeth", spokes, False))


def _badge(name: str, inner: str) -> tuple[Path, ...]:
    """A round badge hanging from the collar tag, with `inner` drawn inside it."""
    return (("badge", circle_path(512, 916, 50), False), (name, inner, False))


# Positions follow the base dog (base_image.DOG_PATHS): skull top near y=237, eyes at y=432,
# ears x 242..374 and 650..782, collar y 742..824 with its tag at (512, 846).
ACCESSORY_PATHS: dict[str, tuple[Path, ...]] = {
    "support": (
        ("headband", "M 318 430 C 310 120 714 120 706 430", False),
        ("earpiece-left", circle_path(318, 450, 30), False),
        ("earpiece-right", circle_path(706, 450, 30), False),
        ("boom", "M 706 480 C 704 560 670 600 610 606", False),
        ("mic", circle_path(596, 606, 14), True),
    ),
    "developer": (
        ("lens-left", "M 396 392 L 484 392 L 484 472 L 396 472 Z", False),
        ("lens-right", "M 540 392 L 628 392 L 628 472 L 540 472 Z", False),
        ("bridge", "M 484 428 L 540 428", False),
        ("temples", "M 396 412 L 366 404 M 628 412 L 658 404", False),
    ),
    "data": (
        (
            "sparkle",
            "M 790 150 C 796 196 802 202 848 208 C 802 214 796 220 790 266 "
            "C 784 220 778 214 732 208 C 778 202 784 196 790 150 Z",
            False,
        ),
        ("link", "M 760 290 L 712 330", False),
        ("node", circle_path(700, 342, 16), True),
    ),
    "manager": (
        ("crown", "M 372 300 C 376 180 652 180 664 296 Z", False),
        ("brim", "M 600 298 C 660 298 712 304 730 322", False),
    ),
    "sales": (
        ("knot", "M 490 800 L 534 800 L 524 832 L 500 832 Z", False),
        ("blade", "M 500 832 L 480 912 L 512 948 L 544 912 L 524 832", False),
    ),
    "security": _badge(
        "shield",
        "M 482 888 L 542 888 L 542 914 C 542 934 512 950 512 950 C 512 950 482 934 482 914 Z",
    ),
    "designer": (
        (
            "beret",
            "M 352 268 C 352 196 566 164 630 214 C 672 250 610 290 480 292 C 396 294 352 290 352 268 Z",
            False,
        ),
        ("stem", "M 520 186 L 532 152", False),
    ),
    "product": (
        ("note", "M 236 430 L 326 430 L 326 500 L 306 520 L 236 520 Z", False),
        ("fold", "M 326 500 L 306 500 L 306 520", False),
    ),
    "marketing": (
        ("cone", "M 772 236 L 850 186 L 850 300 L 772 258 Z", False),
        ("mouthpiece", "M 772 232 L 748 232 L 748 262 L 772 262", False),
        ("sound", "M 880 214 L 906 198 M 884 244 L 914 244 M 880 274 L 906 290", False),
    ),
    "finance": (("coin", circle_path(700, 812, 46), False), ("coin-mark", "M 700 790 L 700 834", False)),
    "legal": (
        ("post", "M 710 764 L 710 880 M 680 880 L 740 880", False),
        ("beam", "M 650 784 L 770 784", False),
        ("pans", "M 650 784 L 626 838 L 674 838 Z M 770 784 L 746 838 L 794 838 Z", False),
    ),
    "hr": _badge(
        "heart",
        "M 512 946 C 474 920 468 888 490 884 C 502 882 510 890 512 898 "
        "C 514 890 522 882 534 884 C 556 888 550 920 512 946 Z",
    ),
    "ops": _gear(790, 206, 40),
    "qa": _badge("check", "M 488 916 L 506 936 L 538 894"),
    "research": (
        ("monocle", circle_path(584, 432, 54), False),
        ("chain", "M 626 468 C 650 540 650 600 628 664", False),
    ),
    "doctor": (
        ("tube-left", "M 420 690 C 436 800 490 866 538 892", False),
        ("tube-right", "M 604 690 C 604 780 584 846 560 890", False),
        ("chest-piece", circle_path(552, 918, 26), False),
    ),
    "teacher": (
        ("board", "M 512 126 L 684 188 L 512 250 L 340 188 Z", False),
        ("cap", "M 420 222 L 420 272 C 470 292 554 292 604 272 L 604 222", False),
        ("tassel", "M 512 188 L 664 214 L 664 284", False),
    ),
    "pilot": (
        ("cap", "M 352 330 C 352 160 672 160 672 330", False),
        ("goggle-left", circle_path(462, 236, 36), False),
        ("goggle-right", circle_path(562, 236, 36), False),
        ("goggle-bridge", "M 498 236 L 526 236", False),
        ("strap", "M 362 262 L 426 242 M 598 242 L 662 262", False),
    ),
    "chef": (
        (
            "puff",
            "M 420 250 C 380 250 368 172 428 160 C 440 110 500 100 512 132 "
            "C 524 100 584 110 596 160 C 656 172 644 250 604 250 Z",
            False,
        ),
        ("band", "M 420 250 L 420 292 L 604 292 L 604 250", False),
    ),
    "artist": (
        ("handle", "M 690 332 L 816 196", False),
        ("bristles", "M 816 196 L 846 156 C 858 140 880 146 870 166 L 836 212 Z", True),
    ),
    "default": (),
}


def job_in_prompt(prompt: str) -> str:
    """The job whose accessory the prompt's last `Accessory: ...` line names; `default` if none."""
    lines = [line for line in prompt.splitlines() if line.startswith(ACCESSORY_LINE)]
    if not lines:
        return "default"
    wanted = lines[-1].removeprefix(ACCESSORY_LINE).strip()
    return next((job.name for job in jobs().values() if job.accessory == wanted), "default")


def render_placeholder(
    base_png: bytes, prompt: str, size: tuple[int, int], *, opaque: bool = False
) -> Image.Image:
    """The base dog with the prompt's accessory, centred on a transparent (or white) canvas of `size`."""
    width, height = size
    side = min(width, height)
    with Image.open(io.BytesIO(base_png)) as opened:
        base = ImageOps.pad(opened.convert("RGBA"), (side, side), color=(0, 0, 0, 0))
    accessory = ACCESSORY_PATHS.get(job_in_prompt(prompt), ())
    if accessory:
        base.alpha_composite(render_paths(accessory, side))
    canvas = Image.new("RGBA", size, (0, 0, 0, 0))
    canvas.paste(base, ((width - side) // 2, (height - side) // 2))
    if opaque:
        white = Image.new("RGBA", size, "white")
        white.alpha_composite(canvas)
        return white.convert("RGB")
    return canvas
