"""Bump when any text in this folder changes: run records name the version that made an image."""

PROMPT_VERSION = "identity-v2"
