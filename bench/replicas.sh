#!/usr/bin/env bash
# One, two and three replicas of the server over one PostgreSQL database,
# behind haproxy (examples/replicas/haproxy.cfg), measured with the load
# tool's scenarios, beside one replica reached directly (no balancer) as
# the reference point of the same run (BENCHMARKS.md, "Several replicas on
# this machine").
#
#   bench/replicas.sh
#
# It generates the 10k data set, imports it into a SQLite file (the load
# tool's baseline reads it) and once into a fresh PostgreSQL database of its
# own on $PG (named replbench_<time>_<pid>, dropped at the end), makes an
# API token with no cost budget (budgets are per replica: a budget would
# throttle one replica and not three), then for every round runs the
# configurations in alternating order (round 1: direct, 1, 2, 3; round 2:
# 3, 2, 1, direct; and so on), each with freshly started replicas
# (`customers serve -db postgres://... -playground=false`). Each
# configuration is one run of
#
#   load -db s10k.db -label 10k -c $C -d $D -warmup $WARMUP -rest=false \
#     -graphql-url http://127.0.0.1:PORT/graphql -token TOKEN -graphql-pid PID
#
# whose JSON and output go to $OUT, with the CPU seconds the replicas,
# haproxy and the PostgreSQL server processes used during the run
# (cpu-CONFIG-ROUND.txt). summary.md in $OUT holds the tables.
#
# Environment: PG (server URL without a database, default
# postgres://postgres@127.0.0.1:5432), C (connections, 8), D (seconds per
# side and scenario, 5s), WARMUP (2s), ROUNDS (2), PORT (first of the ports
# used: PORT for haproxy, PORT+1.. for the replicas, PORT+10 for haproxy's
# stats; default 18180), WORK (scratch directory, default
# /tmp/customers-replicas), OUT (bench/results/replicas-10k), KEEP_DB=1
# leaves the database in place, SUMMARY_ONLY=1 only writes summary.md
# from the results already in $OUT.
set -euo pipefail
cd "$(dirname "$0")/.."
PG=${PG:-postgres://postgres@127.0.0.1:5432}
C=${C:-8}
D=${D:-5s}
WARMUP=${WARMUP:-2s}
ROUNDS=${ROUNDS:-2}
PORT=${PORT:-18180}
WORK=${WORK:-/tmp/customers-replicas}
OUT=${OUT:-bench/results/replicas-10k}
N=10000

# The tables: per scenario and configuration, every round's req/s, p50,
# p99, and req/s as a ratio of the same round's one replica behind haproxy
# (r1) and of the direct replica; beside them, the hand-written SQLite
# baseline's req/s in the same load run and the cores other processes used
# while GraphQL ran (the replicas but the first, haproxy and PostgreSQL
# count as other: the load tool knows one server's pid), as the run's noise.
summarize() {
  {
    echo "| scenario | replicas | req/s (round 1, 2, ...) | p50 ms | p99 ms | req/s ÷ 1 replica behind haproxy | req/s ÷ 1 replica direct | errors | SQLite baseline req/s, same run | other cores |"
    echo "|---|---|---|---|---|---|---|---|---|---|"
    for sc in $(jq -r '.scenarios[].name' "$OUT/load-direct-1.json"); do
      for cfg in direct r1 r2 r3; do
        rps="" p50="" p99="" ratio="" rdirect="" errs=0 base="" other=""
        for round in $(seq 1 "$ROUNDS"); do
          f="$OUT/load-$cfg-$round.json"
          q=".scenarios[] | select(.name == \"$sc\") | .graphql"
          r=$(jq "$q.req_per_s" "$f")
          r1=$(jq "$q.req_per_s" "$OUT/load-r1-$round.json")
          rd=$(jq "$q.req_per_s" "$OUT/load-direct-$round.json")
          rps+="${rps:+, }$(printf %.0f "$r")"
          p50+="${p50:+, }$(printf %.1f "$(jq "$q.p50_ms" "$f")")"
          p99+="${p99:+, }$(printf %.1f "$(jq "$q.p99_ms" "$f")")"
          ratio+="${ratio:+, }$(awk "BEGIN { printf \"%.2fx\", $r / $r1 }")"
          rdirect+="${rdirect:+, }$(awk "BEGIN { printf \"%.2fx\", $r / $rd }")"
          base+="${base:+, }$(printf %.0f "$(jq ".scenarios[] | select(.name == \"$sc\") | .baseline.req_per_s" "$f")")"
          other+="${other:+, }$(printf %.2f "$(jq "$q.other_cores" "$f")")"
          errs=$((errs + $(jq "$q.errors" "$f")))
        done
        case $cfg in direct) name="1, direct" ;; *) name="${cfg#r} behind haproxy" ;; esac
        echo "| $sc | $name | $rps | $p50 | $p99 | $ratio | $rdirect | $errs | $base | $other |"
      done
    done
    echo
    echo "| configuration | round | GraphQL requests | replicas CPU s | haproxy CPU s | PostgreSQL CPU s | machine busy CPU s | wall s | replicas+haproxy+PostgreSQL CPU ms per request |"
    echo "|---|---|---|---|---|---|---|---|---|"
    for cfg in direct r1 r2 r3; do
      for round in $(seq 1 "$ROUNDS"); do
        f="$OUT/cpu-$cfg-$round.txt"
        n=$(jq '[.scenarios[].graphql.requests] | add' "$OUT/load-$cfg-$round.json")
        v() { awk -v k="$1" '$1 == k { print $2 }' "$f"; }
        wall=$(awk '{ print $6; exit }' "$f")
        echo "| $cfg | $round | $n | $(printf %.1f "$(v replicas_cpu_s)") | $(printf %.1f "$(v haproxy_cpu_s)") | $(printf %.1f "$(v postgres_cpu_s)") | $(printf %.1f "$(v machine_busy_cpu_s)") | $(printf %.0f "$wall") | $(awk "BEGIN { printf \"%.2f\", 1000 * ($(v replicas_cpu_s) + $(v haproxy_cpu_s) + $(v postgres_cpu_s)) / $n }") |"
      done
    done
  } > "$OUT/summary.md"
  cat "$OUT/summary.md"
}

if [ "${SUMMARY_ONLY:-}" = 1 ]; then
  summarize
  exit 0
fi

command -v haproxy >/dev/null || { echo "replicas.sh: haproxy is required (apt-get install haproxy)" >&2; exit 1; }
command -v psql >/dev/null || { echo "replicas.sh: psql is required" >&2; exit 1; }
command -v jq >/dev/null || { echo "replicas.sh: jq is required" >&2; exit 1; }

mkdir -p "$WORK/bin" "$WORK/logs" "$OUT"
go build -o "$WORK/bin/customers" .
go build -o "$WORK/bin/datagen" ./bench/datagen
go build -o "$WORK/bin/load" ./bench/load

dbname="replbench_$(date -u +%Y%m%d%H%M%S)_$$"
url="$PG/$dbname?sslmode=disable"
psqlc() { psql "$PG/postgres?sslmode=disable" -qAtX -v ON_ERROR_STOP=1 "$@"; }

pids=()
stop_all() {
  local p
  for p in "${pids[@]}"; do
    kill "$p" 2>/dev/null || true
  done
  for p in "${pids[@]}"; do
    wait "$p" 2>/dev/null || true
  done
  pids=()
}
cleanup() {
  stop_all
  if [ "${KEEP_DB:-}" != 1 ]; then
    psqlc -c "DROP DATABASE IF EXISTS $dbname WITH (FORCE)" || true
  fi
}
trap cleanup EXIT

# The data set: the same lines into SQLite (the baseline's) and PostgreSQL.
lines="$WORK/customers-10k.jsonl"
sqlite="$WORK/s10k.db"
if [ ! -s "$sqlite" ]; then
  "$WORK/bin/datagen" -n "$N" > "$lines"
  rm -f "$sqlite" "$sqlite-wal" "$sqlite-shm"
  "$WORK/bin/datagen" -defs -db "$sqlite"
  "$WORK/bin/customers" import -db "$sqlite" "$lines" 2>/dev/null
fi
[ -s "$lines" ] || "$WORK/bin/datagen" -n "$N" > "$lines"
psqlc -c "CREATE DATABASE $dbname"
echo "== database $dbname: importing $N customers"
start=$(date +%s.%N)
"$WORK/bin/datagen" -defs -db "$url"
"$WORK/bin/customers" import -db "$url" "$lines" 2>/dev/null
psql "$url" -qAtX -v ON_ERROR_STOP=1 -c ANALYZE
echo "import into PostgreSQL: $(awk "BEGIN { printf \"%.1f\", $(date +%s.%N) - $start }") s"
token=$("$WORK/bin/customers" token create -db "$url" -scopes store_v2_customers -name replbench -cost-budget 0)

# start_replicas K: K servers on PORT+1..PORT+K; sets replica_pids.
replica_pids=()
start_replicas() {
  local k=$1 i
  replica_pids=()
  for i in $(seq 1 "$k"); do
    "$WORK/bin/customers" serve -db "$url" -addr "127.0.0.1:$((PORT + i))" -playground=false \
      >> "$WORK/logs/replica-$i.log" 2>&1 &
    pids+=($!)
    replica_pids+=($!)
  done
  for i in $(seq 1 "$k"); do
    local tries=0
    until curl -fsS -o /dev/null "http://127.0.0.1:$((PORT + i))/readyz" 2>/dev/null; do
      tries=$((tries + 1))
      if [ $tries -gt 300 ]; then
        echo "replicas.sh: replica $i never became ready (see $WORK/logs/replica-$i.log)" >&2
        exit 1
      fi
      sleep 0.1
    done
  done
}

# start_haproxy K: the example configuration, its frontend on PORT, its
# stats on PORT+10 and its three server lines replaced by K replicas; waits
# until haproxy reports all K up; sets haproxy_pid.
haproxy_pid=
start_haproxy() {
  local k=$1 i cfg="$WORK/haproxy-$1.cfg" servers=""
  for i in $(seq 1 "$k"); do
    servers+="    server r$i 127.0.0.1:$((PORT + i)) check\n"
  done
  awk -v front="127.0.0.1:$PORT" -v stats="127.0.0.1:$((PORT + 10))" -v servers="$servers" '
    /^[ \t]*bind .*:8080$/ { sub(/bind .*/, "bind " front) }
    /^[ \t]*bind .*:8404$/ { sub(/bind .*/, "bind " stats) }
    /^[ \t]*server r[0-9] / { if (!done) { printf "%s", servers; done = 1 }; next }
    { print }' examples/replicas/haproxy.cfg > "$cfg"
  [ "$(grep -c '^ *server r' "$cfg")" = "$k" ] || { echo "replicas.sh: bad haproxy config $cfg" >&2; exit 1; }
  haproxy -c -q -f "$cfg"
  haproxy -db -f "$cfg" >> "$WORK/logs/haproxy.log" 2>&1 &
  pids+=($!)
  haproxy_pid=$!
  local tries=0
  until [ "$(curl -fsS "http://127.0.0.1:$((PORT + 10))/stats;csv" 2>/dev/null | grep -c '^replicas,r[0-9]*,.*,UP,')" = "$k" ]; do
    tries=$((tries + 1))
    if [ $tries -gt 300 ]; then
      echo "replicas.sh: haproxy did not report $k servers up" >&2
      exit 1
    fi
    sleep 0.1
  done
}

# cpu_of PID...: their user+system CPU seconds so far (0 for gone ones).
cpu_of() {
  local total=0 p t
  for p in "$@"; do
    t=$(awk '{ sub(/.*\) /, ""); print ($12 + $13) / 100 }' "/proc/$p/stat" 2>/dev/null || echo 0)
    total=$(awk "BEGIN { print $total + $t }")
  done
  echo "$total"
}
postgres_pids() { pgrep -x postgres || true; }
busy_now() { awk '/^cpu / { print ($2 + $3 + $4 + $7 + $8 + $9) / 100 }' /proc/stat; }

# measure CONFIG ROUND: one load run against the running configuration.
measure() {
  local cfg=$1 round=$2 target pg0 pgpids rep0 ha0 busy0 t0
  if [ "$cfg" = direct ]; then target="http://127.0.0.1:$((PORT + 1))/graphql"; else target="http://127.0.0.1:$PORT/graphql"; fi
  echo "== round $round, $cfg $(date -u +%H:%M:%S), load average $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/run.log"
  pgpids=$(postgres_pids)
  # shellcheck disable=SC2086
  pg0=$(cpu_of $pgpids)
  rep0=$(cpu_of "${replica_pids[@]}")
  ha0=0
  if [ -n "$haproxy_pid" ]; then ha0=$(cpu_of "$haproxy_pid"); fi
  busy0=$(busy_now)
  t0=$(date +%s.%N)
  "$WORK/bin/load" -db "$sqlite" -label 10k -c "$C" -d "$D" -warmup "$WARMUP" -rest=false \
    -graphql-url "$target" -token "$token" -graphql-pid "${replica_pids[0]}" \
    -json "$OUT/load-$cfg-$round.json" | tee -a "$OUT/run.log"
  local wall reps ha pg busy
  wall=$(awk "BEGIN { print $(date +%s.%N) - $t0 }")
  reps=$(awk "BEGIN { print $(cpu_of "${replica_pids[@]}") - $rep0 }")
  ha=0
  if [ -n "$haproxy_pid" ]; then ha=$(awk "BEGIN { print $(cpu_of "$haproxy_pid") - $ha0 }"); fi
  # Backends that started during the run (the replicas' new connections)
  # count from zero; those that ended are not counted.
  # shellcheck disable=SC2046
  pg=$(awk "BEGIN { print $(cpu_of $(postgres_pids)) - $pg0 }")
  busy=$(awk "BEGIN { print $(busy_now) - $busy0 }")
  {
    echo "config $cfg round $round wall_s $wall"
    echo "replicas_cpu_s $reps"
    echo "haproxy_cpu_s $ha"
    echo "postgres_cpu_s $pg"
    echo "machine_busy_cpu_s $busy"
  } | tee "$OUT/cpu-$cfg-$round.txt" | tee -a "$OUT/run.log"
}

# run_config CONFIG ROUND: start the configuration, measure, stop it.
run_config() {
  local cfg=$1 round=$2
  haproxy_pid=
  case $cfg in
    direct) start_replicas 1 ;;
    r1) start_replicas 1; start_haproxy 1 ;;
    r2) start_replicas 2; start_haproxy 2 ;;
    r3) start_replicas 3; start_haproxy 3 ;;
  esac
  measure "$cfg" "$round"
  stop_all
}

: > "$OUT/run.log"
echo "== $(git rev-parse --short HEAD), $(nproc) cores, C=$C D=$D WARMUP=$WARMUP, $ROUNDS rounds" | tee -a "$OUT/run.log"
configs=(direct r1 r2 r3)
for round in $(seq 1 "$ROUNDS"); do
  order=("${configs[@]}")
  if [ $((round % 2)) -eq 0 ]; then order=(r3 r2 r1 direct); fi
  for cfg in "${order[@]}"; do
    run_config "$cfg" "$round"
  done
done

summarize
