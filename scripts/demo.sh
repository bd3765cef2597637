#!/usr/bin/env bash
# The built-in demo: everything edgecnn does, on images it draws itself.
# generate data -> train -> evaluate -> calibrate -> quantise (parity-gated) -> parity -> classify
# -> run over an image stream -> signed firmware bundle -> verify -> install into a temporary root.
set -euo pipefail
cd "$(dirname "$0")/.."
E=${EDGECNN:-bin/edgecnn}
D=${EDGECNN_DEVICE:-bin/edgecnn-device} # what runs on the Pi: classify, run, install
OUT=${DEMO_OUT:-demo-out}
rm -rf "$OUT"
mkdir -p "$OUT"
step() { printf '\n==> %s\n' "$*"; }

step "generating a car/truck image set (procedural, no downloads)"
$E gen-data -o "$OUT/data" --train 600 --valid 200 --size 32 --seed 7

step "model summary"
$E summary --arch seed-tutorial --image-size 32

step "training seed-tutorial at 32x32"
$E train --data "$OUT/data/train" --valid "$OUT/data/valid" --arch seed-tutorial --image-size 32 \
    --epochs 12 --batch-size 32 --seed 1 -o "$OUT/model.ecnn"

step "evaluating the float model"
$E eval --model "$OUT/model.ecnn" --data "$OUT/data/valid"

step "calibrating on 200 training images"
$E calib --model "$OUT/model.ecnn" --data "$OUT/data/train" --samples 200 --method minmax -o "$OUT/calib.table"

step "quantising to int8 (refused if it breaks the parity budget)"
$E quantize --model "$OUT/model.ecnn" --calib "$OUT/calib.table" --valid "$OUT/data/valid" -o "$OUT/model.q8.ecnn"

step "parity: float against int8"
$E parity --float "$OUT/model.ecnn" --int8 "$OUT/model.q8.ecnn" --data "$OUT/data/valid"

step "inspecting the int8 model"
$E inspect --model "$OUT/model.q8.ecnn"

step "classifying a few images"
$D infer --model "$OUT/model.q8.ecnn" $(ls "$OUT"/data/valid/Car/* | head -2) $(ls "$OUT"/data/valid/Truck/* | head -2)

step "running the camera loop over an image stream (folder source)"
$D run --model "$OUT/model.q8.ecnn" --camera "$OUT/data/valid/Truck" --frames 20

step "building, verifying and installing a signed firmware bundle (linux/$(go env GOARCH))"
$E firmware keygen -o "$OUT/fw.key"
$E firmware build --model "$OUT/model.q8.ecnn" --target "linux/$(go env GOARCH)" --key "$OUT/fw.key" \
    --version 1.0.0 -o "$OUT/demo.ecfw"
$E firmware verify --pub "$OUT/fw.key.pub" "$OUT/demo.ecfw"
$D firmware install --pub "$OUT/fw.key.pub" --root "$OUT/device-root" "$OUT/demo.ecfw"
$D firmware status --root "$OUT/device-root"

step "done: see $OUT/ (model.ecnn, model.history.csv, model.curves.png, model.q8.ecnn, demo.ecfw, device-root/)"
