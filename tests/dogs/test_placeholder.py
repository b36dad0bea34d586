"""The offline provider's dog avatar: the base dog with the job's accessory drawn locally."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from tool_server.dogs.base_image import builtin_base_png
from tool_server.dogs.jobs import DEFAULT_JOB, job_names
from tool_server.dogs.placeholder import ACCESSORY_PATHS, job_in_prompt, render_placeholder
from tool_server.dogs.validation import validate_avatar
from tool_server.errors import InvalidInput
from tool_server.prompts.dog import build_dog_prompt
from tool_server.providers import ImageRequest, ReferenceImage
from tool_server.providers.offline_provider import OfflineProvider

JOBS = [name for name in job_names() if name != DEFAULT_JOB]


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _alpha(image: Image.Image) -> np.ndarray:
    return np.asarray(image.getchannel("A"))


def test_every_job_has_an_accessory_drawing_and_only_default_is_empty() -> None:
    assert set(ACCESSORY_PATHS) == set(job_names())
    assert [name for name, paths in ACCESSORY_PATHS.items() if not paths] == [DEFAULT_JOB]


@pytest.mark.parametrize("job", JOBS)
def test_each_placeholder_adds_its_accessory_to_the_base_dog_and_passes_every_check(job: str) -> None:
    base = _alpha(render_placeholder(builtin_base_png(), build_dog_prompt(DEFAULT_JOB), (1024, 1024)))
    image = render_placeholder(builtin_base_png(), build_dog_prompt(job), (1024, 1024))

    added = (_alpha(image) > 128) & (base <= 128)
    assert added.sum() > 1500, "the accessory should be clearly visible"
    assert (_alpha(image) >= base).all(), "the base dog is kept whole"
    report = validate_avatar(_png(image))
    assert report.passed, [c for c in report.checks if not c.passed]


@pytest.mark.parametrize(
    "prompt",
    [
        build_dog_prompt("chef"),
        build_dog_prompt("chef", retry=True),
        build_dog_prompt("chef", white_background=True),
    ],
)
def test_the_job_is_read_from_the_prompts_accessory_line(prompt: str) -> None:
    assert job_in_prompt(prompt) == "chef"


def test_a_prompt_without_a_known_accessory_gets_the_plain_dog() -> None:
    assert job_in_prompt(build_dog_prompt(DEFAULT_JOB)) == DEFAULT_JOB
    assert job_in_prompt("Accessory: a crown of flowers") == DEFAULT_JOB


def test_a_wide_canvas_centres_the_dog_on_transparency() -> None:
    image = render_placeholder(builtin_base_png(), build_dog_prompt("qa"), (1536, 1024))
    alpha = _alpha(image)
    assert image.size == (1536, 1024)
    assert alpha[:, :256].max() == 0 and alpha[:, -256:].max() == 0
    assert validate_avatar(_png(image)).passed


async def test_the_offline_provider_draws_a_dog_avatar_as_a_transparent_png() -> None:
    provider = OfflineProvider()
    base = ReferenceImage(builtin_base_png(), "image/png", "dog_base.png")
    request = ImageRequest(
        prompt=build_dog_prompt("ops"),
        user="alice",
        references=(base,),
        background="transparent",
        task="dog_avatar",
    )
    result = await provider.generate(request)

    [image] = result.images
    assert (image.mime_type, result.provider, result.cost_usd) == ("image/png", "offline", 0.0)
    with Image.open(io.BytesIO(image.data)) as opened:
        assert opened.mode == "RGBA"
        assert np.array_equal(
            np.asarray(opened), np.asarray(render_placeholder(base.data, request.prompt, (1024, 1024)))
        )


async def test_the_offline_provider_refuses_a_dog_avatar_without_the_base_image() -> None:
    request = ImageRequest(prompt=build_dog_prompt("ops"), user="alice", task="dog_avatar")
    with pytest.raises(InvalidInput, match="base dog"):
        await OfflineProvider().generate(request)
