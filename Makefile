# edgecnn: the two commands that matter on a fresh machine are `make demo` and `make test`.
GO        ?= go
BIN       ?= bin
PKGS      := ./...
GOCV_TAGS := gocv,gocv_specific_modules,gocv_videoio
QEMU      ?= qemu-aarch64
HAVE_OPENCV := $(shell pkg-config --exists opencv4 2>/dev/null && echo yes)
HAVE_QEMU   := $(shell command -v $(QEMU) >/dev/null 2>&1 && echo yes)

.PHONY: all build cross test test-unit test-gocv test-arm64 test-x86-avx2 test-arm mutate lint demo bench bench-arm64 bench-x86 fuzz clean

all: build

## build: the workstation binary (edgecnn, everything) and the device binary
## (edgecnn-device: run, infer, selftest, capture, device info, firmware install).
build:
	$(GO) build -o $(BIN)/edgecnn ./cmd/edgecnn
	$(GO) build -o $(BIN)/edgecnn-device ./cmd/edgecnn-device

## cross: static, cgo-free, stripped binaries of both for a Pi 4/5 (64-bit OS)
## and 32-bit Pi OS.
CROSS_FLAGS := -trimpath -ldflags='-s -w'
cross:
	for cmd in edgecnn edgecnn-device; do \
		CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build $(CROSS_FLAGS) -o $(BIN)/$$cmd-linux-arm64 ./cmd/$$cmd && \
		CGO_ENABLED=0 GOOS=linux GOARCH=arm GOARM=7 $(GO) build $(CROSS_FLAGS) -o $(BIN)/$$cmd-linux-armv7 ./cmd/$$cmd || exit 1; \
	done

## test: everything that can run on this machine: lint, unit and data tests,
## gocv tests when OpenCV is installed, the arm64 suite under QEMU when qemu-user is installed,
## the amd64 AVX2 paths on an emulated CPU without AVX-512, and the kernels' mutation test.
test: lint test-unit test-gocv test-arm64 test-x86-avx2 mutate

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	GOARCH=arm64 $(GO) vet $(PKGS)
	GOARCH=arm64 $(GO) vet -tags purego $(PKGS)
	GOARCH=arm GOARM=7 $(GO) vet $(PKGS)

test-unit:
	$(GO) test -count=1 -timeout 30m $(PKGS)
	$(GO) test -count=1 -short -tags purego ./infer/... ./train/...

test-gocv:
ifeq ($(HAVE_OPENCV),yes)
	$(GO) test -count=1 -tags $(GOCV_TAGS) ./device/...
	$(GO) test -count=1 -tags $(GOCV_TAGS) -run 'Gocv|VideoFile' ./internal/cli/ ./cmd/edgecnn/
else
	@echo "test-gocv: skipped: OpenCV not installed (apt-get install -y libopencv-dev)"
endif

## test-arm64: the whole suite (short mode: no multi-minute training runs) as linux/arm64 under QEMU,
## on an ARMv8.0 core (Pi 4) and on an ARMv8.2 core with the dot product (Pi 5).
test-arm64:
ifeq ($(HAVE_QEMU),yes)
	GOARCH=arm64 CGO_ENABLED=0 $(GO) test -count=1 -short -exec '$(QEMU) -cpu cortex-a72' $(PKGS)
	GOARCH=arm64 CGO_ENABLED=0 $(GO) test -count=1 -short -exec '$(QEMU) -cpu cortex-a76' $(PKGS)
	GOARCH=arm64 CGO_ENABLED=0 $(GO) test -count=1 -short -tags purego -exec '$(QEMU) -cpu cortex-a72' ./infer/...
else
	@echo "test-arm64: skipped: $(QEMU) not found (apt-get install -y qemu-user)"
endif

## test-x86-avx2: the packages with amd64 assembly on QEMU's "max" x86-64 CPU (AVX2 and FMA, no
## AVX-512), so the AVX2 kernels are checked against the references on machines that would pick
## the AVX-512 ones.
HAVE_QEMU_X86 := $(shell [ "$$($(GO) env GOARCH)" = amd64 ] && command -v qemu-x86_64 >/dev/null 2>&1 && echo yes)
test-x86-avx2:
ifeq ($(HAVE_QEMU_X86),yes)
	$(GO) test -count=1 -short -exec 'qemu-x86_64 -cpu max' ./infer/kernel/ ./train/...
else
	@echo "test-x86-avx2: skipped: not amd64 or qemu-x86_64 not found (apt-get install -y qemu-user)"
endif

## mutate: small mutations of the Go, AVX2, AVX-512 VNNI and NEON/SDOT kernels (rounding constant,
## clamp bound, fixup, shift, loop bound, zero point), one at a time on a copy of the tree; the
## kernel tests must kill every one. Prints the kill rate.
mutate:
	GO=$(GO) QEMU=$(QEMU) ./scripts/mutate.sh

## test-arm: 32-bit Pi OS (generic kernels) under qemu-arm.
test-arm:
	GOARCH=arm GOARM=7 CGO_ENABLED=0 $(GO) test -count=1 -short -exec 'qemu-arm -cpu cortex-a7' $(PKGS)

## demo: generate a car/truck image set, train, quantise, check parity, classify, bundle, install.
demo: build
	./scripts/demo.sh

bench:
	$(GO) test -run XXX -bench . -benchtime 3x ./train/... ./infer/...

bench-arm64:
	./scripts/bench-arm64.sh

## bench-x86: int8 latency against ONNX Runtime and training speed against PyTorch, side by side.
bench-x86:
	THREADS="1 2" ./scripts/bench-x86.sh all

## fuzz: a short run of every parser's fuzz target (FUZZTIME each). Minimisation is capped: its
## default of 60 s per new input stalls short runs.
FUZZTIME ?= 30s
FUZZ = $(GO) test -run XXX -fuzztime $(FUZZTIME) -fuzzminimizetime 2s
fuzz:
	$(FUZZ) -fuzz FuzzDecode ./model/
	$(FUZZ) -fuzz FuzzLoad ./infer/
	$(FUZZ) -fuzz FuzzReadBundle ./firmware/
	$(FUZZ) -fuzz FuzzRead ./firmware/configfile/
	$(FUZZ) -fuzz FuzzParseTable ./calib/
	$(FUZZ) -fuzz FuzzFromSpecFile ./train/
	$(FUZZ) -fuzz FuzzMJPEGStream ./device/
	$(FUZZ) -fuzz FuzzRawFrames ./device/

clean:
	rm -rf $(BIN) demo-out
