"""Pixels of the offline provider: a placeholder of the scene the prompt asks for, with a person in it.

Everything is deterministic (no randomness beyond sha256 of the inputs) and CPU only. The person is
scaled uniformly, never filtered, so that a face detector and recognizer find the same face in the
output: when the face can be located it is kept at least `MIN_FACE_PX` wide where the canvas allows.
"""

from __future__ import annotations

import hashlib
import io
import re
import threading
from collections.abc import Callable
from functools import lru_cache
from importlib import resources

from PIL import Image, ImageDraw, ImageFont, ImageOps

FaceBox = tuple[int, int, int, int]  # left, top, right, bottom in pixels
FaceLocator = Callable[[Image.Image], FaceBox | None]
MIN_FACE_PX = 260
_PIL_FORMATS = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}
_lock = threading.Lock()


def generic_person() -> bytes:
    """The bundled stand-in person (public-domain photo, see tool_server/assets/README.md)."""
    return resources.files("tool_server.assets").joinpath("generic_person.jpg").read_bytes()


@lru_cache(maxsize=1)
def _dlib_detector() -> object:
    import dlib  # heavy: only when the offline provider draws a scene

    return dlib.get_frontal_face_detector()


def dlib_face_box(image: Image.Image) -> FaceBox | None:
    """The largest frontal face found by dlib's HOG detector, or None (also when dlib is missing)."""
    try:
        import numpy as np

        detector = _dlib_detector()
    except ImportError:
        return None
    # Large photos are searched at most 1000 px wide: faster, and their faces are large anyway.
    scale = min(1.0, 1000 / max(image.size))
    small = image if scale == 1.0 else image.resize((round(image.width * scale), round(image.height * scale)))
    with _lock:  # one detector shared across worker threads
        found = detector(np.asarray(small.convert("RGB")), 1)  # type: ignore[operator]
    if not found:
        return None
    best = max(found, key=lambda d: d.width() * d.height())
    box = (max(0, best.left()), max(0, best.top()), best.right(), best.bottom())
    return (round(box[0] / scale), round(box[1] / scale), round(box[2] / scale), round(box[3] / scale))


def open_image(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return ImageOps.exif_transpose(image).convert("RGB")


def encode(image: Image.Image, output_format: str) -> bytes:
    buffer = io.BytesIO()
    if output_format == "jpeg":
        image.convert("RGB").save(buffer, "JPEG", quality=92)
    else:
        image.save(buffer, _PIL_FORMATS[output_format])
    return buffer.getvalue()


def _colour(seed: bytes, offset: int, floor: int = 60) -> tuple[int, int, int]:
    red, green, blue = (floor + seed[(offset + i) % len(seed)] * (255 - floor) // 255 for i in range(3))
    return red, green, blue


def background(prompt: str, size: tuple[int, int], variant: int, transparent: bool) -> Image.Image:
    """A vertical gradient and a few translucent shapes, all chosen by sha256(prompt, variant)."""
    width, height = size
    seed = hashlib.sha256(f"{variant}:{prompt}".encode()).digest()
    if transparent:
        return Image.new("RGBA", size, (0, 0, 0, 0))
    top, bottom = _colour(seed, 0, 90), _colour(seed, 3, 30)
    column = Image.linear_gradient("L").resize((1, height))
    canvas = Image.composite(
        Image.new("RGB", (1, height), bottom), Image.new("RGB", (1, height), top), column
    )
    canvas = canvas.resize(size).convert("RGBA")
    overlay = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    for index in range(3 + seed[6] % 4):
        b = seed[7 + index * 4 : 11 + index * 4]
        x, y = b[0] * width // 255, b[1] * height // 255
        radius = (40 + b[2] % 160) * min(size) // 1024
        box = (x - radius, y - radius, x + radius, y + radius)
        fill = (*_colour(seed, 20 + index, 40), 70)
        (draw.ellipse if b[3] % 2 else draw.rectangle)(box, fill=fill)
    return Image.alpha_composite(canvas, overlay)


def _person_crop(person: Image.Image, face: FaceBox | None, room: tuple[int, int]) -> Image.Image:
    """The person scaled uniformly to fit `room`, cropped around the face when it is known."""
    if face is None:
        scale = min(room[0] / person.width, room[1] / person.height)
        return person.resize((max(1, round(person.width * scale)), max(1, round(person.height * scale))))
    left, top, right, bottom = face
    face_w, face_h = right - left, bottom - top
    scale = max(MIN_FACE_PX / face_w, 1.0)
    scale = min(scale, room[0] / (face_w * 1.3), room[1] / (face_h * 1.5))  # the face itself must fit
    # Head and shoulders around the face, shrunk to what fits the room at this scale.
    crop_w = min(face_w * 3.2, room[0] / scale, person.width)
    crop_h = min(face_h * 4.0, room[1] / scale, person.height)
    cx = (left + right) / 2
    x0 = min(max(0.0, cx - crop_w / 2), person.width - crop_w)
    y0 = min(max(0.0, top - face_h * 0.9), person.height - crop_h)
    crop = person.crop((round(x0), round(y0), round(x0 + crop_w), round(y0 + crop_h)))
    return crop.resize(
        (max(1, round(crop.width * scale)), max(1, round(crop.height * scale))), Image.Resampling.LANCZOS
    )


_SCENE_AFTER = re.compile(r"(?:THIS EXACT PERSON:| person as) (.+?)(?:\n\n|$)", re.DOTALL)
_CREATE = re.compile(r"[Cc]reate (an? [^.\n]+)")
_STAND_IN_FOR = re.compile(r"photo of (an? .+? person) as ")


def scene_text(prompt: str) -> str:
    """The scene a prompt asks for, as a model would read it (the identity prompts' `$scene`)."""
    found = _SCENE_AFTER.search(prompt) or _CREATE.search(prompt)
    text = found.group(1) if found else prompt.split("\n\n", 1)[0]
    return " ".join(text.replace(" of THIS EXACT PERSON", "").split())


def _wrap(
    draw: ImageDraw.ImageDraw,
    text: str,
    font: ImageFont.FreeTypeFont | ImageFont.ImageFont,
    width: float,
    lines: int,
) -> list[str]:
    """Greedy word wrap to `width` pixels; the last kept line ends with an ellipsis when text is left."""
    out: list[str] = []
    for word in text.split():
        if out and draw.textlength(f"{out[-1]} {word}", font=font) <= width:
            out[-1] = f"{out[-1]} {word}"
        else:
            out.append(word)
    if len(out) > lines:
        out = out[:lines]
        while len(out[-1]) > 1 and draw.textlength(out[-1] + " …", font=font) > width:
            out[-1] = out[-1][:-1]
        out[-1] += " …"
    return out


def _scene_card(canvas: Image.Image, prompt: str, generic: bool) -> int:
    """The scene the prompt asks for, written large on top, so the picture reads as its placeholder.

    A scene with the stand-in person also says whom a model would have drawn (the body profile's
    words in the prompt): the offline provider has one stand-in only. Returns the card's height.
    """
    width, height = canvas.size
    unit = min(width, height)
    small_size, large_size = max(11, unit // 48), max(14, unit // 24)
    small = ImageFont.load_default(size=small_size)
    large = ImageFont.load_default(size=large_size)
    draw = ImageDraw.Draw(canvas)
    margin = max(8, unit // 40)
    lines = _wrap(draw, scene_text(prompt), large, width - 2 * margin, 4 if height > width else 3)
    notes = ["OFFLINE PLACEHOLDER · no AI image: the scene a model would draw"]
    asked = _STAND_IN_FOR.search(prompt)
    if generic and asked:
        notes.append(f"Stand-in person (public domain) for {' '.join(asked.group(1).split())}")
    small_h = round(small_size * 1.35)
    large_h = round(large_size * 1.25)
    card = margin + small_h + len(lines) * large_h + (len(notes) - 1) * small_h + margin
    draw.rectangle((0, 0, width, card), fill=(15, 18, 28, 205))
    y = margin
    draw.text((margin, y), notes[0], font=small, fill=(255, 214, 102, 255))
    y += small_h
    for line in lines:
        draw.text((margin, y), line, font=large, fill=(250, 250, 250, 255))
        y += large_h
    for note in notes[1:]:
        draw.text((margin, y), note, font=small, fill=(200, 210, 225, 255))
        y += small_h
    return card


def render_scene(
    prompt: str,
    size: tuple[int, int],
    person: Image.Image,
    face: FaceBox | None,
    *,
    variant: int = 0,
    transparent: bool = False,
    generic: bool = False,
) -> Image.Image:
    """The scene: background, the scene's text on a card on top, the person below it, bottom centre.

    `generic` says the person is the bundled stand-in, which the card then names as such.
    """
    canvas = background(prompt, size, variant, transparent)
    card = _scene_card(canvas, prompt, generic)
    room = (round(size[0] * 0.9), round((size[1] - card) * 0.97))
    crop = _person_crop(person, face, room)
    canvas.paste(crop.convert("RGBA"), ((size[0] - crop.width) // 2, size[1] - crop.height))
    return canvas if transparent else canvas.convert("RGB")
