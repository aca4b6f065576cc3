#!/usr/bin/env bash
# The compose fleet as a user runs it (make fleet-check): the shipped docker-compose.yml
# up (with COMPOSE_OVERRIDE on top where an image cannot be pulled), every service healthy
# or running, a purchase through the front door read back on each replica directly,
# Prometheus scraping both replicas, then down with nothing left behind. Needs docker with
# `docker compose` or `docker-compose`, and curl.
set -euo pipefail
cd "$(dirname "$0")/.."

PROJECT=smsproxy-fleet-check
FILES=(-f docker-compose.yml)
[[ -z ${COMPOSE_OVERRIDE:-} ]] || FILES+=(-f "$COMPOSE_OVERRIDE")
if docker compose version >/dev/null 2>&1; then COMPOSE=(docker compose); else COMPOSE=(docker-compose); fi
export SMSPROXY_SECRET=${SMSPROXY_SECRET:-fleet-check-secret}
FRONT="http://127.0.0.1:8080/stubs/handler_api.php?api_key=sk_sandbox_demo"

say() { printf 'fleet-check: %s\n' "$*"; }
dc() { "${COMPOSE[@]}" -p "$PROJECT" "${FILES[@]}" "$@"; }
fail() {  # to stderr: it may be called inside $(...)
    say "FAILED: $*" >&2
    dc ps >&2 || true
    dc logs --tail 5 >&2 || true
    exit 1
}
cleanup() { dc down -v --remove-orphans >/dev/null 2>&1 || true; }
trap cleanup EXIT
cleanup

say "up (${COMPOSE[*]})"
started=$SECONDS
dc up -d --build >/tmp/smsproxy-fleet-up.log 2>&1 || { tail -20 /tmp/smsproxy-fleet-up.log; fail "up"; }
for container in $(dc ps -q); do
    name=$(docker inspect -f '{{.Name}}' "$container")
    while true; do
        state=$(docker inspect -f '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$container")
        case $state in
            "running healthy" | "running none") break ;;
            exited* | dead* | *unhealthy) fail "$name: $state" ;;
        esac
        ((SECONDS - started < 180)) || fail "$name not healthy within 180 s ($state)"
        sleep 1  # the daemon's health status, polled
    done
done
say "every service healthy or running after $((SECONDS - started)) s"

answer=$(curl -fsS --max-time 10 "$FRONT&action=getNumber&service=wa&country=187")
[[ $answer == ACCESS_NUMBER:* ]] || fail "a purchase through the front answered $answer"
id=$(cut -d: -f2 <<<"$answer")
for replica in replica-1 replica-2; do
    read_back=$(dc exec -T "$replica" python -c "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:8080/stubs/handler_api.php?api_key=sk_sandbox_demo&action=getStatus&id=$id', timeout=5).read().decode())")
    [[ $read_back == STATUS_WAIT_CODE ]] || fail "$replica read activation $id as $read_back"
done
say "activation $id, bought through the front, reads STATUS_WAIT_CODE on both replicas"

up=0
for _ in $(seq 60); do
    up=$(curl -fsS --max-time 5 http://127.0.0.1:9090/api/v1/targets | python3 -c \
        'import json, sys; print(sum(t["health"] == "up" for t in json.load(sys.stdin)["data"]["activeTargets"]))' \
        || echo 0)
    [[ $up == 2 ]] && break
    sleep 1  # Prometheus scrapes every 10 s
done
[[ $up == 2 ]] || fail "Prometheus scrapes $up of 2 replicas"
say "Prometheus scrapes both replicas"

dc down -v --remove-orphans >/dev/null 2>&1
left=$(docker ps -aq --filter "label=com.docker.compose.project=$PROJECT")
volumes=$(docker volume ls -q --filter "label=com.docker.compose.project=$PROJECT")
[[ -z $left && -z $volumes ]] || fail "left behind: $left $volumes"
say "down, nothing left behind"
say "passed"
