#!/usr/bin/env bash
# Alternating load at 1M: SQLite server, PostgreSQL server, twice.
set -euo pipefail
cd /tmp/pgimp
OUT=${OUT:-/tmp/pgimp/results}
mkdir -p "$OUT"
PGURL="postgres://postgres@127.0.0.1:5432/bench1m?sslmode=disable"
SDB=/tmp/pgimp/s1M.db
BIN=bin/customers-new
stok=$($BIN token create -db "$SDB" -scopes store_v2_customers -name bench -cost-budget 0)
ptok=$($BIN token create -db "$PGURL" -scopes store_v2_customers -name bench -cost-budget 0)
for rep in 1 2; do
  for side in s p; do
    if [ $side = s ]; then db=$SDB; tok=$stok; port=18301; else db=$PGURL; tok=$ptok; port=18302; fi
    $BIN serve -db "$db" -addr 127.0.0.1:$port -playground=false >> "$OUT/serve-$side.log" 2>&1 &
    pid=$!
    for i in $(seq 1 120); do curl -fsS http://127.0.0.1:$port/readyz >/dev/null 2>&1 && break; sleep 1; done
    echo "== rep $rep side $side $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/run.log"
    bin/load -db "$SDB" -label 1M -c 8 -d 5s -warmup 2s -rest=false -graphql-url http://127.0.0.1:$port/graphql \
      -token "$tok" -graphql-pid $pid -json "$OUT/load-$side-$rep.json" 2>&1 | tee -a "$OUT/run.log"
    kill $pid; wait $pid 2>/dev/null || true
  done
done
echo "== end $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/run.log"
