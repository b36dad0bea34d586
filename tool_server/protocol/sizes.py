"""What a `tools/list` answer costs: the whole of it, and the part a model reads in every conversation."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

WHOLE_TARGET = 20_000
MODEL_FACING_TARGET = 9_000
# What the model reads of a tool: hosts pass these three to it; titles, annotations and output
# schemas stay with the client.
MODEL_FACING = ("name", "description", "inputSchema")


@dataclass(frozen=True)
class ListingSize:
    whole: int
    model_facing: int
    tools: int

    @property
    def within_targets(self) -> bool:
        return self.whole <= WHOLE_TARGET and self.model_facing <= MODEL_FACING_TARGET


def listing_size(listing: dict[str, Any]) -> ListingSize:
    """Bytes of a `tools/list` result given as its wire JSON (aliases, no nulls), compact as sent."""
    tools = listing["tools"]
    model = sum(_bytes({key: tool[key] for key in MODEL_FACING if key in tool}) for tool in tools)
    return ListingSize(whole=_bytes(listing), model_facing=model, tools=len(tools))


def _bytes(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())
