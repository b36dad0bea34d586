"""Image providers behind one small protocol: OpenAI GPT Image, Gemini, and a local offline compositor.

Importing this package is cheap: vendor SDKs (openai, google.genai) and pixel work (PIL, dlib) load
only when a provider first runs. Callers use `ProviderRegistry`:

    registry = ProviderRegistry(settings, face_swapper=swap_face)
    result = await registry.generate_with_fallback(ImageRequest(prompt=..., user=...))

Every vendor call is recorded as a `ProviderCall` on `result.calls`, or on `error.calls` (see
`calls_of`) when the generation failed.
"""

from tool_server.providers.base import (
    Background,
    GeneratedImage,
    ImageProvider,
    ImageRequest,
    ImageResult,
    OutputFormat,
    ProviderCall,
    Quality,
    ReferenceImage,
    Task,
)
from tool_server.providers.capabilities import ModelCapabilities, capabilities_for, known_models
from tool_server.providers.recording import calls_of, user_hash
from tool_server.providers.registry import PROVIDERS, ProviderRegistry
from tool_server.providers.retry import RetryPolicy

__all__ = [
    "PROVIDERS",
    "Background",
    "GeneratedImage",
    "ImageProvider",
    "ImageRequest",
    "ImageResult",
    "ModelCapabilities",
    "OutputFormat",
    "ProviderCall",
    "ProviderRegistry",
    "Quality",
    "ReferenceImage",
    "RetryPolicy",
    "Task",
    "calls_of",
    "capabilities_for",
    "known_models",
    "user_hash",
]
