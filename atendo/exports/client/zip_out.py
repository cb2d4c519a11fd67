"""The client record as a ZIP: `record.json`, `record.pdf`, `record.fhir.json` and the files of the
attachments this reader may open under `attachments/<id>-<name>` (the paths the JSON's
`attachments[].path` and the FHIR `DocumentReference`s name). Each member is written as it is
made (zipfile streams into the export's file; nothing is held whole but one attachment at a time,
and only a sealed one, which is opened in memory like its download — uploads are size-limited)."""

from __future__ import annotations

import zipfile
from typing import IO

from atendo.exports.client import fhir_out, json_out, pdf_out
from atendo.exports.client.record import Record, attachment_path
from atendo.files.selectors import attachment_bytes
from atendo.files.services import attachment_storage

CHUNK = 64 * 1024


def write(record: Record, out: IO[bytes]) -> None:
    with zipfile.ZipFile(out, mode="w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        with archive.open("record.json", mode="w", force_zip64=True) as member:
            json_out.write(record, member)
        with archive.open("record.pdf", mode="w", force_zip64=True) as member:
            pdf_out.write(record, member)
        with archive.open("record.fhir.json", mode="w", force_zip64=True) as member:
            fhir_out.write(record, member)
        storage = attachment_storage()
        for attachment in record.attachments():
            info = zipfile.ZipInfo(
                attachment_path(attachment), date_time=attachment.created_at.timetuple()[:6]
            )
            info.compress_type = (
                zipfile.ZIP_STORED if attachment.kind in ("image", "signature") else zipfile.ZIP_DEFLATED
            )
            try:
                handle = storage.open(attachment.storage_name, "rb")
            except FileNotFoundError:
                record.withheld.add("missing_files")
                continue
            with handle, archive.open(info, mode="w", force_zip64=True) as member:
                if attachment.clinical:
                    member.write(attachment_bytes(attachment, handle.read()))
                else:
                    while chunk := handle.read(CHUNK):
                        member.write(chunk)
