"""The server's one settings object: environment variables `COACH_IMAGE_*`, also read from `.env`.

Provider keys keep the names their SDKs use (`OPENAI_API_KEY`, `GEMINI_API_KEY`, ...), so a user
who already has them set needs nothing more.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ProviderName = Literal["openai", "gemini", "offline"]
ProviderChoice = Literal["auto", "openai", "gemini", "offline"]
StrategyName = Literal["direct", "avatar", "generic_swap"]

# Hosted providers only: the offline provider's local composites are a development tool, a fallback
# only when the operator lists "offline" (with no key at all, auto picks it as the provider instead).
_DEFAULT_FALLBACK: tuple[ProviderName, ...] = ("openai", "gemini")
_DEFAULT_STRATEGY_ORDER: tuple[StrategyName, ...] = ("direct", "generic_swap", "avatar")
# pydantic matches `pattern` with its Rust engine, where `$` is the very end (no trailing newline).
_USER_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$"


def default_storage_dir() -> Path:
    """A per-user data directory: never the working directory (`/` when Claude Desktop spawns us)."""
    from platformdirs import user_data_path

    return user_data_path("coach-image-tools", appauthor=False) / "data"


_SIMPLE_RATE = re.compile(r"\s*\d+\s*(/|per)\s*(second|minute|hour|day)\s*")


class Settings(BaseSettings):
    """Every setting the server reads. Tools never read the environment themselves."""

    model_config = SettingsConfigDict(
        env_prefix="COACH_IMAGE_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
    )

    # Who is acting on stdio; on HTTP the bearer token names the user instead.
    user: str = Field("local", pattern=_USER_ID_PATTERN, description="Acting user on stdio.")

    # Storage
    storage_url: str | None = Field(
        None,
        description="Directory path, file:// URL or s3://bucket/prefix. Default: a per-user data directory.",
    )
    s3_endpoint_url: str | None = Field(None, description="S3 endpoint for MinIO or a test server.")
    url_expiry_s: int = Field(3600, ge=60, le=7 * 24 * 3600, description="Lifetime of image URLs.")

    # Ingest limits
    max_upload_bytes: int = Field(20 * 1024 * 1024, ge=1024, description="Largest accepted image file.")
    max_megapixels: float = Field(
        50.0, gt=0, description="Largest accepted image area (48 MP phone photos pass; bombs do not)."
    )
    min_photo_side_px: int = Field(256, ge=32, description="Smallest accepted short side of a photo.")
    max_reference_photos: int = Field(5, ge=1, le=20, description="Reference photos kept per user.")
    max_prompt_chars: int = Field(4000, ge=100, le=32000, description="Longest accepted scenario prompt.")

    # Caps on what one user keeps, and list pages (a listing never grows without bound)
    max_identities: int = Field(50, ge=1, le=1000, description="Identities kept per user.")
    max_images_per_identity: int = Field(
        50, ge=1, le=1000, description="Images per identity; past it, generation for that identity stops."
    )
    list_page_size: int = Field(
        20, ge=1, le=200, description="Items per page of list_identities and the gallery's run list."
    )

    # Providers
    provider: ProviderChoice = Field("auto", description="Image provider: auto, openai, gemini or offline.")
    provider_fallback: list[ProviderName] = Field(
        default_factory=lambda: list(_DEFAULT_FALLBACK),
        description="Order tried when the chosen provider is unavailable (never after a content block); "
        "offline only if listed.",
    )
    openai_model: str = Field("gpt-image-2", description="Default OpenAI image model.")
    gemini_model: str = Field("gemini-3-pro-image", description="Default Gemini image model.")
    openai_api_key: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("OPENAI_API_KEY", "COACH_IMAGE_OPENAI_API_KEY"),
        description="OpenAI API key (GPT Image needs a verified organisation).",
    )
    openai_base_url: str | None = Field(
        None,
        validation_alias=AliasChoices("OPENAI_BASE_URL", "COACH_IMAGE_OPENAI_BASE_URL"),
        description="OpenAI API base URL (proxies, tests).",
    )
    gemini_api_key: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("GEMINI_API_KEY", "GOOGLE_API_KEY", "COACH_IMAGE_GEMINI_API_KEY"),
        description="Google Gemini API key (GOOGLE_API_KEY also works).",
    )
    gemini_base_url: str | None = Field(
        None,
        validation_alias=AliasChoices("GOOGLE_GEMINI_BASE_URL", "COACH_IMAGE_GEMINI_BASE_URL"),
        description="Gemini API base URL (proxies, tests).",
    )
    provider_timeout_s: float = Field(180.0, gt=0, description="Timeout of one provider call.")
    provider_max_retries: int = Field(2, ge=0, le=6, description="Retries of a transient provider error.")
    provider_max_concurrency: int = Field(
        8, ge=1, le=64, description="Provider calls in flight at once (README: sizing)."
    )

    # Faces
    face_crop_margin: float = Field(0.6, ge=0.0, le=2.0, description="Margin around the face in a crop.")
    face_crop_size_px: int = Field(512, ge=128, le=2048, description="Side of a stored face crop.")
    likeness_threshold: float = Field(0.5, gt=0.0, lt=1.5, description="Largest face distance that passes.")
    yunet_model_path: Path | None = Field(None, description="Optional OpenCV YuNet detector (.onnx).")
    sface_model_path: Path | None = Field(None, description="Optional OpenCV SFace recognizer (.onnx).")
    face_processes: int = Field(
        0, ge=0, le=64, description="Worker processes that score likeness (0: one per CPU)."
    )
    warm_face_workers: bool = Field(
        True, description="Start the face workers once a client has connected, not on the first image."
    )

    # Identity images
    default_candidates: int = Field(2, ge=1, le=4, description="Candidates per generation by default.")
    max_attempts: int = Field(2, ge=1, le=5, description="Generation rounds before needs_review.")
    strategy_order: list[StrategyName] = Field(
        default_factory=lambda: list(_DEFAULT_STRATEGY_ORDER),
        description="Order in which strategy=auto tries the strategies the user's data allows.",
    )
    sync_deadline_s: float = Field(45.0, gt=0, description="Past this a tool returns status pending.")
    batch_concurrency: int = Field(
        2, ge=1, le=8, description="Identities generate_all_identity_images works on at once."
    )

    # Dog avatars
    dog_base_image: Path | None = Field(None, description="Another canonical dog base image (PNG).")

    # Gallery
    gallery_dir: Path | None = Field(
        None, description="Folder for static gallery pages (default: 'gallery' beside the data directory)."
    )

    # HTTP transport
    host: str = Field("127.0.0.1", description="HTTP bind address.")
    port: int = Field(8000, ge=1, le=65535, description="HTTP port.")
    public_base_url: str | None = Field(None, description="Public URL of the HTTP server, for image links.")

    # HTTP authentication (bearer JWTs) and abuse limits
    jwt_secret: SecretStr | None = Field(
        None, description="Shared secret of HS256 bearer tokens (at least 32 bytes); turns HTTP auth on."
    )
    jwks_url: str | None = Field(
        None, description="JWKS URL of the RS256 bearer tokens' issuer; turns HTTP auth on."
    )
    jwt_issuer: str | None = Field(None, description="Required `iss` of bearer tokens, if set.")
    jwt_audience: str | None = Field(None, description="Required `aud` of bearer tokens, if set.")
    url_signing_key: SecretStr | None = Field(
        None,
        description="Key of the signed image URLs on local storage over HTTP. Default: derived from "
        "the JWT secret, else random per process.",
    )
    max_request_bytes: int = Field(
        32 * 1024 * 1024, ge=64 * 1024, description="Largest accepted HTTP request body."
    )
    rate_limit: str = Field(
        "60/minute",
        description="Tool calls and HTTP requests per authenticated HTTP user, e.g. 60/minute; empty: none.",
    )
    # Abuse limits beyond tool calls (#14 item 9): all MCP traffic, anonymous callers, slow sockets.
    protocol_rate_limit: str = Field(
        "600/minute", description="Every MCP request per authenticated HTTP user (lists, prompts, sessions)."
    )
    anonymous_rate_limit: str = Field(
        "300/minute", description="HTTP requests without a valid bearer token, per client address."
    )
    http_header_timeout_s: float = Field(10.0, gt=0, le=300, description="Time a client has to send headers.")
    http_keep_alive_s: int = Field(5, ge=1, le=300, description="Idle keep-alive connection lifetime.")
    http_max_connections: int = Field(256, ge=1, description="Connections served at once; more get 503.")
    http_shutdown_grace_s: int = Field(30, ge=0, description="Wait for open requests on shutdown.")
    daily_budget_usd: float = Field(
        10.0, ge=0, description="Provider spend per user per UTC day, in USD; 0: no limit."
    )

    # Several instances (issue 13): what they share, and how a dead instance's runs are noticed
    redis_url: SecretStr | None = Field(
        None,
        description="redis:// or rediss:// URL (Valkey works too) shared by every instance: rate limits, "
        "budget, single flight; also makes HTTP sessions stateless. Unset: one process, state in memory.",
    )
    run_lease_s: float = Field(
        20.0,
        ge=1.0,
        le=300.0,
        description="Lease of a running run, renewed every third of it; lapsed, the run reads interrupted.",
    )

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", description="Log level.")

    @field_validator("storage_url")
    @classmethod
    def _storage_url_scheme(cls, value: str | None) -> str | None:
        if value and "://" in value and not value.startswith(("file://", "s3://")):
            raise ValueError("use a directory path, a file:// URL or s3://bucket/prefix")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_url_scheme(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value():
            return None
        if value is not None and not value.get_secret_value().startswith(("redis://", "rediss://")):
            raise ValueError("use a redis:// or rediss:// URL, e.g. redis://localhost:6379/0")
        return value

    @field_validator("rate_limit", "protocol_rate_limit", "anonymous_rate_limit")
    @classmethod
    def _rate_limit_syntax(cls, value: str) -> str:
        # The common form is checked without importing `limits` (start-up time); others go to its parser.
        if value.strip() and not _SIMPLE_RATE.fullmatch(value):
            from limits import parse

            try:
                parse(value)
            except ValueError as exc:
                raise ValueError("use COUNT/PERIOD, e.g. 60/minute or 1000/day, or empty for none") from exc
        return value.strip()

    @field_validator("jwt_secret")
    @classmethod
    def _secret_long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and 0 < len(value.get_secret_value().encode()) < 32:
            raise ValueError("use at least 32 random bytes (e.g. `openssl rand -hex 32`)")
        return value

    @model_validator(mode="after")
    def _request_fits_an_upload(self) -> Settings:
        # A photo at max_upload_bytes travels base64-encoded (4/3 larger) inside a JSON-RPC request.
        needed = self.max_upload_bytes * 4 // 3 + 64 * 1024
        if self.max_request_bytes < needed:
            raise ValueError(
                f"COACH_IMAGE_MAX_REQUEST_BYTES ({self.max_request_bytes}) must be at least {needed} so a "
                f"photo of COACH_IMAGE_MAX_UPLOAD_BYTES ({self.max_upload_bytes}) fits base64-encoded"
            )
        return self

    @property
    def auth_enabled(self) -> bool:
        """Bearer-token auth is on when a JWT secret or a JWKS URL is set."""
        secret = self.jwt_secret.get_secret_value() if self.jwt_secret else ""
        return bool(secret or self.jwks_url)

    def resolved_storage_url(self) -> str:
        return self.storage_url or str(default_storage_dir())


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment and `.env`, with explicit overrides on top."""
    return Settings(**overrides)  # type: ignore[arg-type]
