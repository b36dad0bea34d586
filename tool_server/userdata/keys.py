"""Where each thing lives in the blob store. The README's storage layout mirrors this module."""

from __future__ import annotations


def user_root(user: str) -> str:
    return f"users/{user}"


def profile(user: str) -> str:
    return f"users/{user}/profile.json"


def photo_index(user: str) -> str:
    return f"users/{user}/photos/index.json"


def photo(user: str, photo_id: str) -> str:
    return f"users/{user}/photos/{photo_id}.jpg"


def photo_face_crop(user: str, photo_id: str) -> str:
    return f"users/{user}/photos/{photo_id}_face.jpg"


def identity(user: str, identity_id: str) -> str:
    return f"users/{user}/identities/{identity_id}.json"


def identities_prefix(user: str) -> str:
    return f"users/{user}/identities/"


def image(user: str, image_id: str, extension: str) -> str:
    return f"users/{user}/images/{image_id}.{extension}"


def image_record(user: str, image_id: str) -> str:
    return f"users/{user}/images/{image_id}.json"


def run_prefix(user: str, run_id: str) -> str:
    return f"users/{user}/runs/{run_id}/"


def run_record(user: str, run_id: str) -> str:
    return f"users/{user}/runs/{run_id}/run.json"


def avatar_index(user: str) -> str:
    return f"users/{user}/avatars/index.json"


def avatar_file(user: str, name: str) -> str:
    """Avatar images keep the seed's paired names, e.g. `alice_avatar_headshot_openai_01.png`."""
    return f"users/{user}/avatars/{name}"
