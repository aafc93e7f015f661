#!/usr/bin/env bash
# Runs the EvBuffer JMH benchmarks (org.jevent.benchmarks.evbuffer) in one JMH run and prints
# every score with its ratio to the peers measured in the same run. See benchmarks/README.md.
#
#   benchmarks/run-evbuffer.sh                      # full run: -f 1 -wi 5 -i 5, -prof gc
#   benchmarks/run-evbuffer.sh -wi 1 -i 1 -w 1s -r 1s   # smoke run; any JMH option is passed on
#   BENCH='evbuffer.CopyBenchmark' benchmarks/run-evbuffer.sh   # a subset (JMH regexp)
#   SKIP_BUILD=1 benchmarks/run-evbuffer.sh ...     # use the jar/classes already built
#   benchmarks/run-evbuffer.sh --report results.json   # only print the table of an earlier run
#
# Build: `mvn -pl benchmarks -am package` makes benchmarks/target/benchmarks.jar. If another
# module of the reactor does not compile at the moment, the script falls back to compiling just
# these benchmarks against the evbuffer module (javac + the JMH annotation processor, jars from
# ~/.m2) into benchmarks/target/evbuffer-bench/.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="${OUT:-$ROOT/benchmarks/target/evbuffer-results.json}"
BENCH="${BENCH:-org.jevent.benchmarks.evbuffer}"
MVN="${MVN:-mvn -q -B}"

if [[ "${1:-}" == "--report" ]]; then
  OUT="$2"
  REPORT_ONLY=1
else
  REPORT_ONLY=0
fi

build_fallback() {
  local m2="${M2_REPO:-$HOME/.m2/repository}"
  local dir="$ROOT/benchmarks/target/evbuffer-bench"
  local deps=(
    "$m2/org/openjdk/jmh/jmh-core/1.37/jmh-core-1.37.jar"
    "$m2/net/sf/jopt-simple/jopt-simple/5.0.4/jopt-simple-5.0.4.jar"
    "$m2/org/apache/commons/commons-math3/3.6.1/commons-math3-3.6.1.jar"
    "$m2/io/netty/netty-buffer/4.1.118.Final/netty-buffer-4.1.118.Final.jar"
    "$m2/io/netty/netty-common/4.1.118.Final/netty-common-4.1.118.Final.jar"
  )
  local ap="$m2/org/openjdk/jmh/jmh-generator-annprocess/1.37/jmh-generator-annprocess-1.37.jar"
  for j in "${deps[@]}" "$ap"; do
    [[ -f "$j" ]] || { echo "missing $j (run the maven build once online)" >&2; exit 1; }
  done
  (cd "$ROOT" && $MVN -pl evbuffer install -DskipTests)
  rm -rf "$dir" && mkdir -p "$dir/classes"
  local cp="$ROOT/evbuffer/target/classes"
  for j in "${deps[@]}"; do cp="$cp:$j"; done
  javac --release 17 -processorpath "$ap:${deps[0]}:${deps[1]}:${deps[2]}" -cp "$cp" \
      -d "$dir/classes" "$ROOT"/benchmarks/src/main/java/org/jevent/benchmarks/evbuffer/*.java
  echo "$dir/classes:$cp" > "$dir/classpath"
}

if [[ $REPORT_ONLY == 0 ]]; then
  JAR="$ROOT/benchmarks/target/benchmarks.jar"
  FALLBACK_CP="$ROOT/benchmarks/target/evbuffer-bench/classpath"
  if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
    rm -f "$FALLBACK_CP"
    if ! (cd "$ROOT" && $MVN -pl benchmarks -am package -DskipTests >/dev/null 2>&1); then
      echo "reactor build failed; compiling the evbuffer benchmarks against evbuffer only" >&2
      build_fallback
    fi
  fi
  if [[ -f "$FALLBACK_CP" ]]; then
    RUN=(java -cp "$(cat "$FALLBACK_CP")" org.openjdk.jmh.Main)
  else
    RUN=(java -jar "$JAR")
  fi
  ARGS=("$@")
  if [[ ${#ARGS[@]} == 0 ]]; then
    ARGS=(-f 1 -wi 5 -i 5)
  fi
  mkdir -p "$(dirname "$OUT")"
  "${RUN[@]}" "$BENCH" -prof gc "${ARGS[@]}" -rf json -rff "$OUT"
fi

# ---------------------------------------------------------------- table with ratios
python3 - "$OUT" <<'PY'
import json, math, sys
from collections import OrderedDict

SEGMENT = 17 * 1024  # SegmentPool.LARGE_SIZE; AddBufferBenchmark fills whole segments of it
rows = json.load(open(sys.argv[1]))

def norm_alloc(r):
    for k, v in r.get("secondaryMetrics", {}).items():
        if k.lstrip("\u00b7") == "gc.alloc.rate.norm":
            return num(v["score"])
    return None

def num(x):
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) else x

def fmt(x):
    x = num(x)
    if x is None:
        return "-"
    return f"{x:,.3f}" if abs(x) < 100 else f"{x:,.1f}"

entries = []
for r in rows:
    cls, meth = r["benchmark"].split(".")[-2:]
    case, _, impl = meth.partition("_")
    params = r.get("params", {}) or {}
    pm = r["primaryMetric"]
    entries.append(dict(cls=cls, meth=meth, case=case, impl=impl, params=params,
                        pstr=" ".join(f"{k}={v}" for k, v in sorted(params.items())),
                        mode=r["mode"], score=pm["score"], err=pm.get("scoreError"),
                        unit=pm["scoreUnit"], alloc=norm_alloc(r)))

groups = OrderedDict()
for e in entries:
    groups.setdefault((e["cls"], e["case"], e["pstr"]), []).append(e)

def speed_ratio(evb, peer):
    """How many times faster EvBuffer is than the peer (>= 1.0: EvBuffer at least as fast)."""
    if evb["mode"] in ("thrpt",):
        return evb["score"] / peer["score"]
    return peer["score"] / evb["score"]

hdr = f"{'benchmark':<44} {'params':<22} {'score':>14} {'error':>10} {'unit':<7} {'alloc B/op':>10}  {'EvBuffer speed vs this':>22}"
print()
print(hdr)
print("-" * len(hdr))
checks = []
for (cls, case, pstr), es in groups.items():
    evb = next((e for e in es if e["impl"] == "evbuffer"), None)
    for e in sorted(es, key=lambda e: e["impl"] != "evbuffer"):
        ratio = "" if evb is None or e is evb else f"{speed_ratio(evb, e):.2f}x"
        print(f"{cls + '.' + e['meth']:<44} {pstr:<22} {fmt(e['score']):>14} {fmt(e['err']):>10} "
              f"{e['unit']:<7} {fmt(e['alloc']):>10}  {ratio:>22}")
        if evb is not None and e is not evb:
            floor = None
            if cls == "CopyBenchmark":
                floor = 1.0 if e["impl"].startswith("netty") else 0.5
            if floor is not None:
                checks.append((f"{cls}.{case}: EvBuffer vs {e['impl']} {pstr}".rstrip(),
                               f"{speed_ratio(evb, e):.2f}x", f">= {floor}x",
                               speed_ratio(evb, e) >= floor))
    print()

# (2) addBuffer: cost per segment must not depend on the byte count
per_seg = []
for e in entries:
    if e["cls"] == "AddBufferBenchmark" and e["impl"] == "evbuffer" and e["unit"] == "ns/op":
        size = int(e["params"]["size"])
        segs = 2 * -(-size // SEGMENT)  # moved a->b and back
        per_seg.append((size, segs, e["score"] / segs, e["score"] / (2 * size)))
if per_seg:
    print("addBuffer_evbuffer per segment moved (2 moves per op):")
    print(f"  {'size':>10} {'segments':>9} {'ns/segment':>11} {'ns/byte':>10}")
    for size, segs, ns_seg, ns_byte in sorted(per_seg):
        print(f"  {size:>10} {segs:>9} {ns_seg:>11.3f} {ns_byte:>10.6f}")
    spread = max(p[2] for p in per_seg) / min(p[2] for p in per_seg)
    checks.append(("AddBufferBenchmark: ns/segment max/min over sizes", f"{spread:.2f}", "<= 2.0 (flat)",
                   spread <= 2.0))
    print()

# (4) allocation: 0 B/op in steady state
for e in entries:
    if e["cls"] == "AllocationBenchmark" and e["impl"] == "evbuffer":
        if e["alloc"] is None:
            checks.append((f"AllocationBenchmark.{e['meth']} {e['pstr']}", "no -prof gc", "0 B/op", False))
        else:
            checks.append((f"AllocationBenchmark.{e['meth']} {e['pstr']}", f"{e['alloc']:.3f} B/op",
                           "0 B/op (< 1)", e["alloc"] < 1.0))

if checks:
    print("floors:")
    w = max(len(c[0]) for c in checks)
    for name, got, want, ok in checks:
        print(f"  {'PASS' if ok else 'FAIL'}  {name:<{w}}  {got:>12}  (floor {want})")
PY
