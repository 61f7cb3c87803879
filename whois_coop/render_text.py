"""Line-level building blocks of WHOIS text: sanitised ``Key: value`` lines, dates, footer.

Everything a record prints goes through ``field_line``, which sanitises the value, so
no datum can start a line of its own (SPEC WHO-03): replies are CRLF-terminated lines
(RFC 3912 §2) and a value is never allowed to contain a line break of any kind. The
fixed texts shared by every reply -- the last-update line, the status-code pointer
and the terms of use -- live here too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime

from rdap_coop.core.wording import EMAIL_REDACTED_TEXT

CRLF = "\r\n"

REDACTED_VALUE = "REDACTED FOR PRIVACY"
"""The value of a key whose datum the disclosure policy withheld (TempSpec App. A §2.2)."""

EMAIL_REDACTED_VALUE = EMAIL_REDACTED_TEXT
"""``Registrant Email`` / ``Tech Email`` when withheld (TempSpec App. A §2.5.1, SPEC RED-04):
word for word the remark RDAP attaches to a contact whose email it withheld (WHO-20)."""

INACCURACY_FORM_LINE = (
    "URL of the ICANN Whois Inaccuracy Complaint Form: https://www.icann.org/wicf/"
)
"""Spec 4 §1.5: the last line of a domain record before the last-update line."""

STATUS_CODES_LINE = (
    "For more information on Whois status codes, please visit https://icann.org/epp"
)
"""ICANN Additional Whois Information Policy: printed after a domain record (SPEC WHO-13)."""

TERMS_OF_USE_LINES = (
    "TERMS OF USE: The .coop registry provides this service so that anyone can look up",
    "the registration of a .coop domain name, its name servers and its registrar, for",
    "lawful purposes only. You may not use this service, or data obtained from it, to",
    "collect or compile registration data in bulk or by automated means, to send or",
    "support unsolicited advertising or other marketing by any channel, or for any",
    "other unlawful purpose. Contact data is published only as the ICANN Registration",
    "Data Policy allows; the rest is redacted. The data is provided as is, without any",
    "warranty of accuracy or completeness. The authoritative source of .coop",
    "registration data is the registry's RDAP service (RFC 9083), listed for .coop in",
    "the IANA RDAP bootstrap registry at https://data.iana.org/rdap/dns.json. By",
    "sending a query you agree to these terms.",
)
"""The disclaimer every reply ends with (Spec 4 §1.1-1.3: a blank line, then the legal text)."""

# Every character that some reader treats as a line or page break, or as a terminal
# control: C0 (incl. TAB, LF, VT, FF, CR, FS/GS/RS), DEL, C1 (incl. NEL U+0085) and
# the Unicode line and paragraph separators. A run of them becomes one space, so
# words stay apart and the value stays on its line (SPEC WHO-03).
_LINE_BREAKING = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
# Lone surrogates cannot be encoded as UTF-8; the replacement character keeps the
# reply encodable rather than failing the whole answer on one bad datum.
_SURROGATES = re.compile("[\ud800-\udfff]")

_ASCII_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def sanitise(value: str) -> str:
    """``value`` on one line: control characters and line separators replaced, then trimmed."""
    return _SURROGATES.sub("\ufffd", _LINE_BREAKING.sub(" ", value)).strip()


def field_line(key: str, value: str | None) -> str:
    """``Key: value``; an absent or empty datum prints the bare ``Key:`` (SPEC WHO-10, WHO-11).

    Keys are fixed strings of this package, never data, so only the value is sanitised.
    """
    text = sanitise(value) if value is not None else ""
    return f"{key}: {text}" if text else f"{key}:"


def repeated_lines(key: str, values: Iterable[str]) -> list[str]:
    """One line per value; a key with no values still prints once, empty (SPEC WHO-11)."""
    lines = [field_line(key, value) for value in values]
    return lines or [field_line(key, None)]


def dns_name(name: str) -> str:
    """A host or domain A-label in upper case, as in the Spec 4 examples (SPEC WHO-06).

    Only ASCII letters change: a U-label that slipped through keeps its characters.
    """
    return name.translate(_ASCII_UPPER)


def utc_timestamp(moment: datetime) -> str:
    """``2026-11-01T00:00:00Z``: UTC, whole seconds (Spec 4 §1.5; SPEC WHO-14).

    The same text as the RDAP event dates (WHO-20). Raises ValueError for a naive
    datetime, whose zone would be a guess.
    """
    if moment.utcoffset() is None:
        raise ValueError("naive datetime: cannot place it in UTC")
    # isoformat, unlike strftime("%Y"), always writes four year digits.
    return moment.astimezone(UTC).replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def optional_timestamp(moment: datetime | None) -> str | None:
    return None if moment is None else utc_timestamp(moment)


def last_update_line(database_updated_at: datetime) -> str:
    """The replica's freshness, never the time of the query (Spec 4 §1.5; SPEC WHO-17)."""
    return f">>> Last update of WHOIS database: {utc_timestamp(database_updated_at)} <<<"


def footer_lines(
    database_updated_at: datetime | None, *, explain_statuses: bool = False
) -> list[str]:
    """The last-update line (when the freshness is known), then the disclaimer.

    ``explain_statuses`` adds the status-code pointer, which only a domain record,
    the one reply with ``Domain Status`` lines, needs (SPEC WHO-13).
    """
    lines = [] if database_updated_at is None else [last_update_line(database_updated_at)]
    if explain_statuses:
        lines += ["", STATUS_CODES_LINE]
    return [*lines, "", *TERMS_OF_USE_LINES]


def join_lines(lines: Iterable[str]) -> str:
    """The reply text: every line, the last one included, ends with CRLF (RFC 3912 §2)."""
    return "".join(line + CRLF for line in lines)
