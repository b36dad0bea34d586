"""Errors of the face analysis, placed in the project's tree (`tool_server.errors`)::

InvalidInput
└── FaceNotFound          an image given to the swap has no face
ConfigError
└── FaceModelsMissing     the dlib model files or the optional OpenCV models cannot be found
"""

from __future__ import annotations

from tool_server.errors import ConfigError, InvalidInput


class FaceNotFound(InvalidInput):
    """An image that must show a face shows none the detector can find."""


class FaceModelsMissing(ConfigError):
    """A face model file is not installed or a configured model path does not exist."""
