"""The fakes fail like the real APIs on the known pitfalls, else the adapter tests would prove nothing."""

from __future__ import annotations

import base64
import json

import httpx2

from tests.fakes.fake_gemini import FakeGemini
from tests.fakes.fake_openai import FakeOpenAI
from tests.fakes.images import png

AUTH = {"Authorization": "Bearer sk-test"}


def test_fake_openai_answers_400_unknown_parameter_to_response_format(fake_openai: FakeOpenAI) -> None:
    body = {"model": "gpt-image-2", "prompt": "x", "response_format": "b64_json"}
    answer = httpx2.post(f"{fake_openai.base_url}/images/generations", json=body, headers=AUTH)

    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "unknown_parameter"


def test_fake_openai_refuses_an_image_part_without_name_or_type(fake_openai: FakeOpenAI) -> None:
    files = [("image[]", ("blob", png(), "application/octet-stream"))]
    answer = httpx2.post(
        f"{fake_openai.base_url}/images/edits",
        data={"prompt": "x", "model": "gpt-image-2"},
        files=files,
        headers=AUTH,
    )

    assert answer.status_code == 400
    assert "unsupported mimetype" in answer.json()["error"]["message"]


def test_fake_openai_refuses_input_fidelity_for_gpt_image_2(fake_openai: FakeOpenAI) -> None:
    files = [("image[]", ("a.png", png(), "image/png"))]
    data = {"prompt": "x", "model": "gpt-image-2", "input_fidelity": "high"}
    answer = httpx2.post(f"{fake_openai.base_url}/images/edits", data=data, files=files, headers=AUTH)

    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "invalid_input_fidelity_model"


def _gemini_body(data: str, *, snake: bool) -> dict[str, object]:
    inline = {"data": data, "mime_type" if snake else "mimeType": "image/png"}
    part = {"inline_data" if snake else "inlineData": inline}
    config_key = "generation_config" if snake else "generationConfig"
    return {
        "contents": [{"role": "user", "parts": [part, {"text": "x"}]}],
        config_key: {"responseModalities": ["TEXT", "IMAGE"]},
    }


def test_fake_gemini_serves_v1_and_v1beta_with_either_key_casing_and_base64_alphabet(
    fake_gemini: FakeGemini,
) -> None:
    image = bytes(range(256)) * 3  # bytes whose base64 holds + and /
    standard = base64.b64encode(image).decode()
    urlsafe = base64.urlsafe_b64encode(image).decode().rstrip("=")
    urls = [f"{fake_gemini.base_url}/{v}/models/gemini-3-pro-image:generateContent" for v in ("v1", "v1beta")]

    first = httpx2.post(urls[0], json=_gemini_body(standard, snake=False), headers={"x-goog-api-key": "k"})
    second = httpx2.post(urls[1] + "?key=k", json=_gemini_body(urlsafe, snake=True))

    assert (first.status_code, second.status_code) == (200, 200)
    sent = [fake_gemini.sent_parts(r)[0].data for r in fake_gemini.requests]
    assert sent == [image, image]


def test_fake_gemini_refuses_lowercase_image_size_and_several_candidates(fake_gemini: FakeGemini) -> None:
    url = f"{fake_gemini.base_url}/v1beta/models/gemini-3-pro-image:generateContent"
    body = {
        "contents": [{"parts": [{"text": "x"}]}],
        "generationConfig": {"imageConfig": {"imageSize": "2k"}},
    }
    lowercase = httpx2.post(url, json=body, headers={"x-goog-api-key": "k"})
    body = {"contents": [{"parts": [{"text": "x"}]}], "generationConfig": {"candidateCount": 2}}
    several = httpx2.post(url, json=body, headers={"x-goog-api-key": "k"})

    assert (lowercase.status_code, several.status_code) == (400, 400)
    assert "Multiple candidates" in json.dumps(several.json())
