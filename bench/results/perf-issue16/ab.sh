#!/usr/bin/env bash
# Interleaved A/B of bench/run.sh 10000: A = main (763d221), B = perf HEAD.
set -u
export DATA=/tmp/perf/bench-data C=${C:-8} D=5s WARMUP=2s REPS=1 CHART=/tmp/perf/chart.png
mkdir -p /tmp/perf/ab
for r in 1 2 3; do
  for v in A B; do
    if [ $v = A ]; then dir=/tmp/perf/wt-a; else dir=/work/wt-perf; fi
    echo "== round $r $v $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"
    (cd $dir && bash bench/run.sh 10000 > /tmp/perf/ab/c$C-r$r-$v.log 2>&1)
    cp $DATA/load-10k.json /tmp/perf/ab/c$C-r$r-$v.json
    grep -E 'ratio|x ' /tmp/perf/ab/c$C-r$r-$v.log | tail -8
  done
done
