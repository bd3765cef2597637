#!/usr/bin/env bash
# mutate.sh: mutation test of the int8 kernels. Each mutant below is one small
# change to the assembly or Go kernels (a rounding constant, a clamp bound,
# the rounding fixup, a shift, a loop bound, a zero point). One at a time, it
# is applied to a copy of the tree in a temporary folder (the working tree is
# never touched, and the copies are removed on exit, Ctrl-C included), and the
# kernel tests that guard it run, filtered to the kernel set it changes:
# natively for the Go and amd64 mutants, under qemu-aarch64 -cpu cortex-a76
# (which runs both the NEON and the SDOT kernels) for the arm64 ones, the two
# in parallel lanes. Every mutant must be killed (the tests fail); the script
# prints each verdict and the kill rate, and exits non-zero if one survives.
#
# Mutants whose platform is missing here (no qemu-aarch64, no AVX2, no
# AVX-512 VNNI) are reported as not run and left out of the rate.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
QEMU=${QEMU:-qemu-aarch64}

ids=() plats=() files=() olds=() news=() whats=()
# mutant PLATFORM FILE OLD NEW WHAT: OLD must occur exactly once in FILE.
# PLATFORM: go (package kernel, native), infer (package infer, native),
# avx2 / vnni (package kernel, native, on a CPU with AVX2 / AVX-512 VNNI),
# arm64 (package kernel under qemu-aarch64).
mutant() {
	ids+=("${#ids[@]}") plats+=("$1") files+=("$2") olds+=("$3") news+=("$4") whats+=("$5")
}

# The Go reference (the specification every other kernel set is compared with).
G=infer/kernel/kernel_generic.go
mutant go $G 'nudge := int64(1 << 30)' 'nudge := int64(1 << 29)' "rounding constant of SaturatingRoundingDoublingHighMul"
mutant go $G $'if x < 0 {\n\t\tthreshold++' $'if x < 0 {\n\t\tthreshold--' "RoundingDivideByPOT's fixup for negative values"
mutant go $G 'v = max(v, rq.ActMin)' 'v = max(v, rq.ActMin-1)' "lower clamp bound"
mutant go $G 'left, right := max(shift, 0), max(-shift, 0)' 'left, right := max(shift, 0), max(-shift-1, 0)' "right shift one short"
mutant go $G 'for t0 := 0; t0 < k; t0 += KStep {' 'for t0 := 0; t0 < k-1; t0 += KStep {' "reduction loop bound"
mutant go $G 'v := MulQ(acc, mult, shift) + rq.OutZero' 'v := MulQ(acc, mult, shift) + rq.OutZero + 1' "output zero point"
mutant go infer/kernel/conv.go 'fill(seg, s.PadValue)' 'fill(seg, 0)' "padding with 0 instead of the input zero point"
mutant infer infer/pool_ref.go 'v = (sum + count/2) / count' 'v = (sum + count/2 - 1) / count' "average pool: rounding of the mean"
mutant infer infer/pool_ref.go 'kernel.MulQ(sum-count*q.InZero,' 'kernel.MulQ(sum-(count-1)*q.InZero,' "average pool: input zero point"

# amd64 AVX2 (tile kernel of GEMM and of unprepared Conv, wide kernel of prepared Conv).
A=infer/kernel/kernel_amd64.s
mutant avx2 $A 'DATA roundHalf<>+0(SB)/8, $0x40000000' 'DATA roundHalf<>+0(SB)/8, $0x3fffffff' "rounding constant (one lane)"
mutant avx2 $A 'VPMAXSD  Q_MIN(CX), Y0, Y0; \' 'VPMAXSD  Q_ZERO(CX), Y0, Y0; \' "lower clamp bound: the zero point instead of ActMin"
mutant avx2 $A 'VPSUBD   Y2, Y3, Y3; \' 'VPADDD   Y2, Y3, Y3; \' "rounding fixup for negative values reversed"
mutant avx2 $A 'VPSRAVD  P_RIGHT(R13), Y0, Y0; \' 'VPSRLVD  P_RIGHT(R13), Y0, Y0; \' "logical instead of arithmetic right shift"
mutant avx2 $A $'CMPQ R10, $2\n\tJLT  single' $'CMPQ R10, $3\n\tJLT  single' "row loop bound: two rows taken as one"
mutant avx2 $A 'VPADDD   Q_ZERO(CX), x, x; \' 'VPSUBD   Q_ZERO(CX), x, x; \' "wide kernel: zero point subtracted"
mutant avx2 $A 'VPCMPGTD (G_HALF+off)(R8), Y10, Y10; \' 'VPCMPGTD (G_MASK+off)(R8), Y10, Y10; \' "wide kernel: rounding threshold"
mutant avx2 infer/kernel/groups_amd64.go 'g.left[l], g.right[l] = max(sh, 0), right' 'g.left[l], g.right[l] = max(sh, 0), max(right-1, 0)' "prepared constants: right shift one short"

# amd64 AVX-512 VNNI (prepared Conv).
V=infer/kernel/kernel_vnni_amd64.s
mutant vnni $V 'VPMINSD.BCST     O_MAX(CX), x, x; \' 'VPMINSD.BCST     O_ZERO(CX), x, x; \' "upper clamp bound: the zero point instead of ActMax"
mutant vnni $V 'VPADDD           Z25, Z24, Z24; \' 'VPSUBD           Z25, Z24, Z24; \' "rounding fixup for negative values reversed"

# arm64 NEON and SDOT (row kernels of GEMM, tile kernels of Conv).
R=infer/kernel/kernel_arm64.s
mutant arm64 infer/kernel/neon_arm64.h '#define SQRDMULH_4S(d, n, m) WORD $(0x6EA0B400' '#define SQRDMULH_4S(d, n, m) WORD $(0x4EA0B400' "high multiply without rounding (SQDMULH)"
mutant arm64 $R 'SMAX_4S(0, 0, 17); SMAX_4S(1, 1, 17);' 'SMAX_4S(0, 0, 16); SMAX_4S(1, 1, 17);' "tile lower clamp bound: the zero point instead of ActMin"
mutant arm64 $R 'SQADD_4S(8, 8, 20); \' 'VMOV V8.B16, V8.B16; \' "row kernel without the rounding fixup"
mutant arm64 $R 'SRSHL_4S(8, 8, 15); \' 'SSHL_4S(8, 8, 15); \' "row kernel: truncating instead of rounding shift"
mutant arm64 $R 'CMP  $4, R13; \' 'CMP  $5, R13; \' "tile row loop bound: a whole tile taken as partial"
mutant arm64 $R 'VADD V16.S4, V8.S4, V8.S4; \' 'VSUB V16.S4, V8.S4, V8.S4; \' "row kernel: zero point subtracted"
mutant arm64 infer/kernel/simd_arm64.go 'if sh < 0 && rq.ActMin < rq.OutZero {' 'if sh < 0 && rq.ActMin < rq.OutZero-1 {' "fixup skipped when ActMin == OutZero-1"
mutant arm64 infer/kernel/simd_arm64.go 'if sh > 0 {' 'if sh > 1 {' "left shift skipped for shift 1"

cpu_has() { grep -qw "$1" /proc/cpuinfo 2>/dev/null; }
goarch=$($GO env GOARCH)
# runnable PLATFORM: why it cannot run here (empty when it can).
runnable() {
	case $1 in
	go | infer) ;;
	avx2) [ "$goarch" = amd64 ] && cpu_has avx2 || echo "needs an amd64 CPU with AVX2" ;;
	vnni) [ "$goarch" = amd64 ] && cpu_has avx512_vnni && cpu_has avx512f || echo "needs an amd64 CPU with AVX-512 VNNI" ;;
	arm64) command -v "$QEMU" >/dev/null 2>&1 || echo "needs $QEMU (apt-get install -y qemu-user)" ;;
	esac
}

work=$(mktemp -d "${TMPDIR:-/tmp}/edgecnn-mutate.XXXXXX")
lanes=()
cleanup() {
	for pid in "${lanes[@]}"; do
		kill -TERM -- "-$pid" 2>/dev/null || true
	done
	wait
	rm -rf "$work"
}
trap cleanup EXIT
trap 'echo "mutate: interrupted" >&2; exit 130' INT TERM
# Lanes run as jobs in their own process groups, so cleanup can end them
# with everything they started.
set -m

# check LANE PLATFORM: builds the guarding tests in the lane's copy of the
# tree and runs them; the status is theirs, or 125 when they do not build.
check() {
	local lane=$1 plat=$2 pkg=./infer/kernel/ run exec=() env=()
	case $plat in
	go) run='MulQ|Generic|RequantEdges|Implementations|PackLayout' ;;
	infer) pkg=./infer/ run='Int8MatchesReference|RawOutput' ;;
	avx2) run='RequantEdgesEveryPath|Implementations/avx2|avx512vnni' ;;
	vnni) run='RequantEdgesEveryPath|Implementations/avx512vnni' ;;
	arm64)
		run='RequantEdgesEveryPath|Implementations/neon|sdot'
		env=(GOARCH=arm64 CGO_ENABLED=0) exec=("$QEMU" -cpu cortex-a76)
		;;
	esac
	local tree=$work/$lane bin=$work/$lane.test
	if ! (cd "$tree" && env "${env[@]}" $GO test -trimpath -ldflags=-w -c -o "$bin" "$pkg") >"$work/$lane.log" 2>&1; then
		return 125
	fi
	(cd "$tree/${pkg#./}" && timeout 300 "${exec[@]}" "$bin" -test.short -test.count=1 -test.run "$run") >"$work/$lane.log" 2>&1
}

# lane NAME PLATFORM... runs the baseline and the mutants of the platforms
# on its own copy of the tree, writing one verdict per mutant to
# $work/verdict.N: killed, survived, or "not run: why".
lane() {
	local name=$1 tree=$work/$1 plat i status t0 text rest why
	shift
	mkdir "$tree"
	# The copy: every tracked file as it is in the working tree.
	git ls-files -z | while IFS= read -r -d '' f; do
		[ -e "$f" ] && printf '%s\0' "$f"
	done | tar -c --null -T - | tar -x -C "$tree"
	for plat in "$@"; do
		# The unmutated copy must pass, or killing means nothing.
		if [ -z "$(runnable "$plat")" ] && ! check "$name" "$plat"; then
			cat "$work/$name.log" >&2
			echo "mutate: the unmutated tests fail on $plat" >&2
			return 1
		fi
	done
	for i in "${ids[@]}"; do
		[[ " $* " == *" ${plats[i]} "* ]] || continue
		why=$(runnable "${plats[i]}")
		if [ -n "$why" ]; then
			echo "not run ($why)" >"$work/verdict.$i"
			continue
		fi
		text=$(cat "$tree/${files[i]}"; printf x)
		text=${text%x}
		rest=${text#*"${olds[i]}"}
		if [ "$rest" = "$text" ] || [ "${rest#*"${olds[i]}"}" != "$rest" ]; then
			echo "mutate: mutant $((i + 1)): the text to change must occur exactly once in ${files[i]}: ${olds[i]}" >&2
			return 1
		fi
		printf '%s' "${text/"${olds[i]}"/"${news[i]}"}" >"$tree/${files[i]}"
		t0=$SECONDS
		status=0
		check "$name" "${plats[i]}" || status=$?
		cp "${files[i]}" "$tree/${files[i]}"
		case $status in
		0) echo "SURVIVED" >"$work/verdict.$i" ;;
		125)
			cat "$work/$name.log" >&2
			echo "mutate: mutant $((i + 1)) does not build" >&2
			return 1
			;;
		*) echo "killed ($((SECONDS - t0)) s)" >"$work/verdict.$i" ;;
		esac
	done
}

start=$SECONDS
echo "mutate: ${#ids[@]} mutants of the int8 kernels, in two lanes (native; arm64 under $QEMU)"
lane native go infer avx2 vnni &
lanes+=($!)
lane arm64 arm64 &
lanes+=($!)
failed=0
for pid in "${lanes[@]}"; do
	wait "$pid" || failed=1
done
lanes=()
[ "$failed" -eq 0 ] || exit 1

killed=0 survived=0 skipped=0
for i in "${ids[@]}"; do
	verdict=$(cat "$work/verdict.$i")
	printf '  %-9s %2d %-6s %s: %s\n' "${verdict%% (*}" "$((i + 1))" "${plats[i]}" "$(basename "${files[i]}")" "${whats[i]}${verdict#"${verdict%% (*}"}"
	case $verdict in
	killed*) killed=$((killed + 1)) ;;
	SURVIVED) survived=$((survived + 1)) ;;
	*) skipped=$((skipped + 1)) ;;
	esac
done
run=$((killed + survived))
echo "mutate: killed $killed of $run mutants ($((run ? 100 * killed / run : 0))%), $skipped not run here, in $((SECONDS - start)) s"
[ "$survived" -eq 0 ]
