"""An existing headshot for generate_avatar (the seed's "skip stage 1"), checked before anything is paid.

The headshot is decoded like an uploaded photo (size caps, magic bytes, upright, no metadata), must
pass the reference quality gate (one clear face), and must be the user's face: its likeness to the
reference photos must pass. Only then is the full-body shot made from it.
"""

from __future__ import annotations

import anyio.to_thread

from tool_server.app import AppContext
from tool_server.errors import InvalidInput
from tool_server.faces import Likeness
from tool_server.generation.references import UserReferences
from tool_server.generation.scoring import score_likeness
from tool_server.imaging.decode import decode_untrusted


async def checked_headshot(app: AppContext, data: bytes, refs: UserReferences) -> tuple[bytes, Likeness]:
    """The headshot as PNG and its likeness, or InvalidInput saying why it cannot be used (unpaid)."""
    from tool_server.generation.images import as_png

    decoded = await anyio.to_thread.run_sync(lambda: decode_untrusted(data, app.photos.limits))
    analysis = await anyio.to_thread.run_sync(lambda: app.faces.analyze_reference(decoded.image))
    if analysis.quality.verdict == "reject":
        reasons = "; ".join(analysis.quality.reasons) or "no usable face"
        raise InvalidInput(
            f"This headshot cannot be used: {reasons}. Nothing was made or paid; send a clear headshot "
            "of the user, or leave it out to have one made."
        )

    def encode() -> bytes:
        import io

        buffer = io.BytesIO()
        decoded.image.save(buffer, format="PNG")
        return as_png(buffer.getvalue())

    png = await anyio.to_thread.run_sync(encode)
    likeness = await score_likeness(app.faces, png, refs.embeddings, app.settings.face_processes)
    if not likeness.passed:
        raise InvalidInput(
            "This headshot doesn't look like the user's reference photos "
            f"(face distance {likeness.verdict}). Nothing was made or paid. Use a headshot of the user, "
            "or leave it out to have one made."
        )
    return png, likeness
