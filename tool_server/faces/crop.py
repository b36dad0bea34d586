"""The square face crop stored next to each reference photo and sent to providers as the face reference.

Automatic crop: a square centred a little above the centre of the detector's box (the box runs
from the brows to the chin, so the head's centre is higher), with `margin` times the face width
added on each side: at the default 0.6 the square is 2.2 face widths, the head with hair and neck.
It is shifted to stay inside the photo and shrunk to the short side if needed. Explicit crops from
the user's crop UI are used as given once they are checked to lie inside the photo.
"""

from __future__ import annotations

from PIL import Image

from tool_server.errors import InvalidInput
from tool_server.faces.detect import Face
from tool_server.faces.records import CropBox, CropSpec

HEAD_CENTRE_LIFT = 0.1  # of the face width, upwards from the box centre
MIN_CROP_PX = 64


def auto_crop_box(face: Face, image_w: int, image_h: int, margin: float) -> CropBox:
    """The automatic square crop around `face`, inside an image of `image_w` x `image_h`."""
    left, top, right, bottom = face.rect
    width = right - left
    side = min(round(width * (1 + 2 * margin)), image_w, image_h)
    centre_x = (left + right) / 2
    centre_y = (top + bottom) / 2 - HEAD_CENTRE_LIFT * width
    x = min(max(0, round(centre_x - side / 2)), image_w - side)
    y = min(max(0, round(centre_y - side / 2)), image_h - side)
    return CropBox(x=x, y=y, size=side)


def check_crop(crop: CropSpec, image_w: int, image_h: int) -> CropBox:
    """Check that an explicit crop lies inside the photo; raise `InvalidInput` saying how to fix it."""
    if crop.size < MIN_CROP_PX:
        raise InvalidInput(f"The crop is {crop.size} px: make it at least {MIN_CROP_PX} px on a side.")
    if crop.x + crop.size > image_w or crop.y + crop.size > image_h:
        raise InvalidInput(
            f"The crop (x={crop.x}, y={crop.y}, size={crop.size}) reaches outside the {image_w}x{image_h} "
            f"photo: keep x + size <= {image_w} and y + size <= {image_h}, in pixels of the upright photo."
        )
    return CropBox(x=crop.x, y=crop.y, size=crop.size, explicit=True)


def crop_image(image: Image.Image, box: CropBox, out_px: int) -> Image.Image:
    """The square `box` of `image`, resized to `out_px` on a side."""
    square = image.crop((box.x, box.y, box.x + box.size, box.y + box.size))
    if square.size != (out_px, out_px):
        square = square.resize((out_px, out_px), Image.Resampling.LANCZOS)
    return square
