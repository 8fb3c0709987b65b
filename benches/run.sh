#!/usr/bin/env bash
# apiward performance benchmark (issue 7). One command, from the repository root:
#
#     benches/run.sh
#
# Starts the neutral nginx target of ../shared/bench on 127.0.0.1:18080 (loopback only), builds
# apiward in release mode, measures the workloads below and prints a Markdown table (also written to
# target/bench/results.md; raw figures in target/bench/raw/). Every process is timed whole (start-up
# included) with bash's $EPOCHREALTIME around GNU time, which gives the peak RSS ("Maximum resident
# set size", the same figure as `/usr/bin/time -v`).
#
#   W0        one check, one trial: --no-builtin, and with the embedded library loaded (+ --exact)
#   W1        1000 trials GET /api/users/{i} (status 200, JSON Content-Type, $.id == i),
#             concurrency 1 and 16, with and without --junit
#   wire      the same 1000 requests and assertions from a bare reqwest loop (benches/wire.rs)
#   planning  10 000 trials loaded and expanded, nothing sent (validate --profile, test --list)
#   scale     1k / 10k / 100k trials listed (--list): wall and peak RSS; 10 000 trials run once
#
# Environment: BENCH_RUNS (rounds, default 9), BENCH_TARGET_SH (default ../shared/bench/target.sh),
# BENCH_SKIP_BUILD=1, BENCH_KEEP_TARGET=1 (leave nginx running), BENCH_NO_INSTALL=1.
# Variants are interleaved round by round, so machine noise hits them alike; compare ratios.
set -uo pipefail
export LC_ALL=C

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
RUNS="${BENCH_RUNS:-9}"
OUT="$ROOT/target/bench"
FIX="$ROOT/benches/fixtures"
TARGET_SH="${BENCH_TARGET_SH:-$ROOT/../shared/bench/target.sh}"
BASE_URL="http://127.0.0.1:18080"
HURL_LO=0.39 HURL_HI=0.57   # hurl 8.0.1, 1000 files, --jobs 2, --report-junit (../shared/bench/README.md)

die() { echo "bench: $*" >&2; exit 1; }
log() { echo "bench: $*" >&2; }

# ---------------------------------------------------------------- prerequisites
install_pkg() {   # install_pkg PACKAGE: apt-get, as root or through sudo
  [[ -n "${BENCH_NO_INSTALL:-}" ]] && die "$1 is missing (BENCH_NO_INSTALL is set)"
  local sudo=""; [[ $(id -u) -ne 0 ]] && sudo="sudo"
  log "installing $1"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y "$1" >/dev/null 2>&1 ||
    { $sudo apt-get update >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y "$1" >/dev/null; } ||
    die "cannot install $1"
}
[[ -x /usr/sbin/nginx ]] || install_pkg nginx
[[ -x /usr/bin/time ]] || install_pkg time
command -v curl >/dev/null || install_pkg curl
[[ -x "$TARGET_SH" ]] || die "no target script at $TARGET_SH (set BENCH_TARGET_SH)"
(( BASH_VERSINFO[0] >= 5 )) || die "bash 5 is needed (\$EPOCHREALTIME)"

mkdir -p "$OUT/raw" "$OUT/log" "$OUT/work"
rm -f "$OUT"/raw/*.tsv

# ---------------------------------------------------------------- target
STARTED_TARGET=""
if ! "$TARGET_SH" status >/dev/null 2>&1; then
  "$TARGET_SH" start >&2 || die "the target did not start"
  STARTED_TARGET=1
fi
stop_target() {
  if [[ -n "$STARTED_TARGET" && -z "${BENCH_KEEP_TARGET:-}" ]]; then "$TARGET_SH" stop >&2; fi
}
trap stop_target EXIT
curl -fsS --max-time 2 "$BASE_URL/api/users/1000" >/dev/null || die "the target does not serve /api/users/1000"

# ---------------------------------------------------------------- build
if [[ -z "${BENCH_SKIP_BUILD:-}" ]]; then
  log "cargo build --release"
  cargo build --release --quiet || die "cargo build --release failed"
fi
APIWARD="$ROOT/target/release/apiward"
[[ -x "$APIWARD" ]] || die "no $APIWARD"
log "cargo bench --bench wire --no-run"
WIRE="$(cargo bench --bench wire --no-run --message-format=json 2>/dev/null |
  grep -o '"executable":"[^"]*wire[^"]*"' | tail -1 | cut -d'"' -f4)"
[[ -x "$WIRE" ]] || die "cannot build the wire bench (cargo bench --bench wire --no-run)"

# ---------------------------------------------------------------- measuring
# measure NAME EXPECTED_RC CMD...: runs CMD once; appends "wall_s rss_kib cpu_s" (user + system) to raw/NAME.tsv.
measure() {
  local name=$1 want=$2; shift 2
  local t0 t1 rc=0
  t0=$EPOCHREALTIME
  /usr/bin/time -f '%M %U %S' -o "$OUT/work/$name.time" "$@" >"$OUT/log/$name.out" 2>"$OUT/log/$name.err" || rc=$?
  t1=$EPOCHREALTIME
  if [[ $rc -ne $want ]]; then
    echo "bench: $name exited $rc (expected $want): $*" >&2
    tail -20 "$OUT/log/$name.err" >&2
    exit 1
  fi
  tail -1 "$OUT/work/$name.time" |
    awk -v a="$t0" -v b="$t1" '{ printf "%.6f %d %.2f\n", b - a, $1, $2 + $3 }' >>"$OUT/raw/$name.tsv"
}

# Arguments shared by every `apiward test` of the bench.
common=(-p "$FIX/profile.yaml" --suite "$FIX/suite.yaml" --no-builtin --no-score)
w1() {   # w1 NAME CONCURRENCY [--junit]
  local name=$1 c=$2 junit=()
  [[ ${3:-} == --junit ]] && junit=(--junit "$OUT/work/$name.xml")
  measure "$name" 0 "$APIWARD" test "${common[@]}" --checks "$FIX/w1" --concurrency "$c" \
    --results "$OUT/work/$name.jsonl" "${junit[@]}"
}

verify_w1() {   # every W1 trial really ran and passed
  local name=$1 n
  n=$(grep -c '"outcome":"pass"' "$OUT/work/$name.jsonl" || true)
  [[ $n -eq 1000 ]] || die "$name: $n of 1000 trials passed (see $OUT/log/$name.*)"
}

log "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); $RUNS rounds"
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
# Warm-up: page cache, nginx, the binaries.
"$APIWARD" test "${common[@]}" --checks "$FIX/w1" --results "$OUT/work/warm.jsonl" >/dev/null 2>&1 ||
  die "the W1 warm-up failed: $APIWARD test ${common[*]} --checks $FIX/w1"
"$WIRE" 16 1000 >/dev/null || die "the wire warm-up failed"

BENCH_T0=$EPOCHREALTIME
for ((r = 1; r <= RUNS; r++)); do
  log "round $r/$RUNS"
  for _ in 1 2 3; do
    measure w0_nobuiltin 0 "$APIWARD" test "${common[@]}" --checks "$FIX/w0" --results "$OUT/work/w0a.jsonl"
    measure w0_builtin 0 "$APIWARD" test -p "$FIX/profile.yaml" --suite recommended --no-score \
      --checks "$FIX/w0" --results "$OUT/work/w0b.jsonl" --exact inventory::bench-one-user
  done
  measure wire_c1 0 "$WIRE" 1 1000
  w1 w1_c1 1
  w1 w1_c1_junit 1 --junit
  measure wire_c16 0 "$WIRE" 16 1000
  w1 w1_c16 16
  w1 w1_c16_junit 16 --junit
  measure plan10k_validate 0 "$APIWARD" validate --no-builtin -p "$FIX/profile.yaml" --suite "$FIX/suite.yaml" "$FIX/plan10k"
  measure plan10k_list 0 "$APIWARD" test "${common[@]}" --checks "$FIX/plan10k" --list
done
for v in w1_c1 w1_c1_junit w1_c16 w1_c16_junit; do verify_w1 "$v"; done
grep -q 'ok=1000' "$OUT/log/wire_c16.out" || die "the wire loop did not pass 1000 assertions"
[[ $(grep -c '<testcase' "$OUT/work/w1_c16_junit.xml") -eq 1000 ]] || die "the JUnit file does not hold 1000 test cases"

log "scale"
for _ in 1 2 3; do
  measure list_1k 0 "$APIWARD" test "${common[@]}" --checks "$FIX/w1" --list
  measure list_10k 0 "$APIWARD" test "${common[@]}" --checks "$FIX/plan10k" --list
  measure list_100k 0 "$APIWARD" test "${common[@]}" --checks "$FIX/plan100k" --list
done
[[ $(grep -c ': test$' "$OUT/log/list_100k.out") -eq 100000 ]] || die "--list did not list 100 000 trials"
for _ in 1 2; do
  measure run_10k_c16_junit 0 "$APIWARD" test "${common[@]}" --checks "$FIX/plan10k" --concurrency 16 \
    --results "$OUT/work/run10k.jsonl" --junit "$OUT/work/run10k.xml"
done
[[ $(grep -c '"outcome":"pass"' "$OUT/work/run10k.jsonl") -eq 10000 ]] || die "the 10k run did not pass 10 000 trials"
BENCH_SECS=$(awk -v a="$BENCH_T0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }')
LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"

# ---------------------------------------------------------------- report
# stat NAME FIELD: median / min / max of a column (1 wall seconds, 2 RSS KiB, 3 CPU seconds)
stat() { sort -g -k"$2,$2" "$OUT/raw/$1.tsv" | awk -v f="$2" '{ v[NR] = $f }
  END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%s %s %s %d\n", m, v[1], v[NR], NR }'; }
med() { stat "$1" 1 | cut -d' ' -f1; }
med_cpu() { stat "$1" 3 | cut -d' ' -f1; }
rss_mib() { stat "$1" 2 | awk '{ printf "%.1f", $3 / 1024 }'; }   # peak over the runs
fmt_wall() { awk -v s="$1" 'BEGIN { if (s < 1) printf "%.1f ms", s * 1000; else printf "%.3f s", s }'; }

row() {   # row LABEL NAME COUNT UNIT
  local label=$1 name=$2 count=$3 unit=$4 m lo hi n rate
  read -r m lo hi n < <(stat "$name" 1)
  rate=$([[ $count -gt 0 ]] && awk -v c="$count" -v s="$m" -v u="$unit" 'BEGIN { printf "%.0f %s/s", c / s, u }' || echo "—")
  printf '| %s | %s | %s–%s | %s | %s | %s | %s MiB |\n' "$label" "$(fmt_wall "$m")" "$(fmt_wall "$lo")" "$(fmt_wall "$hi")" \
    "$(fmt_wall "$(med_cpu "$name")")" "$n" "$rate" "$(rss_mib "$name")"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
verdict() { awk -v v="$1" -v l="$2" 'BEGIN { print (v <= l) ? "**holds**" : "**misses**" }'; }

W1J16=$(med w1_c16_junit); WIRE16=$(med wire_c16)
R_WIRE=$(ratio "$W1J16" "$WIRE16")
W0A=$(med w0_nobuiltin); W0B=$(med w0_builtin)
P10=$(med plan10k_validate); P10L=$(med plan10k_list)
RSS1K=$(stat w1_c16_junit 2 | awk '{ printf "%.1f", $3 / 1024 }')
L1=$(stat list_1k 2 | cut -d' ' -f3); L100=$(stat list_100k 2 | cut -d' ' -f3)
RUN1K=$(stat w1_c16_junit 2 | cut -d' ' -f3); RUN10K=$(stat run_10k_c16_junit 2 | cut -d' ' -f3)
WIRE_LOOP16=$(grep -o 'loop_ms=[0-9.]*' "$OUT/log/wire_c16.out" | cut -d= -f2)

{
  echo "### apiward benchmark — $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'))," \
    "$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) RAM, $(uname -sr);" \
    "load average $LOAD_BEFORE before, $LOAD_AFTER after. apiward $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')" \
    "(working tree; binary built $(date -u -r "$APIWARD" '+%H:%M UTC')), $(rustc --version | cut -d' ' -f1-2). Target: nginx $(/usr/sbin/nginx -v 2>&1 | cut -d/ -f2) on 127.0.0.1:18080."
  echo "$RUNS rounds, variants interleaved; wall = whole process (start-up included), median of the runs; peak RSS = max over the runs; measured in ${BENCH_SECS} s."
  echo
  echo "| workload | wall (median) | min–max | CPU user+sys (median) | runs | rate (at median wall) | peak RSS |"
  echo "|---|---|---|---|---|---|---|"
  row "W0 one trial, \`--no-builtin\`" w0_nobuiltin 0 ""
  row "W0 one trial, built-in library loaded, \`--exact\`" w0_builtin 0 ""
  row "W1 1000 trials, concurrency 1" w1_c1 1000 req
  row "W1 1000 trials, concurrency 1, \`--junit\`" w1_c1_junit 1000 req
  row "W1 1000 trials, concurrency 16" w1_c16 1000 req
  row "W1 1000 trials, concurrency 16, \`--junit\`" w1_c16_junit 1000 req
  row "wire: bare reqwest loop, 1000 requests, concurrency 1" wire_c1 1000 req
  row "wire: bare reqwest loop, 1000 requests, concurrency 16" wire_c16 1000 req
  row "planning 10 000 trials (\`validate --profile\`)" plan10k_validate 10000 trial
  row "planning 10 000 trials (\`test --list\`)" plan10k_list 10000 trial
  row "scale: 1 000 trials \`--list\`" list_1k 1000 trial
  row "scale: 10 000 trials \`--list\`" list_10k 10000 trial
  row "scale: 100 000 trials \`--list\`" list_100k 100000 trial
  row "scale: 10 000 trials run, concurrency 16, \`--junit\`" run_10k_c16_junit 10000 req
  echo
  echo "| target (issue 7) | measured | limit | verdict |"
  echo "|---|---|---|---|"
  echo "| W1 \`--junit\` c16 ÷ bare reqwest loop c16 | $(fmt_wall "$W1J16") ÷ $(fmt_wall "$WIRE16") = **${R_WIRE}×** | ≤ 1.5× | $(verdict "$R_WIRE" 1.5) |"
  echo "| W1 \`--junit\` c16 vs hurl 8.0.1 with JUnit (0.39–0.57 s) | $(fmt_wall "$W1J16") = $(ratio "$W1J16" "$HURL_LO")× hurl's best, $(ratio "$W1J16" "$HURL_HI")× its worst | < 0.39 s | $(verdict "$W1J16" "$HURL_LO") |"
  echo "| W1 \`--junit\` c1 vs hurl with JUnit | $(fmt_wall "$(med w1_c1_junit)") | < 0.39 s | $(verdict "$(med w1_c1_junit)" "$HURL_LO") |"
  echo "| W0, \`--no-builtin\` | $(fmt_wall "$W0A") | < 20 ms | $(verdict "$W0A" 0.020) |"
  echo "| W0, built-in library loaded | $(fmt_wall "$W0B") | < 20 ms | $(verdict "$W0B" 0.020) |"
  echo "| planning 10 000 trials (\`validate\` / \`--list\`) | $(fmt_wall "$P10") / $(fmt_wall "$P10L") | < 300 ms | $(verdict "$P10L" 0.300) |"
  echo "| peak RSS, 1000 trials run (c16, \`--junit\`) | ${RSS1K} MiB | < 50 MB (47.7 MiB) | $(verdict "$RSS1K" 47.68) |"
  echo "| RSS growth, listed 1k → 100k trials (×100) | $(awk -v a="$L1" -v b="$L100" 'BEGIN { printf "%.1f → %.1f MiB (×%.1f)", a / 1024, b / 1024, b / a }') | far below ×100 | $(verdict "$(ratio "$L100" "$L1")" 10) (≤ ×10) |"
  echo "| RSS growth, run 1k → 10k trials (×10) | $(awk -v a="$RUN1K" -v b="$RUN10K" 'BEGIN { printf "%.1f → %.1f MiB (×%.1f)", a / 1024, b / 1024, b / a }') | far below ×10 | $(verdict "$(ratio "$RUN10K" "$RUN1K")" 3) (≤ ×3) |"
  echo
  echo "CPU ÷ CPU, W1 \`--junit\` c16 ÷ wire c16: $(ratio "$(med_cpu w1_c16_junit)" "$(med_cpu wire_c16)")× (GNU time has 10 ms CPU resolution; less noisy than wall on a shared machine)."
  echo "Wire loop c16 in-process (client built, runtime up): ${WIRE_LOOP16} ms for 1000 requests (last run)."
  echo "Reproduce: \`benches/run.sh\` (raw figures: \`target/bench/raw/*.tsv\`, \"wall_s rss_kib cpu_s\" per run)."
} | tee "$OUT/results.md"
