"""Item 8: what `tools/list` costs in every conversation, whole and the part a model reads.

Measured from a real `python -m tool_server` over stdio (as a host starts it): the result's wire
JSON, compact as the server sends it. Model-facing: each tool's name, description and input schema.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from mcp import Client, StdioServerParameters

from benchmarks.cold_start import ROOT, _env
from benchmarks.report import Row
from tool_server.protocol.sizes import MODEL_FACING_TARGET, WHOLE_TARGET, listing_size


async def listing_sizes() -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="coach-bench-") as tmp:
        env = _env(Path(tmp) / "data")
        params = StdioServerParameters(
            command=sys.executable, args=["-m", "tool_server"], env=env, cwd=str(ROOT)
        )
        async with Client(params) as client:
            listing = (await client.list_tools()).model_dump(mode="json", by_alias=True, exclude_none=True)
    size = listing_size(listing)
    detail = f"{size.tools} tools; compact JSON as sent"
    return [
        Row(
            item=8,
            name="tools/list, whole",
            value=size.whole / 1000,
            unit="KB",
            target=f"<= {WHOLE_TARGET / 1000:g} KB",
            passed=size.whole <= WHOLE_TARGET,
            detail=detail,
            data={"bytes": size.whole, "tools": size.tools},
        ),
        Row(
            item=8,
            name="tools/list, model-facing (names, descriptions, input schemas)",
            value=size.model_facing / 1000,
            unit="KB",
            target=f"<= {MODEL_FACING_TARGET / 1000:g} KB",
            passed=size.model_facing <= MODEL_FACING_TARGET,
            detail=detail,
            data={"bytes": size.model_facing, "tools": size.tools},
        ),
    ]
