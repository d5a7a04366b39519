"""OOXML's escaping of text in cells (ST_Xstring), both ways, so that any text survives.

XML cannot hold most control characters and turns a carriage return into a line
feed, so Excel writes them as ``_xHHHH_`` (``_x000D_`` for "\\r"), and a literal
``_xHHHH_`` typed by a user as ``_x005F_xHHHH_``. openpyxl does neither on reading
nor fully on writing; these two functions do, and are exact inverses.

>>> encode("a\\r\\nb")
'a_x000D_\\nb'
>>> decode(encode("literal _x000D_ and \\x01"))
'literal _x000D_ and \\x01'
"""

from __future__ import annotations

import re

LITERAL = re.compile(r"_(x[0-9A-Fa-f]{4}_)")
NEEDS_ESCAPE = re.compile(r"[\x00-\x08\x0b\x0c\x0d\x0e-\x1f\ufffe\uffff]")
ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")


def encode(text: str) -> str:
    text = LITERAL.sub(r"_x005F_\1", text)
    return NEEDS_ESCAPE.sub(lambda m: f"_x{ord(m.group(0)):04X}_", text)


def decode(text: str) -> str:
    return ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), text) if "_x" in text else text
