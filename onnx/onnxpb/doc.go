// Package onnxpb holds the Go types of ONNX's protobuf messages (ModelProto,
// GraphProto, NodeProto, TensorProto, ...), generated from the official
// onnx.proto as Debian's libonnx-dev ships it (ONNX 1.12, IR version 8) with
// protoc-gen-go v1.36.12. Regenerate with `go generate` after
// `apt-get install libonnx-dev protobuf-compiler` and
// `go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12`.
package onnxpb

//go:generate protoc -I/usr/include/onnx --go_out=. --go_opt=paths=source_relative --go_opt=Monnx.proto=github.com/edgecnn/edgecnn/onnx/onnxpb onnx.proto
