#!/usr/bin/env bash
# The whole benchmark suite in one command (BENCHMARKS.md): for each data
# set size, generate the lines, create the definitions in a fresh database,
# import (timed), run the load against GraphQL and the baseline, then draw
# the chart.
#
#   bench/run.sh                  # 10k, 100k and 1M customers
#   bench/run.sh 10000            # one size
#
# Environment: DATA (work directory, default /tmp/customers-bench-data;
# data sets are reused when present, REBUILD=1 makes them again), C
# (connections, 8), D (seconds per side and scenario, 10s), WARMUP (2s),
# REPS (rounds, 1), PROFILE=1 (CPU profiles of the servers into
# $DATA/profiles), CHART (the PNG, bench/latency.png).
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-/tmp/customers-bench-data}
C=${C:-8}
D=${D:-10s}
WARMUP=${WARMUP:-2s}
REPS=${REPS:-1}
CHART=${CHART:-bench/latency.png}
sizes=("$@")
if [ ${#sizes[@]} -eq 0 ]; then sizes=(10000 100000 1000000); fi

mkdir -p "$DATA/bin"
go build -o "$DATA/bin/customers" .
go build -o "$DATA/bin/datagen" ./bench/datagen
go build -o "$DATA/bin/load" ./bench/load

label() {
  local n=$1
  if [ $((n % 1000000)) -eq 0 ]; then echo "$((n / 1000000))M"
  elif [ $((n % 1000)) -eq 0 ]; then echo "$((n / 1000))k"
  else echo "$n"; fi
}

results=()
for n in "${sizes[@]}"; do
  l=$(label "$n")
  lines="$DATA/customers-$l.jsonl"
  db="$DATA/customers-$l.db"
  if [ ! -s "$db" ] || [ "${REBUILD:-}" = 1 ]; then
    echo "== $l: generating $n customers"
    "$DATA/bin/datagen" -n "$n" > "$lines"
    rm -f "$db" "$db-wal" "$db-shm"
    "$DATA/bin/datagen" -defs -db "$db"
    echo "== $l: importing"
    start=$(date +%s.%N)
    "$DATA/bin/customers" import -db "$db" "$lines" 2> >(tee "$DATA/import-$l.log" | grep -v ' lines/s$' >&2)
    end=$(date +%s.%N)
    echo "import of $n customers: $(awk "BEGIN { printf \"%.1f\", $end - $start }") s" | tee "$DATA/import-$l.txt"
  fi
  echo "== $l: load"
  args=(-db "$db" -label "$l" -c "$C" -d "$D" -warmup "$WARMUP" -reps "$REPS" -json "$DATA/load-$l.json")
  if [ "${PROFILE:-}" = 1 ]; then args+=(-profile "$DATA/profiles"); fi
  "$DATA/bin/load" "${args[@]}" | tee "$DATA/load-$l.txt"
  results+=("$DATA/load-$l.json")
done

# The chart shows every data set measured so far in $DATA.
go run ./bench/chart -o "$CHART" "$DATA"/load-*.json
echo "== chart: $CHART; results: ${results[*]}"
