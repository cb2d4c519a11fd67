from __future__ import annotations

import base64
import io

from PIL import Image, ImageDraw


def signature_png(*, blank: bool = False, size: tuple[int, int] = (400, 180)) -> bytes:
    image = Image.new("RGB", size, (255, 255, 255))
    if not blank:
        ImageDraw.Draw(image).line([(20, 120), (120, 40), (220, 130), (360, 50)], fill=(0, 0, 0), width=4)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()
