#!/usr/bin/env bash
# The image as a user runs it (make image-check): built with the local Docker daemon from
# whatever base images it has or can pull, then every promise of the README checked from
# the host: healthy in the healthcheck's window, not root, /healthz and /readyz, the
# README's own curl lines through the embedded sandbox's published port, a purchase kept
# across a new container on the same volume, a changed SMSPROXY_PORT still healthy, an
# anonymous volume, a bind mount the service cannot write said in one line, `docker stop`
# under 5 s. Prints the image size and the start-to-healthy time. Needs docker, curl.
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE=${IMAGE:-smsproxy:check}
NET=smsproxy-check-net
VOLUME=smsproxy-check-var
PORT=${CHECK_PORT:-18080}
SANDBOX_PORT=${CHECK_SANDBOX_PORT:-19300}
BASE="http://127.0.0.1:$PORT"
HANDLER="$BASE/stubs/handler_api.php?api_key=sk_sandbox_demo"
CONTAINERS=(smsproxy-check-a smsproxy-check-b smsproxy-check-port smsproxy-check-bind)
BIND_DIR=""

say() { printf 'image-check: %s\n' "$*"; }
fail() {  # to stderr: it may be called inside $(...)
    say "FAILED: $*" >&2
    for c in "${CONTAINERS[@]}"; do
        docker logs "$c" 2>&1 | tail -5 | sed "s/^/  $c: /" >&2 || true
    done
    exit 1
}
cleanup() {
    docker rm -f "${CONTAINERS[@]}" >/dev/null 2>&1 || true
    docker volume rm -f "$VOLUME" >/dev/null 2>&1 || true
    docker network rm "$NET" >/dev/null 2>&1 || true
    [[ -z $BIND_DIR ]] || rm -rf "$BIND_DIR"
}
trap cleanup EXIT
cleanup
BIND_DIR=$(mktemp -d)

# a daemon without a default bridge (a locked-down host) builds on the host's network
say "building $IMAGE"
docker build --network host -t "$IMAGE" . >/tmp/smsproxy-image-build.log 2>&1 \
    || { tail -20 /tmp/smsproxy-image-build.log; fail "the image did not build"; }
docker network create "$NET" >/dev/null

start() {  # name, then docker run options
    local name=$1
    shift
    docker run -d --name "$name" --network "$NET" "$@" "$IMAGE" >/dev/null
}

healthy() {  # name: seconds until healthy, within the healthcheck's window (60 s)
    local name=$1 started=$SECONDS status
    while ((SECONDS - started < 60)); do
        status=$(docker inspect -f '{{.State.Status}} {{.State.Health.Status}}' "$name")
        case $status in
            "running healthy") echo $((SECONDS - started)); return 0 ;;
            exited*|dead*) fail "$name stopped: $status" ;;
        esac
        sleep 1  # the daemon's health status, polled
    done
    fail "$name not healthy within 60 s ($status)"
}

get() { curl -fsS --max-time 10 "$@"; }

# 1. a named volume, the ports published as the README publishes them
start smsproxy-check-a -v "$VOLUME:/home/smsproxy/var" \
    -p "127.0.0.1:$PORT:8080" -p "127.0.0.1:$SANDBOX_PORT:9300"
took=$(healthy smsproxy-check-a)
say "healthy ${took} s after start (named volume)"
[[ $(docker exec smsproxy-check-a id -u) == 10001 ]] || fail "the service runs as root"
get "$BASE/healthz" >/dev/null || fail "/healthz"
get "$BASE/readyz" >/dev/null || fail "/readyz"

# 2. the README's curl lines: a number, its SMS at the sandbox's published port, the code
[[ $(get "$HANDLER&action=getBalance") == ACCESS_BALANCE:* ]] || fail "getBalance"
answer=$(get "$HANDLER&action=getNumber&service=wa&country=187")
[[ $answer == ACCESS_NUMBER:* ]] || fail "getNumber answered $answer"
id=$(cut -d: -f2 <<<"$answer")
phone=$(cut -d: -f3 <<<"$answer")
get -X POST "http://127.0.0.1:$SANDBOX_PORT/_sandbox/sms" \
    -d "{\"number\": \"${phone:1}\", \"code\": \"123456\"}" >/dev/null \
    || fail "the sandbox's published port does not answer"
for _ in $(seq 15); do  # as a tool polls: the proxy asks the vendor every 2 s at most
    status=$(get "$HANDLER&action=getStatus&id=$id")
    [[ $status == STATUS_WAIT_CODE ]] || break
    sleep 1
done
[[ $status == STATUS_OK:123456 ]] || fail "getStatus answered $status"
say "getBalance, getNumber, an SMS at :$SANDBOX_PORT, STATUS_OK:123456"

# 3. a new container on the same volume keeps the purchase; docker stop is quick
docker rm -f smsproxy-check-a >/dev/null
start smsproxy-check-b -v "$VOLUME:/home/smsproxy/var" \
    -p "127.0.0.1:$PORT:8080" -p "127.0.0.1:$SANDBOX_PORT:9300"
healthy smsproxy-check-b >/dev/null
status=$(get "$HANDLER&action=getStatus&id=$id")
[[ $status == STATUS_OK:123456 ]] || fail "a new container lost activation $id: $status"
stop_started=$(date +%s%N)
docker stop smsproxy-check-b >/dev/null
stop_ms=$((($(date +%s%N) - stop_started) / 1000000))
((stop_ms < 5000)) || fail "docker stop took $stop_ms ms"
say "the purchase survived a new container; docker stop took $stop_ms ms"

# 4. another port, and an anonymous volume: still healthy
start smsproxy-check-port -e SMSPROXY_PORT=18081
healthy smsproxy-check-port >/dev/null
say "SMSPROXY_PORT=18081 with an anonymous volume: healthy"

# 5. a bind mount another uid owns: one clear line, no traceback
chown 4242:4242 "$BIND_DIR"
chmod 700 "$BIND_DIR"
start smsproxy-check-bind -v "$BIND_DIR:/home/smsproxy/var"
for _ in $(seq 30); do
    [[ $(docker inspect -f '{{.State.Status}}' smsproxy-check-bind) == exited ]] && break
    sleep 1  # the daemon's view of the container, polled
done
logs=$(docker logs smsproxy-check-bind 2>&1)
expected="smsproxy: data_dir /home/smsproxy/var is not writable by uid 10001"
[[ $logs == "$expected"* ]] || fail "an unwritable volume said: $logs"
[[ $logs != *Traceback* ]] || fail "an unwritable volume printed a traceback"
say "an unwritable bind mount: \"${logs%%:*}: ${expected#smsproxy: }…\", exit $(
    docker inspect -f '{{.State.ExitCode}}' smsproxy-check-bind)"

size=$(docker image inspect -f '{{.Size}}' "$IMAGE")
say "image size $((size / 1000000)) MB; start to healthy ${took} s"
say "passed"
