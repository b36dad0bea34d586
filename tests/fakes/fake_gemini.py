"""A fake Gemini API on loopback: `POST /{v1,v1beta}/models/{model}:generateContent`.

Like the real service it takes the key from `x-goog-api-key` or `?key=`, reads camelCase and
snake_case keys alike (the SDK mixes `inlineData` with `mime_type`), decodes standard and URL-safe
base64, refuses `candidateCount > 1`, a lowercase `imageSize` and unknown aspect ratios. Replies carry
thought parts (text and an interim image) before the final image, as Gemini 3 image models do.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Any

from tests.fakes.http_fake import FakeHTTPServer, RecordedRequest, Reply
from tests.fakes.images import png

ASPECT_RATIOS = {"1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9"}
IMAGE_SIZES = {"1K", "2K", "4K"}
_PATH = re.compile(r"^/(v1|v1beta)/models/([^/:]+):generateContent$")
FINAL_IMAGE = png((8, 8), (250, 200, 10))
THOUGHT_IMAGE = png((8, 8), (90, 90, 90))


@dataclass
class SentPart:
    """One part of a request, normalised: kind is "image" or "text"."""

    kind: str
    mime_type: str | None = None
    data: bytes = b""
    text: str = ""


def get(obj: dict[str, Any], camel: str) -> Any:
    """Read a key written in camelCase or snake_case."""
    snake = re.sub(r"([A-Z])", lambda m: "_" + m[1].lower(), camel)
    return obj.get(camel, obj.get(snake))


def b64decode_any(text: str) -> bytes:
    """Standard or URL-safe base64, padded or not, strictly."""
    padded = text + "=" * (-len(text) % 4)
    alphabet = padded.replace("-", "+").replace("_", "/")
    return base64.b64decode(alphabet, validate=True)


def image_part(
    data: bytes, mime_type: str = "image/png", *, thought: bool = False, signature: bool = False
) -> dict[str, Any]:
    part: dict[str, Any] = {"inlineData": {"mimeType": mime_type, "data": base64.b64encode(data).decode()}}
    if thought:
        part["thought"] = True
    if signature:
        part["thoughtSignature"] = base64.b64encode(b"sig").decode()
    return part


def text_part(text: str, *, thought: bool = False) -> dict[str, Any]:
    return {"text": text, "thought": True} if thought else {"text": text}


def usage(image_tokens: int = 1120, thoughts: int = 273, prompt: int = 7) -> dict[str, Any]:
    return {
        "promptTokenCount": prompt,
        "candidatesTokenCount": image_tokens,
        "thoughtsTokenCount": thoughts,
        "totalTokenCount": prompt + image_tokens + thoughts,
        "candidatesTokensDetails": [{"modality": "IMAGE", "tokenCount": image_tokens}],
    }


def parts_reply(
    parts: list[dict[str, Any]],
    *,
    finish: str = "STOP",
    model: str = "gemini-3-pro-image",
    usage_metadata: dict[str, Any] | None = None,
) -> Reply:
    body = {
        "candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": finish, "index": 0}],
        "usageMetadata": usage_metadata if usage_metadata is not None else usage(),
        "modelVersion": model,
        "responseId": "resp_fake",
    }
    return Reply(200, body)


def standard_parts(final: bytes = FINAL_IMAGE, final_mime: str = "image/png") -> list[dict[str, Any]]:
    return [
        text_part("**Planning** the composition", thought=True),
        image_part(THOUGHT_IMAGE, thought=True),
        image_part(final, final_mime, signature=True),
    ]


def prompt_block_reply(reason: str = "PROHIBITED_CONTENT") -> Reply:
    return Reply(
        200,
        {
            "promptFeedback": {"blockReason": reason},
            "usageMetadata": {"promptTokenCount": 7, "totalTokenCount": 7},
        },
    )


def finish_reply(reason: str, *, text: str | None = None) -> Reply:
    candidate: dict[str, Any] = {"finishReason": reason, "index": 0}
    if text is not None:
        candidate["content"] = {"role": "model", "parts": [{"text": text}]}
    return Reply(200, {"candidates": [candidate], "usageMetadata": usage(image_tokens=0)})


def error_reply(code: int, status: str, message: str, *, retry_delay: str | None = None) -> Reply:
    details = []
    if retry_delay is not None:
        details.append({"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": retry_delay})
    return Reply(code, {"error": {"code": code, "message": message, "status": status, "details": details}})


class FakeGemini(FakeHTTPServer):
    """Speaks generateContent; `base_url` is what `GOOGLE_GEMINI_BASE_URL` would hold."""

    @property
    def base_url(self) -> str:
        return self.origin

    def parse(self, request: RecordedRequest) -> None:
        if request.body:
            request.json = json.loads(request.body)

    def sent_parts(self, request: RecordedRequest) -> list[SentPart]:
        parts: list[SentPart] = []
        for content in request.json.get("contents", []):
            for part in content.get("parts", []):
                inline = get(part, "inlineData")
                if inline is not None:
                    parts.append(SentPart("image", get(inline, "mimeType"), b64decode_any(inline["data"])))
                elif "text" in part:
                    parts.append(SentPart("text", text=part["text"]))
        return parts

    def generation_config(self, request: RecordedRequest) -> dict[str, Any]:
        return dict(get(request.json, "generationConfig") or {})

    def model_of(self, request: RecordedRequest) -> str:
        match = _PATH.match(request.path)
        return match[2] if match else ""

    def validate(self, request: RecordedRequest) -> Reply | None:
        if not _PATH.match(request.path):
            return self._reject(404, "NOT_FOUND", f"Unknown path {request.path}")
        if not (request.headers.get("x-goog-api-key") or request.query.get("key")):
            return self._reject(403, "PERMISSION_DENIED", "Method doesn't allow unregistered callers.")
        if not isinstance(request.json, dict) or not request.json.get("contents"):
            return self._reject(400, "INVALID_ARGUMENT", "contents is required.")
        try:
            parts = self.sent_parts(request)
        except (binascii.Error, KeyError, ValueError) as exc:
            return self._reject(400, "INVALID_ARGUMENT", f"Invalid inline data: {exc}")
        if any(p.kind == "image" and not p.mime_type for p in parts):
            return self._reject(400, "INVALID_ARGUMENT", "inline data needs a mime type.")
        config = self.generation_config(request)
        if (get(config, "candidateCount") or 1) > 1:
            return self._reject(400, "INVALID_ARGUMENT", "Multiple candidates is not enabled for this model.")
        image_config = get(config, "imageConfig") or {}
        size = get(image_config, "imageSize")
        if size is not None and size not in IMAGE_SIZES:
            return self._reject(400, "INVALID_ARGUMENT", f"Invalid image size {size!r}: use 1K, 2K or 4K.")
        ratio = get(image_config, "aspectRatio")
        if ratio is not None and ratio not in ASPECT_RATIOS:
            return self._reject(400, "INVALID_ARGUMENT", f"Unsupported aspect ratio {ratio!r}.")
        return None

    def _reject(self, code: int, status: str, message: str) -> Reply:
        self.violations.append(message)
        return error_reply(code, status, message)

    def default_reply(self, request: RecordedRequest) -> Reply:
        return parts_reply(standard_parts(), model=self.model_of(request))
