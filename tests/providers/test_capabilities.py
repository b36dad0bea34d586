"""The capability table: complete entries, lifecycle rules, size rules and prices turned into dollars."""

from __future__ import annotations

from datetime import date

import pytest

from tool_server.errors import ProviderRejected
from tool_server.providers import ImageRequest, ProviderRegistry, capabilities_for, known_models
from tool_server.providers.capabilities import ensure_usable, lookup, size_problem
from tool_server.providers.gemini_support import image_config_for
from tool_server.providers.pricing import gemini_cost, openai_cost
from tool_server.settings import Settings

TODAY = date(2026, 11, 21)


def test_every_model_the_brief_names_is_in_the_table_with_a_consistent_entry() -> None:
    models = known_models()
    for name in (
        "gpt-image-2", "gpt-image-1.5", "gpt-image-1-mini", "chatgpt-image-latest", "gpt-image-1",
        "gemini-3-pro-image", "gemini-3-pro-image-preview", "gemini-3.1-flash-image",
        "gemini-2.5-flash-image", "offline",
    ):  # fmt: skip
        assert name in models
    for caps in models.values():
        assert caps.provider in ("openai", "gemini", "offline")
        assert caps.status != "retired" or caps.replacement in models
        assert caps.status != "deprecated" or caps.shutdown is not None
        assert caps.sizes != "fixed" or caps.fixed_sizes


@pytest.mark.parametrize(
    ("model", "replacement"),
    [
        ("gpt-image-1", "gpt-image-2"),
        ("gemini-3-pro-image-preview", "gemini-3-pro-image"),
        ("gemini-2.5-flash-image", "gemini-3.1-flash-image"),
    ],
)
def test_a_retired_model_is_refused_naming_its_replacement(model: str, replacement: str) -> None:
    caps = lookup(model)
    assert caps is not None
    with pytest.raises(ProviderRejected, match=f"use {replacement}"):
        ensure_usable(caps, today=TODAY)


@pytest.mark.parametrize("model", ["gpt-image-1.5", "gpt-image-1-mini", "chatgpt-image-latest"])
def test_deprecated_models_work_until_december_first_2026(model: str) -> None:
    caps = capabilities_for(model, "openai")

    ensure_usable(caps, today=date(2026, 11, 30))
    with pytest.raises(ProviderRejected, match="2026-12-01"):
        ensure_usable(caps, today=date(2026, 12, 1))


def test_only_gpt_image_1_5_among_usable_models_takes_input_fidelity() -> None:
    usable = [caps for caps in known_models().values() if not caps.is_retired(TODAY)]

    assert sorted({caps.name for caps in usable if caps.input_fidelity}) == ["gpt-image-1.5"]


def test_an_unknown_model_gets_conservative_capabilities(caplog: pytest.LogCaptureFixture) -> None:
    caps = capabilities_for("gpt-image-3", "openai")

    assert (caps.known, caps.input_fidelity, caps.transparent, caps.sizes) == (False, False, "no", "fixed")
    assert "gpt-image-3" in caplog.text


def test_a_snapshot_alias_shares_its_models_capabilities_under_its_own_name() -> None:
    caps = capabilities_for("gpt-image-2-2026-04-21", "openai")

    assert caps.name == "gpt-image-2-2026-04-21" and caps.sizes == "flexible"


@pytest.mark.parametrize(
    ("size", "ok"),
    [
        ("1024x1024", True),
        ("3840x2160", True),
        ("2160x3840", True),
        ("1536x864", True),
        ("auto", True),
        ("1030x1024", False),
        ("3856x2160", False),
        ("2400x768", False),
        ("768x768", False),
    ],
)
def test_gpt_image_2_size_rules(size: str, ok: bool) -> None:
    caps = capabilities_for("gpt-image-2", "openai")

    assert (size_problem(caps, size) is None) is ok


def test_gemini_gets_the_nearest_ratio_and_the_covering_tier() -> None:
    caps = capabilities_for("gemini-3-pro-image", "gemini")

    assert image_config_for(caps, "1080x1920") == {"aspect_ratio": "9:16", "image_size": "2K"}
    assert image_config_for(caps, "2560x1080") == {"aspect_ratio": "21:9", "image_size": "4K"}
    assert image_config_for(capabilities_for("gemini-x", "gemini"), "1024x1024") == {"aspect_ratio": "1:1"}


def test_openai_cost_of_a_high_quality_square_image_on_gpt_image_1_5() -> None:
    caps = capabilities_for("gpt-image-1.5", "openai")
    usage = {
        "input_tokens": 50,
        "output_tokens": 4160,
        "input_tokens_details": {"text_tokens": 10, "image_tokens": 40},
        "output_tokens_details": {"image_tokens": 4160, "text_tokens": 0},
    }

    assert openai_cost(caps.prices, usage) == pytest.approx(0.133, abs=0.001)


def test_gemini_pro_costs_about_13_cents_per_1k_image_and_24_per_4k() -> None:
    prices = capabilities_for("gemini-3-pro-image", "gemini").prices

    assert gemini_cost(prices, {"candidates_token_count": 1120}) == pytest.approx(0.134, abs=0.001)
    assert gemini_cost(prices, {"candidates_token_count": 2000}) == pytest.approx(0.24, abs=0.001)


def test_the_table_ships_inside_the_package() -> None:
    from importlib import resources

    assert resources.files("tool_server.providers").joinpath("models.toml").is_file()
    assert resources.files("tool_server.assets").joinpath("generic_person.jpg").is_file()


async def test_base_urls_and_keys_come_from_the_sdk_environment_variables(
    monkeypatch: pytest.MonkeyPatch, fake_openai: object, fake_gemini: object
) -> None:
    from tests.fakes.fake_gemini import FakeGemini
    from tests.fakes.fake_openai import FakeOpenAI

    assert isinstance(fake_openai, FakeOpenAI) and isinstance(fake_gemini, FakeGemini)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
    monkeypatch.setenv("OPENAI_BASE_URL", fake_openai.base_url)
    monkeypatch.setenv("GOOGLE_API_KEY", "google-env")
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", fake_gemini.base_url)
    registry = ProviderRegistry(Settings(_env_file=None), today=lambda: TODAY)

    await registry.get("openai").generate(ImageRequest(prompt="x", user="u"))
    await registry.get("gemini").generate(ImageRequest(prompt="x", user="u"))

    assert fake_openai.requests[0].headers["authorization"] == "Bearer sk-env"
    assert fake_gemini.requests[0].headers["x-goog-api-key"] == "google-env"
