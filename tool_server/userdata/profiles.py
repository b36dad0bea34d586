"""The body profile: four answers, merged field by field."""

from __future__ import annotations

from typing import Any

from storage import Documents
from tool_server.userdata import keys
from tool_server.userdata.models import PROFILE_FIELDS, BodyProfile, now


class ProfileStore:
    def __init__(self, docs: Documents) -> None:
        self.docs = docs

    async def get(self, user: str) -> BodyProfile:
        return await self.docs.read(keys.profile(user), BodyProfile) or BodyProfile()

    async def merge(self, user: str, answers: dict[str, Any]) -> BodyProfile:
        """Set the given fields (None means "not given"), keep the rest."""
        given = {
            name: value for name, value in answers.items() if name in PROFILE_FIELDS and value is not None
        }

        def apply(current: BodyProfile | None) -> BodyProfile:
            base = current or BodyProfile()
            return base.model_copy(update={**given, "updated_at": now()})

        if not given:
            return await self.get(user)
        return await self.docs.update(keys.profile(user), BodyProfile, apply)
