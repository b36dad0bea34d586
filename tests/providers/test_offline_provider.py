"""The offline provider: deterministic, local, labelled offline, and it keeps the face recognisable."""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
import pytest
from PIL import Image

from tests.fakes.images import image_bytes, reference
from tool_server.errors import InvalidInput, ProviderUnavailable
from tool_server.mime import sniff_mime
from tool_server.providers import ImageRequest, ReferenceImage, calls_of
from tool_server.providers.offline_provider import OFFLINE_MODEL, OfflineProvider
from tool_server.providers.offline_render import generic_person

Describe = Callable[[bytes], tuple[int, np.ndarray]]


@pytest.fixture(scope="module")
def describe_face() -> Describe:
    """Width of the largest face dlib finds and its 128-d descriptor (how likeness is measured)."""
    import dlib
    import face_recognition_models as models

    detector = dlib.get_frontal_face_detector()
    landmarks = dlib.shape_predictor(models.pose_predictor_five_point_model_location())
    recognizer = dlib.face_recognition_model_v1(models.face_recognition_model_location())

    def describe(data: bytes) -> tuple[int, np.ndarray]:
        pixels = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
        faces = detector(pixels, 1 if max(pixels.shape) < 800 else 0)  # upsampling big images is slow
        assert faces, "no face found"
        face = max(faces, key=lambda d: d.width())
        return face.width(), np.array(recognizer.compute_face_descriptor(pixels, landmarks(pixels, face)))

    return describe


@pytest.fixture(scope="module")
def originals(describe_face: Describe, user_photo: ReferenceImage) -> dict[str, np.ndarray]:
    """Descriptors of the user's photo and of the bundled generic person."""
    return {"user": describe_face(user_photo.data)[1], "generic": describe_face(generic_person())[1]}


@pytest.fixture(scope="module")
def user_photo() -> ReferenceImage:
    """The tests' user, Grace Hopper (public domain): not the bundled generic person."""
    from tests.photos import grace_hopper

    buffer = io.BytesIO()
    grace_hopper().save(buffer, "PNG")
    return ReferenceImage(data=buffer.getvalue(), mime_type="image/png", name="me.png")


def scene(**changes: object) -> ImageRequest:
    values: dict[str, object] = {"prompt": "Alice leading a workshop, morning light", "user": "alice"}
    return ImageRequest(**{**values, **changes})  # type: ignore[arg-type]


async def test_same_request_gives_the_same_bytes_and_another_prompt_other_bytes(
    user_photo: ReferenceImage,
) -> None:
    provider = OfflineProvider()

    first = await provider.generate(scene(references=(user_photo,), size="640x480"))
    again = await OfflineProvider().generate(scene(references=(user_photo,), size="640x480"))
    other = await provider.generate(scene(references=(user_photo,), size="640x480", prompt="Alice sailing"))

    assert first.images[0].data == again.images[0].data
    assert first.request_id == again.request_id
    assert other.images[0].data != first.images[0].data


async def test_results_are_labelled_offline_cost_nothing_and_record_the_call(
    user_photo: ReferenceImage,
) -> None:
    result = await OfflineProvider().generate(scene(references=(user_photo,), size="512x512", n=2))

    assert (result.provider, result.model, result.cost_usd) == ("offline", OFFLINE_MODEL, 0.0)
    assert len(result.images) == 2 and result.images[0].data != result.images[1].data
    [call] = result.calls
    assert (call.provider, call.model, call.operation, call.cost_usd) == (
        "offline",
        OFFLINE_MODEL,
        "offline.scene",
        0,
    )
    assert call.params["image"][0]["name"] == "me.png" and "data" not in call.params["image"][0]


@pytest.mark.parametrize("size", ["1024x1024", "1024x1536", "1536x1024"])
async def test_the_users_face_stays_large_and_recognisable(
    user_photo: ReferenceImage, describe_face: Describe, originals: dict[str, np.ndarray], size: str
) -> None:
    result = await OfflineProvider().generate(scene(references=(user_photo,), size=size))

    image = Image.open(io.BytesIO(result.images[0].data))
    assert f"{image.width}x{image.height}" == size
    width, descriptor = describe_face(result.images[0].data)
    assert width >= 250
    assert np.linalg.norm(descriptor - originals["user"]) < 0.4
    assert np.linalg.norm(descriptor - originals["generic"]) > 0.6


async def test_a_face_crop_whose_face_is_under_250_px_is_enlarged_uniformly(
    user_photo: ReferenceImage, describe_face: Describe, originals: dict[str, np.ndarray]
) -> None:
    # A face crop like the faces module's: the face (186 px here) with a 0.6 margin, stored at 400 px.
    crop = Image.open(io.BytesIO(user_photo.data)).crop((68, 27, 478, 437)).resize((400, 400))
    buffer = io.BytesIO()
    crop.save(buffer, "JPEG", quality=95)
    face_crop = ReferenceImage(buffer.getvalue(), "image/jpeg", "crop.jpg")

    result = await OfflineProvider().generate(scene(references=(face_crop,), size="1024x1024"))

    width, descriptor = describe_face(result.images[0].data)
    assert describe_face(face_crop.data)[0] < 250 <= width
    assert np.linalg.norm(descriptor - originals["user"]) < 0.45


async def test_without_references_the_scene_shows_the_generic_person(
    describe_face: Describe, originals: dict[str, np.ndarray]
) -> None:
    result = await OfflineProvider().generate(scene(size="1024x1024"))

    width, descriptor = describe_face(result.images[0].data)
    assert width >= 250 and np.linalg.norm(descriptor - originals["generic"]) < 0.4


@pytest.mark.parametrize("fmt", ["png", "jpeg", "webp"])
async def test_output_comes_in_the_requested_format(fmt: str) -> None:
    result = await OfflineProvider(face_locator=lambda image: None).generate(
        scene(size="256x256", output_format=fmt)
    )

    assert sniff_mime(result.images[0].data) == result.images[0].mime_type == f"image/{fmt}"


async def test_a_transparent_background_has_transparent_pixels() -> None:
    provider = OfflineProvider(face_locator=lambda image: None)

    result = await provider.generate(scene(size="320x320", background="transparent"))

    image = Image.open(io.BytesIO(result.images[0].data))
    assert image.mode == "RGBA" and image.getchannel("A").getextrema()[0] == 0


async def test_face_swap_hands_source_and_target_to_the_injected_swapper() -> None:
    seen: list[tuple[bytes, bytes]] = []

    def swapper(source: bytes, target: bytes) -> bytes:
        seen.append((source, target))
        return image_bytes("png", (40, 30))

    target, face = reference("jpeg", name="generic.jpg"), reference("png", name="face.png")
    result = await OfflineProvider(face_swapper=swapper).generate(
        scene(task="face_swap", references=(target, face), output_format="jpeg")
    )

    ((source, sent_target),) = seen
    assert source == face.data
    # A small target is enlarged to the requested size (1024x1024 here), as a hosted answer would be.
    assert Image.open(io.BytesIO(sent_target)).size == (1024, 1024)
    assert result.images[0].mime_type == "image/jpeg" and sniff_mime(result.images[0].data) == "image/jpeg"
    assert result.calls[0].operation == "offline.face_swap"


async def test_face_swap_leaves_a_large_enough_target_as_it_is() -> None:
    seen: list[bytes] = []

    def swapper(source: bytes, target: bytes) -> bytes:
        seen.append(target)
        return target

    target = ReferenceImage(image_bytes("png", (1024, 1024)), "image/png", "target.png")
    await OfflineProvider(face_swapper=swapper).generate(
        scene(task="face_swap", references=(target, reference("png")), size="1024x1024")
    )
    assert seen == [target.data]


async def test_face_swap_without_the_faces_module_is_unavailable() -> None:
    with pytest.raises(ProviderUnavailable, match="faces module") as raised:
        await OfflineProvider().generate(scene(task="face_swap", references=(reference(), reference())))
    assert calls_of(raised.value) == []


async def test_face_swap_needs_a_target_and_a_face() -> None:
    with pytest.raises(InvalidInput, match="target image first"):
        await OfflineProvider(face_swapper=lambda s, t: t).generate(
            scene(task="face_swap", references=(reference(),))
        )


async def test_an_error_from_the_swapper_carries_the_call_record() -> None:
    def swapper(source: bytes, target: bytes) -> bytes:
        raise InvalidInput("No face found in the face image: upload a clearer photo.")

    with pytest.raises(InvalidInput, match="No face found") as raised:
        await OfflineProvider(face_swapper=swapper).generate(
            scene(task="face_swap", references=(reference(), reference()))
        )
    assert calls_of(raised.value)[0].error_kind == "InvalidInput"


@pytest.mark.parametrize("template", ["direct", "avatar", "generic_person"])
def test_the_scene_text_is_read_from_every_identity_prompt(template: str) -> None:
    from tool_server.prompts.identity import render
    from tool_server.providers.offline_render import scene_text

    scene_words = "Floating in the space station's cupola, Earth below, smiling."
    words = {"a": "a", "height": "tall", "build": "slim", "skin_tone": "dark-skinned", "gender": "male"}
    prompt = render(template, scene=scene_words, **(words if template == "generic_person" else {}))
    assert scene_text(prompt) == scene_words


async def test_a_scene_is_a_placeholder_card_with_the_scene_text_above_the_person(
    describe_face: Describe,
) -> None:
    from tool_server.providers.offline_render import _scene_card

    prompt = "Alice leading a workshop, morning light, a whiteboard behind her"
    result = await OfflineProvider().generate(scene(prompt=prompt, size="1024x1024"))
    image = Image.open(io.BytesIO(result.images[0].data)).convert("RGB")
    card_height = _scene_card(Image.new("RGBA", (1024, 1024)), prompt, generic=True)
    card = np.asarray(image.crop((0, 0, 1024, card_height)).convert("L"))
    # A dark card with light lettering across it: the scene written large, then the stand-in note.
    assert 100 < card_height < 400
    assert np.median(card) < 40 and (card > 200).mean() > 0.02
    lettered_rows = np.flatnonzero((card > 200).any(axis=1))
    assert lettered_rows.max() - lettered_rows.min() > card_height * 0.5
    # The person stands below the card, face found and large.
    from tool_server.providers.offline_render import dlib_face_box

    face = dlib_face_box(image)
    assert face is not None and face[1] > card_height
    assert describe_face(result.images[0].data)[0] >= 250
