from __future__ import annotations

import hashlib

import pytest

from tool_server.dogs.jobs import job_names, jobs, resolve_job
from tool_server.errors import InvalidInput
from tool_server.prompts.dog import PROMPT_VERSION, build_dog_prompt

# The seed's table and build_prompt ("Avatar Generation V2", sections 1 and 2), as the oracle.
SEED_JOB_ACCESSORIES = {
    "support": "tiny headset with mic",
    "developer": "simple square glasses",
    "data": "small abstract node/sparkle near head (minimal)",
    "manager": "minimal flat cap",
    "sales": "small tie",
    "security": "small shield badge on collar",
    "designer": "small beret",
    "product": "tiny sticky note on ear (outline only)",
    "marketing": "small megaphone icon floating near head (outline only)",
    "finance": "tiny coin icon near collar (outline only)",
    "legal": "small scales-of-justice icon near collar (outline only)",
    "hr": "small heart badge on collar (outline only)",
    "ops": "tiny gear icon near head (outline only)",
    "qa": "tiny checkmark badge on collar",
    "research": "tiny monocle (no hand)",
    "doctor": "tiny stethoscope draped around neck (no hands)",
    "teacher": "small graduation cap",
    "pilot": "simple aviator cap with goggles on top",
    "chef": "small chef hat (toque)",
    "artist": "small paintbrush behind ear (no hand holding it)",
    "default": "",
}
SEED_PROMPT_PREFIX = """Edit the input image.
Preserve the exact same dog head shape, ear shape, face proportions, and stroke weight from the input.
Minimal monoline icon, rounded caps and joins, outline-only.
No hands, no arms, no paws, no limbs, no props held by the dog.
No fills, no shading, no gradients, no shadows, no 3D.
Add ONLY the accessory described below; do not add any other objects.
Centered composition, friendly, clean, modern app icon.
Transparent background."""
SEED_RETRY_PROMPT_ADDITION = """
ABSOLUTELY NO LIMBS: remove any arms/hands/paws; show head/neck only."""


def seed_build_prompt(job: str, retry: bool = False) -> str:
    accessory = SEED_JOB_ACCESSORIES.get(job, SEED_JOB_ACCESSORIES["default"])
    prompt = SEED_PROMPT_PREFIX
    if retry:
        prompt += SEED_RETRY_PROMPT_ADDITION
    if accessory:
        prompt += f"\nAccessory: {accessory}"
    return prompt


# Changing a prompt file or an accessory changes this digest: bump PROMPT_VERSION, then update it.
PINNED_DIGEST = "dbe6cfdab44fee35"


def test_the_job_table_is_the_seeds_twenty_jobs_plus_default_in_order() -> None:
    assert {name: job.accessory for name, job in jobs().items()} == SEED_JOB_ACCESSORIES
    assert job_names() == list(SEED_JOB_ACCESSORIES)
    assert len(job_names()) == 21


@pytest.mark.parametrize(("given", "expected"), [("  Developer ", "developer"), ("QA", "qa"), ("hr\t", "hr")])
def test_job_names_are_matched_ignoring_case_and_surrounding_whitespace(given: str, expected: str) -> None:
    assert resolve_job(given).name == expected


@pytest.mark.parametrize(
    ("given", "closest"), [("develper", "developer"), ("software developer", "developer")]
)
def test_an_unknown_job_is_refused_with_the_valid_jobs_and_the_closest_match(
    given: str, closest: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        resolve_job(given)
    message = str(caught.value)
    assert f"Did you mean {closest!r}?" in message
    assert all(name in message for name in SEED_JOB_ACCESSORIES)


def test_a_job_close_to_nothing_gets_the_list_without_a_guess() -> None:
    with pytest.raises(InvalidInput) as caught:
        resolve_job("xyzzy")
    assert "Did you mean" not in str(caught.value)
    assert "support, developer" in str(caught.value)


@pytest.mark.parametrize("retry", [False, True])
@pytest.mark.parametrize("job", list(SEED_JOB_ACCESSORIES))
def test_the_prompt_is_built_exactly_as_the_seeds_build_prompt(job: str, retry: bool) -> None:
    assert build_dog_prompt(job, retry=retry) == seed_build_prompt(job, retry=retry)


def test_the_prompt_ends_with_the_jobs_accessory_and_the_retry_adds_no_limbs() -> None:
    prompt = build_dog_prompt("Support", retry=True)
    assert prompt.endswith("\nAccessory: tiny headset with mic")
    assert "ABSOLUTELY NO LIMBS: remove any arms/hands/paws; show head/neck only." in prompt
    assert "Accessory:" not in build_dog_prompt("default")


def test_the_white_background_prompt_asks_for_white_instead_of_transparency() -> None:
    prompt = build_dog_prompt("chef", white_background=True)
    assert "Transparent background." not in prompt
    assert "Plain solid white background" in prompt
    assert prompt.endswith("\nAccessory: small chef hat (toque)")


def test_a_prompt_change_needs_a_new_prompt_version() -> None:
    texts = [
        build_dog_prompt(job, retry=retry, white_background=white)
        for job in job_names()
        for retry in (False, True)
        for white in (False, True)
    ]
    digest = hashlib.sha256("\x00".join(texts).encode()).hexdigest()[:16]
    assert (PROMPT_VERSION, digest) == ("dog-v2", PINNED_DIGEST), (
        "the dog prompt changed: bump PROMPT_VERSION in tool_server/prompts/dog/version.py, "
        "then update PINNED_DIGEST"
    )
