"""The container's HEALTHCHECK: is this service's ``/health`` answering 200?

Standard library only, so the runtime image needs no curl. The image serves RDAP or
WHOIS; both answer ``/health`` on their internal metrics port, which is asked first.
RDAP also answers it on its public port, the fall-back when the metrics port is off
(WHOIS has no other HTTP port, so a WHOIS container needs RDAP_COOP_METRICS_PORT).
"""

from __future__ import annotations

import os
import sys
import urllib.request
from collections.abc import Mapping

TIMEOUT_SECONDS = 3.0
# A listener bound to every address is reached on loopback from inside the container.
WILDCARDS = {"", "0.0.0.0", "::", "[::]"}


def _host(bound: str) -> str:
    if bound in WILDCARDS:
        return "127.0.0.1"
    return f"[{bound}]" if ":" in bound else bound


def health_url(env: Mapping[str, str]) -> str:
    """Where /health is served according to the same variables the service reads."""
    metrics_port = env.get("RDAP_COOP_METRICS_PORT", "0") or "0"
    if metrics_port != "0":
        host = _host(env.get("RDAP_COOP_METRICS_HOST", "127.0.0.1"))
        return f"http://{host}:{metrics_port}/health"
    host = _host(env.get("RDAP_COOP_RDAP_HOST", "127.0.0.1"))
    return f"http://{host}:{env.get('RDAP_COOP_RDAP_PORT', '8080') or '8080'}/health"


def main() -> int:
    url = health_url(os.environ)
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:
            status = int(response.status)
    except OSError as error:  # refused, timed out, or an HTTP error status such as 503
        print(f"unhealthy: {url}: {error}", file=sys.stderr)
        return 1
    if status != 200:
        print(f"unhealthy: {url} answered {status}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
