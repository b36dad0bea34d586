"""What each image model can do, read from `models.toml`, and the checks made before any paid request.

A retired model is refused with its replacement named; a deprecated one is allowed with a warning
until its shutdown date; an unknown one is allowed with the conservative `[defaults.<provider>]`
capabilities and a warning (models appear faster than this table is updated).
"""

from __future__ import annotations

import logging
import re
import tomllib
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

from tool_server.errors import InvalidInput, ProviderRejected
from tool_server.mime import sniff_mime
from tool_server.providers.base import ImageRequest

logger = logging.getLogger(__name__)

Status = Literal["active", "deprecated", "retired"]
Transparency = Literal["yes", "preview", "no"]
SizeRule = Literal["fixed", "flexible", "aspect", "any"]

ACCEPTED_INPUT_TYPES = ("image/png", "image/jpeg", "image/webp")
MAX_PROMPT_CHARS = 32_000
MAX_IMAGES_PER_REQUEST = 10
_SIZE = re.compile(r"(\d{2,5})x(\d{2,5})")
_warned: set[str] = set()


@dataclass(frozen=True)
class Prices:
    """USD per 1M tokens."""

    text_in: float = 0.0
    image_in: float = 0.0
    image_out: float = 0.0
    text_out: float = 0.0


@dataclass(frozen=True)
class ModelCapabilities:
    name: str
    provider: str
    status: Status = "active"
    shutdown: date | None = None
    replacement: str | None = None
    input_fidelity: bool = False
    transparent: Transparency = "no"
    sizes: SizeRule = "fixed"
    fixed_sizes: tuple[str, ...] = ()
    size_multiple: int = 1
    max_aspect: float = 0.0
    max_edge: int = 0
    min_pixels: int = 0
    max_pixels: int = 0
    aspect_ratios: tuple[str, ...] = ()
    image_sizes: tuple[str, ...] = ()
    max_references: int = 16
    thinking: bool = False
    prices: Prices = field(default_factory=Prices)
    known: bool = True

    def is_retired(self, today: date) -> bool:
        return self.status == "retired" or (self.shutdown is not None and today >= self.shutdown)


def _from_toml(
    name: str, raw: dict[str, Any], *, provider: str | None = None, known: bool = True
) -> ModelCapabilities:
    values = {k: v for k, v in raw.items() if k not in ("aliases", "prices")}
    for key in ("fixed_sizes", "aspect_ratios", "image_sizes"):
        if key in values:
            values[key] = tuple(values[key])
    if provider is not None:
        values["provider"] = provider
    return ModelCapabilities(name=name, prices=Prices(**raw.get("prices", {})), known=known, **values)


@lru_cache(maxsize=1)
def _table() -> tuple[dict[str, ModelCapabilities], dict[str, dict[str, Any]]]:
    text = resources.files("tool_server.providers").joinpath("models.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    models: dict[str, ModelCapabilities] = {}
    for name, raw in data["models"].items():
        caps = _from_toml(name, raw)
        models[name] = caps
        for alias in raw.get("aliases", []):
            models[alias] = caps
    return models, data["defaults"]


def known_models() -> dict[str, ModelCapabilities]:
    """Every model in the table, aliases included."""
    return dict(_table()[0])


def lookup(model: str) -> ModelCapabilities | None:
    return _table()[0].get(model)


def capabilities_for(model: str, provider: str) -> ModelCapabilities:
    """The model's capabilities; an unknown model gets the provider's conservative defaults."""
    caps = lookup(model)
    if caps is not None:
        if caps.provider != provider:
            raise ProviderRejected(
                f"The model {model} belongs to the {caps.provider} provider, not {provider}: "
                f"choose provider={caps.provider} or a {provider} model.",
                provider=provider,
            )
        return caps if caps.name == model else replace(caps, name=model)
    defaults = _table()[1].get(provider)
    if defaults is None:
        raise ProviderRejected(f"Unknown provider {provider!r} for model {model}.", provider=provider)
    _warn_once(
        f"unknown:{provider}:{model}",
        "Image model %s is not in the capability table: using conservative %s defaults "
        "(no input_fidelity, no transparency, fixed sizes). Add it to providers/models.toml.",
        model,
        provider,
    )
    return _from_toml(model, defaults, provider=provider, known=False)


def ensure_usable(caps: ModelCapabilities, *, today: date) -> None:
    """Refuse a retired model (naming its replacement); warn once about a deprecated one."""
    if caps.is_retired(today):
        when = f" on {caps.shutdown.isoformat()}" if caps.shutdown else ""
        instead = f"use {caps.replacement} instead" if caps.replacement else "choose a current model"
        setting = f"COACH_IMAGE_{caps.provider.upper()}_MODEL"
        raise ProviderRejected(
            f"The image model {caps.name} was shut down{when}: {instead} (set {setting}). "
            "No request was sent.",
            provider=caps.provider,
        )
    if caps.status == "deprecated":
        _warn_once(
            f"deprecated:{caps.name}",
            "Image model %s shuts down on %s: switch to %s.",
            caps.name,
            caps.shutdown.isoformat() if caps.shutdown else "an announced date",
            caps.replacement or "a current model",
        )


def check_request(caps: ModelCapabilities, request: ImageRequest) -> None:
    """Raise before any request when the request cannot work with this model."""
    check_generic(request)
    if len(request.references) > caps.max_references:
        raise ProviderRejected(
            f"{caps.name} takes at most {caps.max_references} reference images (param image), "
            f"got {len(request.references)}: send fewer.",
            provider=caps.provider,
        )
    if request.background == "transparent":
        if caps.transparent == "no":
            raise ProviderRejected(
                f"{caps.name} cannot make a transparent background (param background): ask for a plain "
                "background and remove it afterwards, or use a model that supports transparency.",
                provider=caps.provider,
            )
        if caps.transparent == "preview":
            _warn_once(
                f"preview:{caps.name}", "Transparent background on %s is a preview feature.", caps.name
            )
    problem = size_problem(caps, request.size)
    if problem:
        raise ProviderRejected(f"{problem} No request was sent.", provider=caps.provider)


def check_generic(request: ImageRequest) -> None:
    """Checks that hold for every provider: fix the input and call again."""
    if not request.prompt.strip():
        raise InvalidInput("The image prompt is empty: describe the scene to draw.")
    if len(request.prompt) > MAX_PROMPT_CHARS:
        raise InvalidInput(
            f"The image prompt has {len(request.prompt)} characters; shorten it to {MAX_PROMPT_CHARS}."
        )
    if not 1 <= request.n <= MAX_IMAGES_PER_REQUEST:
        raise InvalidInput(f"n must be between 1 and {MAX_IMAGES_PER_REQUEST}, got {request.n}.")
    if request.background == "transparent" and request.output_format == "jpeg":
        raise InvalidInput("A transparent background needs output_format png or webp, not jpeg.")
    if request.size != "auto" and parse_size(request.size) is None:
        raise InvalidInput(
            f"size must be WIDTHxHEIGHT (for example 1024x1024) or auto, got {request.size!r}."
        )
    for ref in request.references:
        if sniff_mime(ref.data) not in ACCEPTED_INPUT_TYPES:
            raise InvalidInput(
                f"Reference image {ref.name!r} is not a PNG, JPEG or WebP image: convert it and try again."
            )


def parse_size(size: str) -> tuple[int, int] | None:
    match = _SIZE.fullmatch(size)
    return (int(match[1]), int(match[2])) if match else None


def size_problem(caps: ModelCapabilities, size: str) -> str | None:
    """Why `size` does not suit the model (naming the param), or None."""
    if caps.sizes == "fixed":
        if size in caps.fixed_sizes:
            return None
        return (
            f"{caps.name} does not take size {size} (param size): use one of {', '.join(caps.fixed_sizes)}."
        )
    if size == "auto" or caps.sizes == "aspect":
        return None
    dims = parse_size(size)
    if dims is None:
        return f"size must be WIDTHxHEIGHT or auto (param size), got {size!r}."
    width, height = dims
    if caps.max_edge and max(width, height) > caps.max_edge:
        return f"{caps.name} takes at most {caps.max_edge} px per side (param size), got {size}."
    if caps.sizes == "any":
        return (
            None
            if min(width, height) >= 64
            else f"size {size} is too small (param size): use at least 64 px."
        )
    if width % caps.size_multiple or height % caps.size_multiple:
        multiple = caps.size_multiple
        return f"{caps.name} needs width and height in multiples of {multiple} (param size), got {size}."
    if caps.max_aspect and max(width, height) > caps.max_aspect * min(width, height):
        return f"{caps.name} takes aspect ratios between 1:3 and 3:1 (param size), got {size}."
    if caps.min_pixels and width * height < caps.min_pixels:
        return f"{caps.name} needs at least {caps.min_pixels} pixels (param size), got {size}: ask for more."
    if caps.max_pixels and width * height > caps.max_pixels:
        return f"{caps.name} takes at most {caps.max_pixels} pixels (param size), got {size}."
    return None


def _warn_once(key: str, message: str, *args: object) -> None:
    if key not in _warned:
        _warned.add(key)
        logger.warning(message, *args)
