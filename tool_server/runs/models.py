"""The run record document, `users/{user}/runs/{run_id}/run.json`."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from tool_server.userdata.models import now

RunStatus = Literal["running", "done", "failed", "interrupted"]
RunKind = Literal["identity_image", "avatar", "face_swap", "dog_avatar", "batch"]


class RunStep(BaseModel):
    """One intermediate image, in the order it was made."""

    index: int
    name: str = Field(description="Self-explanatory file stem, e.g. 03_candidate_a1_c2.")
    key: str
    mime_type: str
    kind: Literal["generic", "thought", "candidate", "swapped", "headshot", "fullbody", "reference", "output"]
    attempt: int | None = None
    candidate: int | None = None
    likeness: dict[str, Any] | None = None
    image_id: str | None = None
    note: str | None = None
    conversation_key: str | None = Field(None, description="Gemini turns that made it, for a refine.")


class RunRecord(BaseModel):
    run_id: str
    kind: RunKind
    status: RunStatus = "running"
    created_at: datetime = Field(default_factory=now)
    updated_at: datetime = Field(default_factory=now)
    finished_at: datetime | None = None
    prompt_version: str | None = None
    inputs: dict[str, Any] = Field(default_factory=dict)
    calls: list[dict[str, Any]] = Field(default_factory=list)
    steps: list[RunStep] = Field(default_factory=list)
    result: dict[str, Any] | None = None
    error: str | None = None
    error_kind: str | None = None
    owner_pid: int | None = Field(None, description="Process running it; a dead owner means interrupted.")
    owner_host: str | None = None
