#!/usr/bin/env bash
# bench-arm64.sh: instructions per multiply-accumulate (MAC) of a whole int8
# forward pass of seed-tutorial and seed-exercise at 128x128x3, counted with
# armcount (QEMU user mode + a TCG plugin) on an emulated Pi 4 (cortex-a72:
# the ARMv8.0 "neon" kernels) and Pi 5 (cortex-a76: the "sdot" kernels),
# beside the pure-Go reference and XNNPACK's figures.
#
# Two sources of forward passes:
#   kernels  infer/kernel's BenchmarkSeed*128: the layer sequence through
#            kernel.Conv / MaxPool / GEMM with random weights (the kernel
#            package plus runtime.memmove/memclr are counted)
#   runtime  infer's BenchmarkSeed*128, when present: infer.Runtime.Run on a
#            random int8 model, input preprocessing included (infer,
#            infer/kernel, preprocess and runtime.memmove/memclr counted)
# Each figure is count(-benchtime 2x) - count(-benchtime 1x): one forward
# pass, with start-up and set-up cancelled. Counts are exact and repeatable.
#
# Environment: ARMCOUNT (path to armcount), XNNPACK_TABLE (peer results),
# GENERIC=0 skips the slow reference column (about a minute).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
ARMCOUNT=${ARMCOUNT:-$root/../shared/tools/armcount/armcount}
XNNPACK_TABLE=${XNNPACK_TABLE:-$root/../shared/peers/xnnpack/results/table.md}
GENERIC=${GENERIC:-1}
mod=github.com/edgecnn/edgecnn
mem='runtime\.memmove$|runtime\.memclrNoHeapPointers$'
kernel_regex="^($mod/infer/kernel\\.|$mem)"
runtime_regex="^($mod/(infer|preprocess)[./]|$mem)"

# Cost model for the frame-rate estimate: cycles = instructions / IPC on one
# core, memory stalls ignored. IPC 1.2 on the A72 (its integer multiplies
# issue on one of two NEON pipes), 2.0 on the A76 (two SDOT pipes).
pi4_hz=1500000000 pi4_ipc=1.2
pi5_hz=2400000000 pi5_ipc=2.0

[[ -x $ARMCOUNT ]] || { echo "bench-arm64: armcount not found at $ARMCOUNT (set ARMCOUNT)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

build() { (cd "$root" && GOARCH=arm64 CGO_ENABLED=0 go test -c "$@"); }
echo "building arm64 test binaries..." >&2
build -o "$work/kernel.test" ./infer/kernel
[[ $GENERIC == 0 ]] || build -tags purego -o "$work/generic.test" ./infer/kernel
have_runtime=0
if grep -qs 'func BenchmarkSeedTutorial128' "$root"/infer/*_test.go; then
	build -o "$work/infer.test" ./infer
	have_runtime=1
fi

# count CPU BINARY REGEX BENCH N: selected instructions of one run at N
# iterations (the benchmark output goes to $work/bench.out).
count() {
	if ! "$ARMCOUNT" --cpu "$1" --no-classify --sym-regex "$3" --out "$work/count" -- \
		"$2" -test.run '^$' -test.bench "^Benchmark$4\$" -test.benchtime "${5}x" >"$work/bench.out" 2>&1; then
		cat "$work/bench.out" >&2
		echo "bench-arm64: $4 failed under $1" >&2
		exit 1
	fi
	sed -n 's/.* sel_insns=\([0-9]*\).*/\1/p' "$work/count"
}

# pass CPU BINARY REGEX BENCH: instructions of one forward pass.
pass() {
	local a b
	a=$(count "$1" "$2" "$3" "$4" 1)
	b=$(count "$1" "$2" "$3" "$4" 2)
	echo $((b - a))
}

# xnnpack CPU MODEL: XNNPACK's selected instructions per MAC (qc8, Pi
# build, whole library) over the model's conv layers.
xnnpack() {
	awk -F'|' -v cpu="$1" -v model="$2" '
		{ for (i = 2; i <= NF; i++) gsub(/^ +| +$/, "", $i) }
		$2 == cpu && $3 == "pi" && $4 == "qc8" && $5 == "lib" && $6 == model { print $8; exit }
	' "$XNNPACK_TABLE" 2>/dev/null || true
}

div() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "-"; else printf "%.4f", a / b }'; }
fps() { awk -v n="$1" -v hz="$2" -v ipc="$3" 'BEGIN { if (n == "" || n == 0) print "-"; else printf "%.0f", hz * ipc / n }'; }

declare -A R
for m in Tutorial Exercise; do
	bench="Seed${m}128"
	echo "counting $bench..." >&2
	count cortex-a72 "$work/kernel.test" "$kernel_regex" "$bench" 1 >/dev/null
	R[$m.macs]=$(sed -n 's/.* \([0-9]*\) MACs\/op.*/\1/p' "$work/bench.out")
	R[$m.neon]=$(pass cortex-a72 "$work/kernel.test" "$kernel_regex" "$bench")
	R[$m.sdot]=$(pass cortex-a76 "$work/kernel.test" "$kernel_regex" "$bench")
	if [[ $GENERIC != 0 ]]; then
		R[$m.generic]=$(pass cortex-a72 "$work/generic.test" "$kernel_regex" "$bench")
	fi
	if [[ $have_runtime == 1 ]]; then
		R[$m.rneon]=$(pass cortex-a72 "$work/infer.test" "$runtime_regex" "$bench")
		R[$m.rsdot]=$(pass cortex-a76 "$work/infer.test" "$runtime_regex" "$bench")
	fi
done

echo
echo "Instructions per MAC, one forward pass at 128x128x3 (MACs: conv + dense)"
echo
echo "| model | MACs | generic | neon (a72) kernels | neon (a72) runtime | XNNPACK a72 | sdot (a76) kernels | sdot (a76) runtime | XNNPACK a76 |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for m in Tutorial Exercise; do
	model=$(echo "$m" | tr 'A-Z' 'a-z')
	macs=${R[$m.macs]}
	printf '| seed-%s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$model" "$macs" \
		"$(div "${R[$m.generic]:-}" "$macs")" \
		"$(div "${R[$m.neon]}" "$macs")" "$(div "${R[$m.rneon]:-}" "$macs")" "$(xnnpack cortex-a72 "$model")" \
		"$(div "${R[$m.sdot]}" "$macs")" "$(div "${R[$m.rsdot]:-}" "$macs")" "$(xnnpack cortex-a76 "$model")"
done
echo
echo "Estimated frames/s on one core (ESTIMATE: instructions / IPC; IPC $pi4_ipc on a Pi 4 A72 at 1.5 GHz,"
echo "$pi5_ipc on a Pi 5 A76 at 2.4 GHz; no memory stalls; QEMU models no timing)"
echo
echo "| model | Pi 4 kernels | Pi 4 runtime | Pi 5 kernels | Pi 5 runtime |"
echo "| --- | ---: | ---: | ---: | ---: |"
for m in Tutorial Exercise; do
	model=$(echo "$m" | tr 'A-Z' 'a-z')
	printf '| seed-%s | %s | %s | %s | %s |\n' "$model" \
		"$(fps "${R[$m.neon]}" $pi4_hz $pi4_ipc)" "$(fps "${R[$m.rneon]:-}" $pi4_hz $pi4_ipc)" \
		"$(fps "${R[$m.sdot]}" $pi5_hz $pi5_ipc)" "$(fps "${R[$m.rsdot]:-}" $pi5_hz $pi5_ipc)"
done
