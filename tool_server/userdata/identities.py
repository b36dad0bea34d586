"""Identities: the coach's "I am" statements and visualization texts, and their images."""

from __future__ import annotations

import anyio

from storage import Documents
from tool_server.errors import InvalidInput, LimitExceeded, NotFound
from tool_server.ids import check_id, check_new_identity_id, new_id
from tool_server.userdata import keys
from tool_server.userdata.models import Identity, now


class IdentityStore:
    def __init__(self, docs: Documents, max_identities: int = 50) -> None:
        self.docs = docs
        self.max_identities = max_identities

    async def get(self, user: str, identity_id: str) -> Identity:
        check_id(identity_id, "identity")
        identity = await self.docs.read(keys.identity(user, identity_id), Identity)
        if identity is None:
            raise NotFound(
                f"No identity with id {identity_id!r}. Call save_identity to create it, "
                "or list_identities to see the saved ones."
            )
        return identity

    async def save(
        self,
        user: str,
        *,
        name: str,
        visualization: str,
        i_am_statement: str | None = None,
        identity_id: str | None = None,
    ) -> tuple[Identity, bool]:
        """Create the identity, or update its texts; returns (identity, created)."""
        name, visualization = name.strip(), visualization.strip()
        if not name or not visualization:
            raise InvalidInput("name and visualization must not be empty.")
        identity_id = check_new_identity_id(identity_id) if identity_id else new_id("idn")
        await self._check_room(user, identity_id)
        created = False

        def apply(current: Identity | None) -> Identity:
            nonlocal created
            created = current is None
            if current is None:
                return Identity(
                    identity_id=identity_id,
                    name=name,
                    visualization=visualization,
                    i_am_statement=i_am_statement,
                )
            update = {"name": name, "visualization": visualization, "updated_at": now()}
            if i_am_statement is not None:
                update["i_am_statement"] = i_am_statement
            return current.model_copy(update=update)

        identity = await self.docs.update(keys.identity(user, identity_id), Identity, apply)
        return identity, created

    async def _check_room(self, user: str, identity_id: str) -> None:
        """A new identity needs room under the cap (one listing, no reads); updates always pass.

        Two creations at the same moment may both pass: the cap bounds growth, it is not a quota.
        """
        stored = await self._keys(user)
        if len(stored) >= self.max_identities and keys.identity(user, identity_id) not in stored:
            raise LimitExceeded(
                f"The user already has {len(stored)} identities, the most kept is {self.max_identities}. "
                "Update an existing one instead: save_identity with its identity_id (list_identities)."
            )

    async def _keys(self, user: str) -> list[str]:
        return [k for k in await self.docs.blobs.list(keys.identities_prefix(user)) if k.endswith(".json")]

    async def list(self, user: str) -> list[Identity]:
        found = await self._keys(user)
        identities: list[Identity] = []

        async def load(key: str) -> None:
            identity = await self.docs.read(key, Identity)
            if identity is not None:
                identities.append(identity)

        async with anyio.create_task_group() as group:
            for key in found:
                group.start_soon(load, key)
        return sorted(identities, key=lambda i: i.created_at)
