// Shared by the arm64 kernels (kernel_arm64.s, depthwise_arm64.s): Go's
// assembler lacks the signed integer vector instructions they use, so
// they are WORD-encoded from register numbers (d = destination, n and m =
// sources); each macro is named after its mnemonic and arrangement.

// SMULL Vd.8H, Vn.8B, Vm.8B
#define SMULL_8H(d, n, m) WORD $(0x0E20C000 | ((m)<<16) | ((n)<<5) | (d))
// SMLAL2 Vd.8H, Vn.16B, Vm.16B
#define SMLAL2_8H(d, n, m) WORD $(0x4E208000 | ((m)<<16) | ((n)<<5) | (d))
// SADALP Vd.4S, Vn.8H
#define SADALP_4S(d, n) WORD $(0x4E606800 | ((n)<<5) | (d))
// SADDLP Vd.4S, Vn.8H
#define SADDLP_4S(d, n) WORD $(0x4E602800 | ((n)<<5) | (d))
// SDOT Vd.4S, Vn.16B, Vm.16B (ARMv8.2 FEAT_DotProd)
#define SDOT_4S(d, n, m) WORD $(0x4E809400 | ((m)<<16) | ((n)<<5) | (d))
// SQRDMULH Vd.4S, Vn.4S, Vm.4S
#define SQRDMULH_4S(d, n, m) WORD $(0x6EA0B400 | ((m)<<16) | ((n)<<5) | (d))
// SSHL Vd.4S, Vn.4S, Vm.4S
#define SSHL_4S(d, n, m) WORD $(0x4EA04400 | ((m)<<16) | ((n)<<5) | (d))
// SRSHL Vd.4S, Vn.4S, Vm.4S
#define SRSHL_4S(d, n, m) WORD $(0x4EA05400 | ((m)<<16) | ((n)<<5) | (d))
// SSHR Vd.4S, Vn.4S, #31
#define SSHR31_4S(d, n) WORD $(0x4F210400 | ((n)<<5) | (d))
// SQADD Vd.4S, Vn.4S, Vm.4S
#define SQADD_4S(d, n, m) WORD $(0x4EA00C00 | ((m)<<16) | ((n)<<5) | (d))
// SMAX Vd.4S, Vn.4S, Vm.4S
#define SMAX_4S(d, n, m) WORD $(0x4EA06400 | ((m)<<16) | ((n)<<5) | (d))
// SMIN Vd.4S, Vn.4S, Vm.4S
#define SMIN_4S(d, n, m) WORD $(0x4EA06C00 | ((m)<<16) | ((n)<<5) | (d))
// SMAX Vd.16B, Vn.16B, Vm.16B
#define SMAX_16B(d, n, m) WORD $(0x4E206400 | ((m)<<16) | ((n)<<5) | (d))
// LDR Qt, [Xn, Xm]
#define LDRQ_REG(t, n, m) WORD $(0x3CE06800 | ((m)<<16) | ((n)<<5) | (t))
// STR Qt, [Xn, Xm]
#define STRQ_REG(t, n, m) WORD $(0x3CA06800 | ((m)<<16) | ((n)<<5) | (t))
// SMULL2 Vd.8H, Vn.16B, Vm.16B
#define SMULL2_8H(d, n, m) WORD $(0x4E20C000 | ((m)<<16) | ((n)<<5) | (d))
// SMLAL Vd.8H, Vn.8B, Vm.8B
#define SMLAL_8H(d, n, m) WORD $(0x0E208000 | ((m)<<16) | ((n)<<5) | (d))
// SADDW Vd.4S, Vn.4S, Vm.4H
#define SADDW_4S(d, n, m) WORD $(0x0E601000 | ((m)<<16) | ((n)<<5) | (d))
// SADDW2 Vd.4S, Vn.4S, Vm.8H
#define SADDW2_4S(d, n, m) WORD $(0x4E601000 | ((m)<<16) | ((n)<<5) | (d))
// SQXTN Vd.4H, Vn.4S
#define SQXTN_4H(d, n) WORD $(0x0E614800 | ((n)<<5) | (d))
// SQXTN2 Vd.8H, Vn.4S
#define SQXTN2_8H(d, n) WORD $(0x4E614800 | ((n)<<5) | (d))
// SQXTN Vd.8B, Vn.8H
#define SQXTN_8B(d, n) WORD $(0x0E214800 | ((n)<<5) | (d))
// SQXTN2 Vd.16B, Vn.8H
#define SQXTN2_16B(d, n) WORD $(0x4E214800 | ((n)<<5) | (d))
// SMIN Vd.16B, Vn.16B, Vm.16B
#define SMIN_16B(d, n, m) WORD $(0x4E206C00 | ((m)<<16) | ((n)<<5) | (d))
