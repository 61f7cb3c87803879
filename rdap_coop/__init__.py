"""rdap-coop: the RDAP and WHOIS registration-data lookup service of .coop."""
