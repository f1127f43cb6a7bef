"""Text that came from a device, made safe to carry: the one place device strings enter.

Anything a device sends is untrusted: an interface name (ifName, ifDescr, ifAlias), sysName,
sysDescr, a string reading, a trap varbind. Any v2c sender that knows a site's community (which
travels in clear on every poll) can put anything there, including a CR LF that would start a
new mail header or a chat mention. So at the edge, where the bytes become text:

- bytes are decoded as UTF-8 (undecodable bytes become U+FFFD), NUL padding is dropped;
- every character that does not print as itself (C0 and C1 controls, DEL, line and paragraph
  separators, bidirectional overrides, zero-width characters, unassigned code points) becomes a
  space, and the blanks around it one space;
- the text is capped at ``LIMIT`` characters (an ellipsis marks the cut).

What is left is plain data: printable text on one line. Each channel still escapes it for its
own markup (Slack ``&<>``, Telegram HTML, mail headers), since a message may hold text that did
not come through here.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["LIMIT", "device_text"]

#: longest device text kept: twice an interface name or alias (64), enough for a status text
LIMIT: Final = 128

_BLANKS = re.compile(r"\s+")


def device_text(raw: str | bytes, limit: int = LIMIT) -> str:
    """Printable, one-line text of at most ``limit`` characters (see the module docstring)."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    text = text.replace("\x00", "")
    if not text.isprintable():  # str.isprintable: false for Cc, Cf, Cs, Co, Cn, Zl, Zp and Zs but " "
        text = _BLANKS.sub(" ", "".join(c if c.isprintable() else " " for c in text))
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
