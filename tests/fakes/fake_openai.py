"""A fake OpenAI Images API on loopback: `/v1/images/edits` (multipart) and `/v1/images/generations` (JSON).

It checks what arrives against the OpenAPI request schemas (`openai_images.schemas.json`, copied from
the spec subset) and against the rules the real API enforces beyond the schema (facts in
`shared/reference/provider-wire.md`): `image[]` parts need a filename with an extension or an image
MIME type, `response_format` is an unknown parameter for GPT image models, `input_fidelity` only
where the model takes it, transparent needs png or webp, size rules per model. A broken rule gets the
4xx the real API sends and is listed in `violations`.
"""

from __future__ import annotations

import base64
import json
import re
import time
from importlib import resources
from typing import Any

import jsonschema

from tests.fakes.http_fake import FakeHTTPServer, RecordedRequest, Reply, parse_multipart
from tests.fakes.images import image_bytes

FIXED_SIZES = {"1024x1024", "1536x1024", "1024x1536", "auto"}
RETIRED = {"gpt-image-1", "dall-e-2", "dall-e-3"}
FIDELITY = {"gpt-image-1.5": {"high", "low"}, "gpt-image-1-mini": {"low"}}
FLEXIBLE_SIZE_MODELS = {"gpt-image-2", "gpt-image-2-2026-04-21"}
IMAGE_TYPES = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp"}
_INT_FIELDS = {"n", "output_compression", "partial_images"}
# Output image tokens per image (provider-wire.md), used for the usage block of default replies.
_OUTPUT_TOKENS = {
    "low": {"1024x1024": 272, "1024x1536": 408, "1536x1024": 400},
    "medium": {"1024x1024": 1056, "1024x1536": 1584, "1536x1024": 1568},
    "high": {"1024x1024": 4160, "1024x1536": 6240, "1536x1024": 6208},
}


def _load_schemas() -> dict[str, Any]:
    text = resources.files("tests.fakes").joinpath("openai_images.schemas.json").read_text()
    return dict(json.loads(text)["schemas"])


_SCHEMAS = _load_schemas()


def schema_errors(name: str, instance: Any) -> list[str]:
    """Messages for every way `instance` breaks the named OpenAPI schema."""
    schema = {**_SCHEMAS[name], "components": {"schemas": _SCHEMAS}}
    validator = jsonschema.Draft202012Validator(schema)
    return [f"{'/'.join(map(str, e.path)) or name}: {e.message}" for e in validator.iter_errors(instance)]


def error_reply(
    status: int,
    message: str,
    *,
    code: str | None = None,
    type: str = "invalid_request_error",
    param: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Reply:
    error = {"message": message, "type": type, "param": param, "code": code, **extra}
    return Reply(status, {"error": error}, headers={"x-request-id": "req_fake_error", **(headers or {})})


def moderation_reply(stage: str = "input", categories: tuple[str, ...] = ("sexual",)) -> Reply:
    return error_reply(
        400,
        "Your request was rejected by the safety system.",
        code="moderation_blocked",
        type="image_generation_user_error",
        moderation_details={"moderation_stage": stage, "categories": list(categories)},
    )


def rate_limit_reply(*, retry_after: str | None = None, retry_after_ms: str | None = None) -> Reply:
    headers = {}
    if retry_after is not None:
        headers["retry-after"] = retry_after
    if retry_after_ms is not None:
        headers["retry-after-ms"] = retry_after_ms
    return error_reply(
        429,
        "Rate limit reached for images per minute.",
        code="rate_limit_exceeded",
        type="requests",
        headers=headers,
    )


def quota_reply() -> Reply:
    return error_reply(
        429,
        "You exceeded your current quota, please check your plan and billing details.",
        code="insufficient_quota",
        type="insufficient_quota",
    )


def images_reply(
    images: list[bytes], *, usage: dict[str, Any] | None = None, request_id: str = "req_fake"
) -> Reply:
    body: dict[str, Any] = {
        "created": int(time.time()),
        "data": [{"b64_json": base64.b64encode(data).decode()} for data in images],
    }
    if usage is not None:
        body["usage"] = usage
    return Reply(200, body, headers={"x-request-id": request_id})


def usage_block(quality: str, size: str, n: int, *, text_in: int = 20, image_in: int = 0) -> dict[str, Any]:
    per_image = _OUTPUT_TOKENS.get(quality, _OUTPUT_TOKENS["high"]).get(size, 4160)
    out = per_image * n
    return {
        "input_tokens": text_in + image_in,
        "output_tokens": out,
        "total_tokens": text_in + image_in + out,
        "input_tokens_details": {"text_tokens": text_in, "image_tokens": image_in},
        "output_tokens_details": {"image_tokens": out, "text_tokens": 0},
    }


class FakeOpenAI(FakeHTTPServer):
    """Speaks the Images API; `base_url` is what `OPENAI_BASE_URL` would hold."""

    @property
    def base_url(self) -> str:
        return f"{self.origin}/v1"

    def parse(self, request: RecordedRequest) -> None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith("multipart/form-data"):
            request.fields, request.files = parse_multipart(request.body, content_type)
        elif request.body:
            request.json = json.loads(request.body)

    def params(self, request: RecordedRequest) -> dict[str, Any]:
        """The request's parameters as one dict (multipart fields or JSON body), images left out."""
        if request.json is not None:
            return dict(request.json)
        return {name: values[-1] for name, values in request.fields.items()}

    def validate(self, request: RecordedRequest) -> Reply | None:
        if not request.headers.get("authorization", "").startswith("Bearer "):
            return self._reject(401, "You didn't provide an API key.", code="invalid_api_key")
        if request.path == "/v1/images/edits":
            return self._validate_edit(request)
        if request.path == "/v1/images/generations":
            if request.json is None:
                return self._reject(400, "Expected a JSON body.")
            return self._validate_common("CreateImageRequest", dict(request.json))
        return self._reject(404, f"Invalid URL (POST {request.path})", code="unknown_url")

    def _validate_edit(self, request: RecordedRequest) -> Reply | None:
        if not request.headers.get("content-type", "").startswith("multipart/form-data"):
            return self._reject(400, "Expected multipart/form-data.")
        images = [part for part in request.files if part.field in ("image", "image[]")]
        if not images:
            return self._reject(400, "Missing required parameter: 'image'.", param="image")
        if len(images) > 16:
            return self._reject(400, "Too many images: at most 16.", param="image")
        for part in images:
            problem = _image_part_problem(part.filename, part.content_type, part.data)
            if problem:
                return self._reject(400, problem, code="invalid_image_file", param="image")
        params: dict[str, Any] = {}
        for name, values in request.fields.items():
            value = values[-1]
            params[name] = int(value) if name in _INT_FIELDS and value.lstrip("-").isdigit() else value
        params["image"] = (
            ["<binary>"] * len(images) if len(images) > 1 or images[0].field == "image[]" else "<binary>"
        )
        return self._validate_common("CreateImageEditRequest", params)

    def _validate_common(self, schema: str, params: dict[str, Any]) -> Reply | None:
        model = str(params.get("model") or "")
        if model in RETIRED:
            return self._reject(
                404, f"The model `{model}` has been shut down.", code="model_not_found", param="model"
            )
        if "response_format" in params and model.startswith(("gpt-image", "chatgpt-image")):
            return self._reject(
                400,
                "Unknown parameter: 'response_format'.",
                code="unknown_parameter",
                param="response_format",
            )
        problems = schema_errors(schema, params)
        if problems:
            return self._reject(400, "; ".join(problems), code="invalid_value")
        if "input_fidelity" in params:
            allowed = FIDELITY.get(model, set())
            if not allowed:
                return self._reject(
                    400,
                    f"input_fidelity is not supported for {model}.",
                    code="invalid_input_fidelity_model",
                    param="input_fidelity",
                )
            if params["input_fidelity"] not in allowed:
                return self._reject(
                    400,
                    f"Invalid value for input_fidelity on {model}.",
                    code="invalid_value",
                    param="input_fidelity",
                )
        if params.get("background") == "transparent" and params.get("output_format", "png") == "jpeg":
            return self._reject(
                400, "Transparent background requires png or webp.", code="invalid_value", param="background"
            )
        size = str(params.get("size") or "auto")
        problem = _size_problem(model, size)
        if problem:
            return self._reject(400, problem, code="invalid_value", param="size")
        return None

    def _reject(
        self, status: int, message: str, *, code: str | None = None, param: str | None = None
    ) -> Reply:
        self.violations.append(message)
        return error_reply(status, message, code=code, param=param)

    def default_reply(self, request: RecordedRequest) -> Reply:
        params = self.params(request)
        n = int(params.get("n") or 1)
        fmt = str(params.get("output_format") or "png")
        quality = str(params.get("quality") or "high")
        size = str(params.get("size") or "1024x1024")
        image_in = 323 * len([p for p in request.files if p.field.startswith("image")])
        usage = usage_block(quality, size, n, image_in=image_in)
        images = [image_bytes(fmt, (8, 8), (10 * i % 255, 120, 200)) for i in range(n)]
        return images_reply(images, usage=usage, request_id=f"req_fake_{len(self.requests)}")


def _image_part_problem(filename: str | None, content_type: str | None, data: bytes) -> str | None:
    extension = (filename or "").rpartition(".")[2].lower() if "." in (filename or "") else ""
    declared = content_type if content_type in IMAGE_TYPES.values() else IMAGE_TYPES.get(extension)
    if declared is None:
        return f"Invalid file 'image': unsupported mimetype ('{content_type or 'application/octet-stream'}')."
    actual = _sniff(data)
    if actual != declared:
        return f"Invalid file 'image': declared {declared} but the bytes are {actual or 'not an image'}."
    return None


def _sniff(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _size_problem(model: str, size: str) -> str | None:
    if model not in FLEXIBLE_SIZE_MODELS:
        return None if size in FIXED_SIZES else f"Invalid size '{size}' for {model}."
    if size == "auto":
        return None
    match = re.fullmatch(r"(\d+)x(\d+)", size)
    if not match:
        return f"Invalid size '{size}'."
    width, height = int(match[1]), int(match[2])
    if width % 16 or height % 16:
        return f"Invalid size '{size}': width and height must be multiples of 16."
    if max(width, height) > 3 * min(width, height):
        return f"Invalid size '{size}': aspect ratio must be between 1:3 and 3:1."
    if max(width, height) > 3840 or not 655_360 <= width * height <= 8_294_400:
        return f"Invalid size '{size}': outside the model's pixel limits."
    return None
