#!/usr/bin/env bash
# bench-x86.sh: edgecnn against its workstation peers, side by side in one
# run, alternating so that load from other jobs hits both (medians of the
# rounds; ratios peer/edgecnn, > 1 means edgecnn is faster):
#   int8    `edgecnn bench --arch M --image-size 128 --threads T` against
#           ONNX Runtime (onnxruntime-node, the int8 QDQ model of the same
#           architecture: ../shared/peers/ort) for seed-tutorial and
#           seed-exercise
#   train   `edgecnn bench train --arch M --image-size 32 --threads 2`
#           against PyTorch's bench_train.py (../shared/peers/pytorch)
#
# usage: scripts/bench-x86.sh [int8|train|all]
# Environment: ROUNDS (default 5), THREADS (int8 thread counts, default "1"), PEERS (a writable copy of ../shared/peers,
# made in a temp dir when unset), DATA (car-truck images for ORT's
# calibration, default ../shared/data/car-truck), PY (/usr/bin/python3:
# Debian's python3-torch, python3-onnx and python3-pil).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
what=${1:-all}
ROUNDS=${ROUNDS:-5}
THREADS=${THREADS:-1}
PY=${PY:-/usr/bin/python3}
DATA=${DATA:-$root/../shared/data/car-truck}
if [ -z "${PEERS:-}" ]; then
	PEERS=$(mktemp -d)/peers
	cp -r "$root/../shared/peers" "$PEERS"
fi
bin=$(mktemp -d)/edgecnn
(cd "$root" && go build -o "$bin" ./cmd/edgecnn)

median() { sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
json() { "$PY" -c "import json,sys; d = json.load(sys.stdin); print(d$1)"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }

int8() {
	if [ ! -f "$PEERS/ort/models/int8/seed-exercise-128.int8.onnx" ]; then
		echo "setting up the ONNX Runtime peer (npm install, export, calibrate, quantise)..." >&2
		DATA=$DATA/train CHECK_DATA=$DATA/valid sh "$PEERS/ort/run.sh" --rounds 1 --runs 20 >&2
	fi
	echo "| model | threads | ONNX Runtime int8 (ms) | edgecnn int8 (ms) | edgecnn kernels | ORT / edgecnn |"
	echo "| --- | ---: | ---: | ---: | --- | ---: |"
	for t in $THREADS; do
		for m in seed-tutorial seed-exercise; do
			: >"/tmp/bench-x86-ort.$m" && : >"/tmp/bench-x86-ours.$m"
			for _ in $(seq "$ROUNDS"); do
				(cd "$PEERS/ort" && node bench.js --models "$m" --sizes 128 --threads "$t" --rounds 1 --runs 200 \
					--out "/tmp/bench-x86-ort.json" >/dev/null 2>&1)
				json "['results'][[r.get('variant') for r in d['results']].index('int8')]['ms']['median']" \
					<"/tmp/bench-x86-ort.json" >>"/tmp/bench-x86-ort.$m"
				"$bin" bench --arch "$m" --image-size 128 --threads "$t" --frames 200 --json >/tmp/bench-x86-ours.json
				json "['latency_ms_median']" </tmp/bench-x86-ours.json >>"/tmp/bench-x86-ours.$m"
			done
			ort=$(median <"/tmp/bench-x86-ort.$m")
			ours=$(median <"/tmp/bench-x86-ours.$m")
			kern=$(json "['kernel']" </tmp/bench-x86-ours.json)
			printf "| %s@128 | %s | %.3f | %.3f | %s | %sx |\n" "$m" "$t" "$ort" "$ours" "$kern" "$(ratio "$ort" "$ours")"
		done
	done
}

train() {
	echo "| model | PyTorch (images/s) | edgecnn (images/s) | edgecnn / PyTorch |"
	echo "| --- | ---: | ---: | ---: |"
	for m in seed-tutorial seed-exercise; do
		: >"/tmp/bench-x86-torch.$m" && : >"/tmp/bench-x86-train.$m"
		for _ in $(seq "$ROUNDS"); do
			(cd "$PEERS/pytorch" && "$PY" bench_train.py --arch "$m" --image-size 32 --threads 2) |
				json "['images_per_second']" >>"/tmp/bench-x86-torch.$m"
			"$bin" bench train --arch "$m" --image-size 32 --threads 2 --json |
				json "['images_per_second']" >>"/tmp/bench-x86-train.$m"
		done
		torch=$(median <"/tmp/bench-x86-torch.$m")
		ours=$(median <"/tmp/bench-x86-train.$m")
		printf "| %s@32, batch 64, 2 threads | %.0f | %.0f | %sx |\n" "$m" "$torch" "$ours" "$(ratio "$ours" "$torch")"
	done
}

case $what in
int8) int8 ;;
train) train ;;
all) int8 && echo && train ;;
*) echo "usage: $0 [int8|train|all]" >&2 && exit 2 ;;
esac
