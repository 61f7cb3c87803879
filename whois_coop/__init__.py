"""The port-43 WHOIS front end (RFC 3912) over rdap_coop.core."""
