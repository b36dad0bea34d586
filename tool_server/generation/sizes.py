"""Avatar image sizes: `image_size` tiers (the seed's 1K/2K) and the WxH each stage asks for."""

from __future__ import annotations

from typing import Literal

ImageSize = Literal["1K", "2K"]
# (headshot, full body): square for the face, portrait for the whole person.
SIZES: dict[ImageSize, tuple[str, str]] = {"1K": ("1024x1024", "1024x1536"), "2K": ("2048x2048", "1360x2048")}
