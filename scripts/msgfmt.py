#!/usr/bin/env python3
"""Compile every atendo/locale/*/LC_MESSAGES/*.po to .mo without GNU gettext.

`make` uses Django's `compilemessages` (GNU msgfmt) when it is installed and this otherwise, so a
bare machine still gets its translations. Follows CPython's Tools/i18n/msgfmt.py: contexts,
plurals, escapes; fuzzy entries are left out, as msgfmt does.
"""

from __future__ import annotations

import array
import ast
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def parse(po: Path) -> dict[bytes, bytes]:
    """The catalogue of one .po file: {msgid (with context/plural): msgstr (plural forms NUL-joined)}."""
    messages: dict[bytes, bytes] = {}
    entry: dict[str, str] = {}
    plurals: dict[int, str] = {}
    section = ""
    fuzzy = False

    def flush() -> None:
        nonlocal entry, plurals, fuzzy, section
        if "msgid" in entry and not fuzzy:
            key = entry["msgid"].encode()
            if "msgctxt" in entry:
                key = entry["msgctxt"].encode() + b"\x04" + key
            if "msgid_plural" in entry:
                key += b"\x00" + entry["msgid_plural"].encode()
                value = b"\x00".join(plurals[i].encode() for i in sorted(plurals))
            else:
                value = entry.get("msgstr", "").encode()
            if value.replace(b"\x00", b"") or not entry["msgid"]:  # untranslated entries are left out
                messages[key] = value
        entry, plurals, fuzzy, section = {}, {}, False, ""

    for raw in po.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line.startswith("#"):
            if section.startswith("msgstr"):
                flush()
            if line.startswith("#,") and "fuzzy" in line:
                fuzzy = True
            continue
        if not line:
            continue
        keyword, _, rest = line.partition(" ")
        if line.startswith('"'):
            keyword, rest = "", line
        if keyword in {"msgctxt", "msgid"} and section.startswith("msgstr"):
            flush()
        if keyword.startswith("msgstr["):
            section = f"msgstr:{int(keyword[7:-1])}"
        elif keyword:
            section = keyword
        text = ast.literal_eval(rest)
        if section.startswith("msgstr:"):
            index = int(section[7:])
            plurals[index] = plurals.get(index, "") + text
        else:
            entry[section] = entry.get(section, "") + text
    if section.startswith("msgstr"):
        flush()
    return messages


def write_mo(messages: dict[bytes, bytes], target: Path) -> None:
    keys = sorted(messages)
    ids = strs = b""
    offsets = []
    for key in keys:
        offsets.append((len(ids), len(key), len(strs), len(messages[key])))
        ids += key + b"\x00"
        strs += messages[key] + b"\x00"
    keystart = 7 * 4 + 16 * len(keys)
    valuestart = keystart + len(ids)
    koffsets: list[int] = []
    voffsets: list[int] = []
    for o1, l1, o2, l2 in offsets:
        koffsets += [l1, o1 + keystart]
        voffsets += [l2, o2 + valuestart]
    output = struct.pack("Iiiiiii", 0x950412DE, 0, len(keys), 7 * 4, 7 * 4 + len(keys) * 8, 0, 0)
    output += array.array("i", koffsets + voffsets).tobytes()
    target.write_bytes(output + ids + strs)


def main() -> int:
    pos = sorted((ROOT / "atendo" / "locale").glob("*/LC_MESSAGES/*.po"))
    for po in pos:
        write_mo(parse(po), po.with_suffix(".mo"))
        print(f"compiled {po.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
