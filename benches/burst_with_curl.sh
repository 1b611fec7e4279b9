#!/usr/bin/env bash
# Upload → 202 under a burst, with the client in another process: curl sends UPLOADS uploads
# of PDF at once (one connection each) to `fnt serve` on its defaults (SQLite, local engine)
# and reports the server's time (its `Server-Timing` header) and curl's, p50/p95/max.
# The cross-check of `cargo bench --bench upload`, whose client shares the server's process.
#
#   benches/burst_with_curl.sh [UPLOADS] [PDF] [FNT_BINARY]
#
# Defaults: 50 uploads of the generated 300-page sample, target/release/fnt (build it first
# with `cargo build --release`).
set -euo pipefail

uploads=${1:-50}
pdf=${2:-}
fnt=${3:-target/release/fnt}
work=$(mktemp -d)
server=
cleanup() {
    if [[ -n $server ]]; then
        kill "$server" 2>/dev/null || true
        wait "$server" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

if [[ -z $pdf ]]; then
    pdf=$work/sample.pdf
    cargo run --quiet --release -p fnt-testkit --bin fnt-sample-pdf -- --pages 300 "$pdf" >/dev/null
fi

port=$((20000 + RANDOM % 20000))
"$fnt" serve --bind "127.0.0.1:$port" --data-dir "$work/data" >/dev/null 2>"$work/server.log" &
server=$!
for _ in $(seq 200); do
    curl -sf -o /dev/null "http://127.0.0.1:$port/healthz" && break
    sleep 0.1
done

# One entry per upload; `next` keeps each form to its own request.
config=$work/curl.cfg
for i in $(seq "$uploads"); do
    {
        echo "url = \"http://127.0.0.1:$port/api/v1/jobs\""
        echo "form = \"file=@$pdf;type=application/pdf\""
        echo "output = /dev/null"
        echo "write-out = \"%{http_code} %header{server-timing} %{time_total}\\n\""
        if ((i < uploads)); then echo next; fi
    } >>"$config"
done
curl -s -S --no-progress-meter --parallel --parallel-immediate --parallel-max "$uploads" -K "$config" >"$work/times"

python3 - "$work/times" "$pdf" "$uploads" <<'PY'
import os, sys
statuses, server, client = {}, [], []
for line in open(sys.argv[1]):
    code, timing, total = line.split()
    statuses[code] = statuses.get(code, 0) + 1
    server.append(float(timing.split("dur=")[1]))
    client.append(float(total) * 1000)
print(f"pdf: {sys.argv[2]}, {os.path.getsize(sys.argv[2]) / 1e6:.2f} MB; "
      f"{sys.argv[3]} concurrent uploads; statuses {statuses}")
for name, times in (("server", server), ("client", client)):
    times.sort()
    pct = lambda p: times[min(len(times) - 1, int(len(times) * p))]
    print(f"{name}: p50 {pct(0.5):.1f} ms, p95 {pct(0.95):.1f} ms, max {times[-1]:.1f} ms")
PY
