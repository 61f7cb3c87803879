# syntax=docker/dockerfile:1
# One image for both front ends of rdap-coop:
#   docker run IMAGE                      -> rdap-coop serve   (RDAP, port 8080)
#   docker run IMAGE whois-coop serve     -> WHOIS             (port 4343; publish it as 43)
# Settings are RDAP_COOP_* variables (deploy/env.example lists them all); the defaults
# below only make the listeners reachable from outside the container.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- build: the project and every dependency as wheels ---------------------------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
# Every dependency ships manylinux wheels for CPython 3.11, so neither stage needs a
# compiler; what the build leaves behind stays in this stage.
COPY pyproject.toml README.md ./
COPY rdap_coop ./rdap_coop
COPY whois_coop ./whois_coop
RUN python -m pip wheel --wheel-dir /wheels .

# --- runtime: the installed wheels, a non-root user, nothing else ----------------------
FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="rdap-coop" \
      org.opencontainers.image.description="RDAP and WHOIS service of the .coop TLD" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
# A fixed numeric id, so Kubernetes' runAsNonRoot can verify it and volumes can be
# prepared for it; no home, no shell.
RUN groupadd --system --gid 10001 rdap-coop \
 && useradd --system --uid 10001 --gid rdap-coop --no-create-home \
            --home-dir /nonexistent --shell /usr/sbin/nologin rdap-coop \
 && install -d -o rdap-coop -g rdap-coop -m 0750 /var/lib/rdap-coop /var/lib/rdap-coop/usage
# The wheels are bind-mounted from the build stage, so no layer ever holds them; the
# project's own wheel is named, its dependencies are found beside it (and nowhere else).
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    python -m pip install --no-index --find-links=/wheels /wheels/rdap_coop-*.whl \
 && rm -rf /root/.cache
COPY deploy/docker/healthcheck.py /usr/local/lib/rdap-coop/healthcheck.py

# Inside a container the listeners must face the container's network, not loopback;
# WHOIS listens on 4343 because a non-root process cannot bind 43 (publish 43:4343).
ENV RDAP_COOP_RDAP_HOST=0.0.0.0 \
    RDAP_COOP_RDAP_PORT=8080 \
    RDAP_COOP_WHOIS_HOSTS=0.0.0.0 \
    RDAP_COOP_WHOIS_PORT=4343 \
    RDAP_COOP_METRICS_HOST=0.0.0.0 \
    RDAP_COOP_METRICS_PORT=9108
# RDAP, WHOIS, and the internal /metrics,/health,/ready port of each (9109 by
# convention for WHOIS, set with RDAP_COOP_METRICS_PORT).
EXPOSE 8080 4343 9108 9109

USER 10001:10001
WORKDIR /var/lib/rdap-coop
# /health answers 200 while the process runs; readiness (/ready) is for balancers.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "/usr/local/lib/rdap-coop/healthcheck.py"]
# SIGTERM (Docker's default stop signal) drains in-flight requests, then exits.
STOPSIGNAL SIGTERM
CMD ["rdap-coop", "serve"]
