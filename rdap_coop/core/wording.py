"""Sentences both front ends must say word for word, so RDAP and WHOIS agree (WHO-20)."""

from __future__ import annotations

from typing import Final

EMAIL_REDACTED_TEXT: Final = (
    "Please query the RDDS service of the Registrar of Record identified in this output for "
    "information on how to contact the Registrant, Admin, or Tech contact of the queried "
    "domain name."
)
"""Where a contact's email is withheld (TempSpec App. A §2.5.1): the registrar operates
the contact channel the Registration Data Policy requires (SPEC RED-04)."""

RESERVED_NAME_TEXT: Final = (
    "This name is not registered: it is reserved by the .coop sponsor."
)
"""Reserved names are public policy (.coop agreement App. 6), so the answer says so."""
