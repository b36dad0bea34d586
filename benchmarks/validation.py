"""Item 5: the dog-avatar checks against the seed's pure-Python `validate_monoline_style` loop.

Measured by `benchmarks/dog_validation_bench.py` (which also runs alone and prints every figure):
on two 1024x1024 RGBA images, the seed's per-pixel loop (seed minus the PNG decode both share)
against our six vectorised checks on the decoded pixels; the figure is the worse image's ratio.
"""

from __future__ import annotations

from benchmarks.dog_validation_bench import TARGET_RATIO, measure, quiet_deprecations, test_images
from benchmarks.report import Row


def validation(runs: int) -> Row:
    quiet_deprecations()
    figures = {name: measure(data, runs) for name, data in test_images().items()}
    worst_name, worst = min(figures.items(), key=lambda item: item[1]["pixel_work_ratio"])
    ratio = worst["pixel_work_ratio"]
    return Row(
        item=5,
        name="dog validation vs the seed's pure-Python loop (pixel work)",
        value=ratio,
        unit="x",
        target=f">= {TARGET_RATIO:g}x",
        passed=ratio >= TARGET_RATIO,
        detail=f"worst image: {worst_name}; seed loop {worst['seed_loop_ms']:.0f} ms, our 6 checks "
        f"{worst['ours_checks_ms']:.1f} ms; end to end incl. the shared decode "
        f"{worst['end_to_end_ratio']:.1f}x",
        data={"runs": runs, "images": figures},
    )
