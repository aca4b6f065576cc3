# syntax=docker/dockerfile:1
# Build stage: a wheel of smsproxy and its dependencies, nothing else.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY proxy ./proxy
COPY adapters ./adapters
RUN pip install --no-cache-dir --prefix=/install .

# Run stage: slim base, non-root user, configuration through SMSPROXY_* variables.
FROM python:3.11-slim
# the data directory exists, owned by the service's user, before it is declared a volume:
# a new named or anonymous volume starts as a copy of it (Docker would make it root's)
RUN useradd --create-home --uid 10001 --user-group smsproxy \
    && mkdir -p /home/smsproxy/var \
    && chown 10001:10001 /home/smsproxy/var
COPY --from=build /install /usr/local
USER 10001:10001
WORKDIR /home/smsproxy
# the embedded sandbox listens on every interface too: its control API (deliver an SMS,
# move time) is reachable at the published port, as the README's curl lines use it
ENV SMSPROXY_HOST=0.0.0.0 \
    SMSPROXY_PORT=8080 \
    SMSPROXY_SANDBOX_HOST=0.0.0.0 \
    SMSPROXY_DATA_DIR=/home/smsproxy/var \
    PYTHONUNBUFFERED=1
VOLUME ["/home/smsproxy/var"]
EXPOSE 8080 9300
# probes the port the service is told to use, not a fixed one
HEALTHCHECK --interval=5s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('SMSPROXY_PORT', '8080'), timeout=2)"]
ENTRYPOINT ["smsproxy", "serve"]
