"""What an upload really is, from its bytes (never its name or declared type).

Images are additionally opened with Pillow so a file with a PNG header and garbage behind it is
refused. Anything not recognised (executables, archives, HTML posing as something else…) is
unsupported.
"""

from __future__ import annotations

import warnings
import zipfile
from typing import IO

from PIL import Image, UnidentifiedImageError

PNG, JPEG, GIF, WEBP = "image/png", "image/jpeg", "image/gif", "image/webp"
PDF = "application/pdf"
TEXT = "text/plain"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODT = "application/vnd.oasis.opendocument.text"

IMAGE_TYPES = frozenset({PNG, JPEG, GIF, WEBP})
SUPPORTED_TYPES = frozenset(IMAGE_TYPES | {PDF, TEXT, DOCX, XLSX, ODT})
EXTENSIONS = {
    PNG: "png",
    JPEG: "jpg",
    GIF: "gif",
    WEBP: "webp",
    PDF: "pdf",
    TEXT: "txt",
    DOCX: "docx",
    XLSX: "xlsx",
    ODT: "odt",
}
_PILLOW_FORMATS = {"PNG": PNG, "JPEG": JPEG, "GIF": GIF, "WEBP": WEBP}
MAX_IMAGE_PIXELS = 50_000_000


def _sniff(head: bytes) -> str | None:
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    return None


def _office_type(stream: IO[bytes]) -> str | None:
    try:
        with zipfile.ZipFile(stream) as archive:
            names = set(archive.namelist())
            if "word/document.xml" in names:
                return DOCX
            if "xl/workbook.xml" in names:
                return XLSX
            if "mimetype" in names and archive.read("mimetype").strip() == ODT.encode():
                return ODT
    except (zipfile.BadZipFile, OSError, KeyError):
        return None
    return None


def _is_text(head: bytes) -> bool:
    if not head or b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the sample is still text.
        return exc.start >= len(head) - 3
    return True


def _image_ok(stream: IO[bytes], expected: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(stream) as image:
                if _PILLOW_FORMATS.get(image.format or "") != expected:
                    return False
                width, height = image.size
                if width * height > MAX_IMAGE_PIXELS:
                    return False
                image.verify()
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ):
        return False
    return True


def detect_content_type(stream: IO[bytes]) -> str | None:
    """The content type of the bytes in `stream` (rewound afterwards), or None if unsupported."""
    stream.seek(0)
    head = stream.read(8192)
    stream.seek(0)
    kind = _sniff(head)
    try:
        if kind in IMAGE_TYPES:
            return kind if _image_ok(stream, kind) else None
        if kind == "zip":
            return _office_type(stream)
        if kind == PDF:
            return PDF
        return TEXT if _is_text(head) else None
    finally:
        stream.seek(0)
