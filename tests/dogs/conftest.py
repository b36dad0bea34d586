from __future__ import annotations

from pathlib import Path

import pytest

from storage import BlobStore, open_store
from tool_server.settings import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(_env_file=None, storage_url=str(tmp_path / "store"))


@pytest.fixture
def blobs(settings: Settings) -> BlobStore:
    return open_store(settings.resolved_storage_url())
