#!/usr/bin/env bash
# What finished tasks cost (issue 12, item 8): runs TASKS (20) Docker tasks to `finished`
# on a fresh server, then prints the server's RSS and the memory of the task containers
# still running (`docker stats`). Each task's agent holds AGENT_MIB (120) MiB in its tmux
# session, as an idle Claude Code does (115-150 MiB), then finishes.
#
#   tests/bench/ended-tasks.sh                      # the binary in target/debug
#   PLINTH_BIN=/path/to/plinth tests/bench/ended-tasks.sh
#
# Needs Docker and the agent image (the tests build it), curl and python3.
set -euo pipefail

BIN=${PLINTH_BIN:-$(cd "$(dirname "$0")/../.." && pwd)/target/debug/plinth}
TASKS=${TASKS:-20}
AGENT_MIB=${AGENT_MIB:-120}
# After the last task finished: time for what happens at a task's end (sync, release).
SETTLE=${SETTLE:-20}

home=$(mktemp -d)
repo=$(mktemp -d)
server=
cleanup() {
    [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
    local ids
    ids=$(docker ps -aq --filter "label=plinth.home=$(realpath "$home")")
    [ -n "$ids" ] && docker rm -f $ids >/dev/null
    rm -rf "$home" "$repo"
}
trap cleanup EXIT

git -C "$repo" init -q -b main
echo bench > "$repo/README.md"
git -C "$repo" add README.md
git -C "$repo" -c user.name=b -c user.email=b@example.invalid commit -qm first

PLINTH_HOME=$home RUST_LOG=warn "$BIN" serve --port 0 --no-open >/dev/null 2>&1 &
server=$!
for _ in $(seq 200); do [ -s "$home/server.json" ] && break; sleep 0.1; done
field() { python3 -c "import json,sys; print(json.load(open('$home/server.json'))['$1'])"; }
url=$(field url)
token=$(field token)
api() { curl -sf -H "Authorization: Bearer $token" -H 'accept: application/json' "$@"; }

# The agent: a node process holding AGENT_MIB MiB in the task's tmux session.
body=$(python3 - "$repo" "$AGENT_MIB" <<'PY'
import json, sys
repo, mib = sys.argv[1], int(sys.argv[2])
hold = f"node -e \"const b = Buffer.alloc({mib} << 20, 1); console.log('hold' + 'ing'); setInterval(() => b[0]++, 1000)\""
prompt = "\n".join(["#!scripted", f"term {hold}", "expect holding",
                    "write notes.txt done", "commit notes", "finish"])
print(json.dumps({"prompt": prompt, "repo": repo, "agent": "scripted", "sandbox": "docker"}))
PY
)
for _ in $(seq "$TASKS"); do
    api -X POST -H 'content-type: application/json' -d "$body" "$url/api/tasks" >/dev/null
done

deadline=$((SECONDS + 900))
while :; do
    finished=$(api "$url/api/tasks" | python3 -c 'import json,sys; print(sum(t["lifecycle"] == "finished" for t in json.load(sys.stdin)))')
    failed=$(api "$url/api/tasks" | python3 -c 'import json,sys; print(sum(t["lifecycle"] == "failed" for t in json.load(sys.stdin)))')
    [ "$failed" -eq 0 ] || { echo "a task failed" >&2; exit 1; }
    [ "$finished" -eq "$TASKS" ] && break
    [ $SECONDS -lt $deadline ] || { echo "only $finished of $TASKS finished" >&2; exit 1; }
    sleep 1
done
sleep "$SETTLE"

rss=$(awk '/^VmRSS/ {print $2}' "/proc/$server/status")
running=$(docker ps -q --filter "label=plinth.home=$(realpath "$home")")
count=$(echo "$running" | grep -c . || true)
mem=0
if [ "$count" -gt 0 ]; then
    mem=$(docker stats --no-stream --format '{{.MemUsage}}' $running | python3 -c '
import re, sys
units = {"B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30}
total = 0
for line in sys.stdin:
    value, unit = re.match(r"([\d.]+)(\w+)", line.split("/")[0].strip()).groups()
    total += float(value) * units[unit]
print(int(total))')
fi
hosts=$(api "$url/api/actors" | python3 -c 'import json,sys; print(sum(a["name"].rsplit("/", 1)[-1].startswith("task-") and a["name"] != "root/task-service" for a in json.load(sys.stdin)))')
echo "$TASKS finished tasks ($BIN):"
echo "  server RSS: $((rss / 1024)) MiB"
echo "  task containers running: $count, their memory: $((mem >> 20)) MiB"
echo "  agent hosts running: $hosts"
