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
RUN useradd --create-home --uid 10001 --user-group smsproxy
COPY --from=build /install /usr/local
USER 10001:10001
WORKDIR /home/smsproxy
ENV SMSPROXY_HOST=0.0.0.0 \
    SMSPROXY_PORT=8080 \
    SMSPROXY_DATA_DIR=/home/smsproxy/var \
    PYTHONUNBUFFERED=1
VOLUME ["/home/smsproxy/var"]
EXPOSE 8080 9300
HEALTHCHECK --interval=15s --timeout=3s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=2)"]
ENTRYPOINT ["smsproxy", "serve"]
