/* Command descriptors of the training accelerator: the single source for the model, the firmware and the
 * descriptor tables in docs/accelerator.md (printed by `accel-doc`). C99/C11 and C++17.
 *
 * Firmware writes descriptors into a ring in DRAM (RING_BASE, RING_SIZE entries of ACCEL_DESC_BYTES) and
 * publishes them with DOORBELL or RING_TAIL (accel_regs.h). All fields are little-endian; unused fields and
 * every reserved word must be 0. Tensors are stored element by element in little-endian containers of 8, 16
 * or 32 bits, the smallest holding the format's storage bits, with the bits of trainvp::num::encode(). */
#ifndef TRAINVP_ACCEL_DESC_H
#define TRAINVP_ACCEL_DESC_H

#include <stddef.h>
#include <stdint.h>

#define ACCEL_DESC_BYTES 160u

/* Opcodes: X(name, value, description). Operands are named after the descriptor's addr_* fields. */
#define ACCEL_OPCODES(X)                                                                                    \
    X(NOP, 0x00, "no operation (completes, raises DONE if asked)")                                          \
    X(CONV_FWD, 0x01, "y = conv(x, w) + b; shapes in_*, out_channels, kernel, stride, pad")                 \
    X(CONV_BWD_DATA, 0x02, "dx = conv^T(g, w): error for the layer input")                                  \
    X(CONV_WGRAD, 0x03, "dw = sum over batch of g * x; db = sum of g (flag HAS_BIAS)")                      \
    X(FC_FWD, 0x04, "y = W x + b; fc_in, fc_out")                                                           \
    X(FC_BWD_DATA, 0x05, "dx = W^T g")                                                                      \
    X(FC_WGRAD, 0x06, "dw = sum over batch of g x^T; db = sum of g (flag HAS_BIAS)")                        \
    X(MAXPOOL_FWD, 0x07, "y = window max of x, aux = argmax (u32 per output); kernel = size, stride")       \
    X(MAXPOOL_BWD, 0x08, "dx = g scattered to aux (argmax) positions")                                      \
    X(AVGPOOL_FWD, 0x09, "y = window mean of x")                                                            \
    X(AVGPOOL_BWD, 0x0A, "dx = g / size^2 spread over each window")                                         \
    X(RELU_FWD, 0x0B, "y = max(x, 0); count elements (y may equal x)")                                      \
    X(RELU_BWD, 0x0C, "dx = y > 0 ? g : 0 with y the ReLU output (mask); count elements")                   \
    X(SOFTMAX_XENT, 0x0D,                                                                                   \
      "logits x (batch x fc_out), labels (u8): aux = {f64 loss sum, u32 correct, u32 batch}, dx = softmax " \
      "- onehot (flag LOSS_GRAD)")                                                                          \
    X(SGD_UPDATE, 0x0E,                                                                                     \
      "master, velocity, w updated from dw / batch with lr, momentum, weight_decay; count elements")        \
    X(DMA_COPY, 0x0F,                                                                                       \
      "y = x converted from format X to format Y; count elements; element i rounds with SR index "          \
      "sr_index_base + i")                                                                                  \
    X(SPARSE_CONFIG, 0x10,                                                                                  \
      "sparse engine: network, connectivity, format from the accel_sparse_config record at addr_aux")       \
    X(SPARSE_TRAIN, 0x11,                                                                                   \
      "sparse engine: train on batch samples (fc_in u8 inputs at addr_x, u8 addr_labels), etapos in "       \
      "count; result record at addr_aux, parameters to addr_w (each optional)")                             \
    X(SPARSE_INFER, 0x12,                                                                                   \
      "sparse engine: u32 prediction per sample into addr_y; with addr_labels, the correct count in the "   \
      "result record at addr_aux (optional)")                                                               \
    X(ADD, 0x13,                                                                                            \
      "y = x + x2 (+ x3 + x4) (x2 at addr_g, format G; flags ADD_X3, ADD_X4) summed in that order and "     \
      "rounded once into Y; count elements")                                                                \
    X(GAVGPOOL_FWD, 0x14, "y[n][c] = mean of the in_rows x in_cols plane of x[n][c]")                       \
    X(GAVGPOOL_BWD, 0x15, "dx[n][c][i] = g[n][c] / (in_rows * in_cols)")                                    \
    X(NORM_FWD, 0x16,                                                                                       \
      "range group norm: y = (x - mean) * gamma * s + beta per (sample, group; out_channels groups); "      \
      "gamma at addr_w, beta at addr_b, statistics to addr_aux; kernel = scale_bits")                       \
    X(NORM_BWD, 0x17,                                                                                       \
      "dx from g, x, gamma, the statistics at addr_aux; dgamma to addr_dw, dbeta to addr_db, summed over "  \
      "the batch")

enum accel_opcode {
#define ACCEL_OPCODE_ENUM(name, value, desc) ACCEL_OP_##name = value,
    ACCEL_OPCODES(ACCEL_OPCODE_ENUM)
#undef ACCEL_OPCODE_ENUM
        ACCEL_OP_COUNT
};

/* Flags: X(name, bit, description) */
#define ACCEL_FLAGS(X)                                                                             \
    X(IRQ_ON_DONE, 0, "set IRQ_STATUS.DONE when this descriptor completes")                        \
    X(HAS_BIAS, 1, "conv/fc: the layer has a bias (addr_b read by FWD, addr_db written by WGRAD)") \
    X(LOSS_GRAD, 2, "SOFTMAX_XENT: also write the error dx (otherwise loss and correct count only)") \
    X(NORM_RANGE_GRAD, 3, "NORM_BWD: also propagate through the group's range (max and min elements)") \
    X(NORM_PROJECT, 4, "NORM_BWD: subtract the error's projection on x - mean (s as if 1/sigma)")     \
    X(ADD_X3, 5, "ADD: a third addend x3 at addr_dx (format DX)")                                   \
    X(ADD_X4, 6, "ADD: a fourth addend x4 at addr_dw (format DW); needs ADD_X3")

enum accel_flag {
#define ACCEL_FLAG_ENUM(name, bit, desc) ACCEL_FLAG_##name = 1u << (bit),
    ACCEL_FLAGS(ACCEL_FLAG_ENUM)
#undef ACCEL_FLAG_ENUM
        ACCEL_FLAGS_ALL = (1u << 7) - 1u
};

/* Operand format slots of accel_desc.fmt[]: M(name, index, description) (M: one slot is named X) */
#define ACCEL_OPERANDS(M)                                                         \
    M(X, 0, "input activations x (DMA_COPY: source); logits of SOFTMAX_XENT")     \
    M(W, 1, "weights w and bias b (SGD_UPDATE: working weights)")                 \
    M(Y, 2, "output activations y (DMA_COPY: destination; RELU_BWD: the mask y)") \
    M(G, 3, "incoming error g")                                                   \
    M(DX, 4, "outgoing error dx; ADD: the third addend")                          \
    M(DW, 5, "weight and bias gradients dw, db; ADD: the fourth addend")          \
    M(MASTER, 6, "master weights and velocity (SGD_UPDATE)")                      \
    M(RESERVED, 7, "must be 0")

enum accel_operand {
#define ACCEL_OPERAND_ENUM(name, index, desc) ACCEL_OPND_##name = index,
    ACCEL_OPERANDS(ACCEL_OPERAND_ENUM)
#undef ACCEL_OPERAND_ENUM
        ACCEL_OPND_COUNT
};

/* Format code (16 bits): kind [2:0], rounding [4:3], fixed: total_bits - 1 [9:5], fixed: frac_bits / int8:
 * scale_exp as 6-bit two's complement [15:10] (-32..31). Code 0 is fp32 with round-to-nearest-even. */
#define ACCEL_FMT_KINDS(X)                                                           \
    X(FP32, 0, "IEEE binary32")                                                      \
    X(FP16, 1, "IEEE binary16")                                                      \
    X(BF16, 2, "bfloat16")                                                           \
    X(FP8E4M3, 3, "OCP FP8 E4M3 (saturating, no infinity)")                          \
    X(FP8E5M2, 4, "OCP FP8 E5M2")                                                    \
    X(FIXED, 5, "two's complement fixed point, total bits 4..32, frac bits -32..31") \
    X(INT8, 6, "int8 times 2^scale_exp, scale_exp -32..31")

enum accel_fmt_kind {
#define ACCEL_FMT_KIND_ENUM(name, value, desc) ACCEL_FMT_KIND_##name = value,
    ACCEL_FMT_KINDS(ACCEL_FMT_KIND_ENUM)
#undef ACCEL_FMT_KIND_ENUM
        ACCEL_FMT_KIND_COUNT
};

#define ACCEL_ROUNDINGS(X)                             \
    X(RNE, 0, "round to nearest, ties to even")        \
    X(RTZ, 1, "truncate toward zero")                  \
    X(RHU, 2, "round half up (ties toward +infinity)") \
    X(SR, 3, "stochastic rounding keyed by (sr_seed, sr_tensor[i], sr_step, element index)")

enum accel_rounding {
#define ACCEL_ROUNDING_ENUM(name, value, desc) ACCEL_RND_##name = value,
    ACCEL_ROUNDINGS(ACCEL_ROUNDING_ENUM)
#undef ACCEL_ROUNDING_ENUM
        ACCEL_RND_COUNT
};

#define ACCEL_FMT(kind, rounding, total_bits, frac_bits)                                       \
    ((uint16_t)(((unsigned)(kind)&7u) | (((unsigned)(rounding)&3u) << 3) |                     \
                ((unsigned)((kind) == ACCEL_FMT_KIND_FIXED ? (total_bits)-1 : 0) & 31u) << 5 | \
                (((unsigned)(frac_bits)&63u) << 10)))
#define ACCEL_FMT_KIND_OF(code) ((code)&7u)
#define ACCEL_FMT_ROUNDING_OF(code) (((code) >> 3) & 3u)
#define ACCEL_FMT_TOTAL_BITS_OF(code) ((((code) >> 5) & 31u) + 1u)
#define ACCEL_FMT_FRAC_OF(code) ((int)(((code) >> 10) & 63u) - (int)((((code) >> 10) & 32u) << 1))

/* Addends of one ADD: x, x2 and, with ADD_X3 / ADD_X4, x3 and x4. */
#define ACCEL_ADD_MAX_INPUTS 4u

/* Stochastic-rounding tensor ids of accel_desc.sr_tensor[]: output 0 is y / dx / dw / master, output 1 is
 * db / velocity / NORM_BWD's dgamma, output 2 is the SGD working weights / NORM_BWD's dbeta. */
#define ACCEL_SR_OUT0 0
#define ACCEL_SR_OUT1 1
#define ACCEL_SR_OUT2 2

/* The sparse engine (docs/sparse.md "Descriptors"): the record SPARSE_CONFIG reads at addr_aux (120 bytes,
 * 8-byte aligned), one field per key of the scenario's `sparse` section (sparse::SparseNetConfig). Entries
 * beyond `layers` (neurons) or `layers - 1` (junction fields) must be 0. */
#define ACCEL_SPARSE_MAX_LAYERS 8u
#define ACCEL_SPARSE_ACT_SIGMOID 0u
#define ACCEL_SPARSE_ACT_RELU 1u
#define ACCEL_SPARSE_CONN_CLASH_FREE 0u
#define ACCEL_SPARSE_CONN_RANDOM 1u
#define ACCEL_SPARSE_DELTA_FORWARDED 0u
#define ACCEL_SPARSE_DELTA_RTL 1u
typedef struct accel_sparse_config {
    uint32_t layers;                                 /* 0: 2..ACCEL_SPARSE_MAX_LAYERS */
    uint32_t neurons[ACCEL_SPARSE_MAX_LAYERS];       /* 4: per layer, input first */
    uint32_t fanout[ACCEL_SPARSE_MAX_LAYERS - 1];    /* 36: per junction */
    uint32_t z[ACCEL_SPARSE_MAX_LAYERS - 1];         /* 64: edges per clock, per junction */
    uint8_t activation[ACCEL_SPARSE_MAX_LAYERS - 1]; /* 92: ACCEL_SPARSE_ACT_* per junction */
    uint8_t total_bits;                              /* 99: sign + int + frac */
    uint8_t int_bits;                                /* 100 */
    uint8_t input_bits;                              /* 101: bits per input value (1..8) */
    uint8_t proctime;                                /* 102: processor pipeline depth in clocks */
    uint8_t connectivity;                            /* 103: ACCEL_SPARSE_CONN_* */
    uint8_t interleaver_type;                        /* 104: 1, 2 or 3 */
    uint8_t dither;                                  /* 105: memory dither, 0 or 1 */
    uint8_t zero_starts;                             /* 106: every sweep start 0 (the RTL's pattern) */
    uint8_t delta_hazard;                            /* 107: ACCEL_SPARSE_DELTA_* */
    uint32_t reserved;                               /* 108: must be 0 */
    uint64_t seed;                                   /* 112: connectivity and initial weights */
} accel_sparse_config;

/* Result record written by SPARSE_TRAIN and SPARSE_INFER at addr_aux (48 bytes, 8-byte aligned). */
typedef struct accel_sparse_result {
    uint32_t samples;         /* samples of the descriptor */
    uint32_t correct;         /* training forward passes (INFER: predictions) equal to the label */
    uint64_t junction_cycles; /* pipeline fill and drain included */
    uint64_t clocks;          /* engine clocks: junction_cycles x clocks per junction cycle */
    uint64_t stall_clocks;    /* of those, bank-conflict stalls */
    uint64_t bank_conflicts;  /* activation-memory reads that found their bank busy */
    uint64_t lost_sums;       /* back-propagated partial sums lost to the delta hazard (mode rtl) */
} accel_sparse_result;

/* Result record written by SOFTMAX_XENT at addr_aux (16 bytes, 8-byte aligned). */
typedef struct accel_loss_result {
    double loss_sum;  /* sum over the batch of -log softmax(x)[label] */
    uint32_t correct; /* samples whose first maximal logit is the label */
    uint32_t count;   /* batch */
} accel_loss_result;

/* Statistics record per (sample, group) that NORM_FWD writes at addr_aux and NORM_BWD reads (24 bytes,
 * 8-byte aligned; record n * groups + group). arg_max and arg_min are element offsets inside the sample. */
typedef struct accel_norm_stats {
    double mean;      /* group mean of x */
    double scale;     /* s: power of two or reciprocal-table entry of 1 / (C(M) * (max - min)) */
    uint32_t arg_max; /* first maximal element */
    uint32_t arg_min; /* first minimal element */
} accel_norm_stats;

/* Record a descriptor with addr_int8_max != 0 writes there when it completes (16 bytes, 4-byte aligned):
 * for each output i (ACCEL_SR_OUT*: y / dx / dw / master, db / velocity, the SGD working weights w) whose
 * format is INT8, the largest |code| (0..128) of the codes the DMA stored to it; 0 for other outputs.
 * Bit i of `int8_outputs` says output i is INT8 and was written. Firmware picks each tensor's next int8
 * scale from these (docs/accelerator.md "int8 maxima"). */
typedef struct accel_int8_max {
    uint32_t max_code[3];
    uint32_t int8_outputs;
} accel_int8_max;

typedef struct accel_desc {
    uint8_t opcode;         /* 0: ACCEL_OP_* */
    uint8_t flags;          /* 1: ACCEL_FLAG_* */
    uint16_t layer_id;      /* 2: statistics key */
    uint32_t batch;         /* 4: samples N (SGD_UPDATE: the divisor of dw) */
    uint16_t in_channels;   /* 8: conv/pool/norm C */
    uint16_t in_rows;       /* 10: conv/pool H */
    uint16_t in_cols;       /* 12: conv/pool W */
    uint16_t out_channels;  /* 14: conv Co; NORM_*: groups */
    uint8_t kernel;         /* 16: conv kernel / pool window size; NORM_*: scale_bits */
    uint8_t stride;         /* 17: conv/pool stride (>= 1) */
    uint8_t pad;            /* 18: conv zero padding */
    uint8_t acc_bits;       /* 19: integer accumulator width (8..CAP_MAX_ACC_BITS); 0 = 48 */
    uint32_t fc_in;         /* 20: fc inputs per sample */
    uint32_t fc_out;        /* 24: fc outputs per sample; SOFTMAX_XENT classes */
    uint32_t count;         /* 28: elements of RELU_*, SGD_UPDATE, DMA_COPY, ADD */
    uint16_t fmt[8];        /* 32: ACCEL_FMT codes by ACCEL_OPND_* slot */
    uint64_t sr_seed;       /* 48 */
    uint32_t sr_step;       /* 56 */
    uint32_t sr_tensor[3];  /* 60: ids of outputs 0..2 (ACCEL_SR_OUT*) */
    uint32_t addr_x;        /* 72 */
    uint32_t addr_w;        /* 76 */
    uint32_t addr_b;        /* 80 */
    uint32_t addr_y;        /* 84 */
    uint32_t addr_g;        /* 88 */
    uint32_t addr_dx;       /* 92 */
    uint32_t addr_dw;       /* 96 */
    uint32_t addr_db;       /* 100 */
    uint32_t addr_aux;      /* 104: maxpool argmax, loss result, norm statistics */
    uint32_t addr_labels;   /* 108: u8 labels */
    uint32_t addr_master;   /* 112: SGD master weights (MASTER format) */
    uint32_t addr_velocity; /* 116: SGD velocity (MASTER format), used when momentum != 0 */
    double lr;              /* 120: SGD learning rate (IEEE binary64) */
    double momentum;        /* 128 */
    double weight_decay;    /* 136 */
    uint32_t addr_int8_max; /* 144: accel_int8_max record written at completion; 0 = none */
    uint32_t sr_index_base; /* 148: DMA_COPY: stochastic-rounding index of element 0; else must be 0 */
    uint32_t reserved[2];   /* 152: must be 0 */
} accel_desc;

/* X(field, offset, bytes, description) for the documentation table; checked against offsetof. */
#define ACCEL_DESC_FIELDS(X)                                         \
    X(opcode, 0, 1, "ACCEL_OP_*")                                    \
    X(flags, 1, 1, "ACCEL_FLAG_*")                                   \
    X(layer_id, 2, 2, "layer number for statistics")                 \
    X(batch, 4, 4, "samples N; SGD_UPDATE: gradient divisor")        \
    X(in_channels, 8, 2, "conv/pool/norm input channels")            \
    X(in_rows, 10, 2, "conv/pool input rows")                        \
    X(in_cols, 12, 2, "conv/pool input columns")                     \
    X(out_channels, 14, 2, "conv output channels; norm groups")      \
    X(kernel, 16, 1, "conv kernel, pool window; norm scale_bits")    \
    X(stride, 17, 1, "conv/pool stride")                             \
    X(pad, 18, 1, "conv zero padding")                               \
    X(acc_bits, 19, 1, "integer accumulator width, 0 = 48")          \
    X(fc_in, 20, 4, "fc inputs")                                     \
    X(fc_out, 24, 4, "fc outputs; loss classes")                     \
    X(count, 28, 4, "elements of element-wise ops")                  \
    X(fmt, 32, 16, "format code per operand slot")                   \
    X(sr_seed, 48, 8, "stochastic-rounding seed")                    \
    X(sr_step, 56, 4, "stochastic-rounding step")                    \
    X(sr_tensor, 60, 12, "stochastic-rounding tensor id per output") \
    X(addr_x, 72, 4, "input activations / source")                   \
    X(addr_w, 76, 4, "weights")                                      \
    X(addr_b, 80, 4, "bias")                                         \
    X(addr_y, 84, 4, "output activations / destination / ReLU mask") \
    X(addr_g, 88, 4, "incoming error; ADD: second input")            \
    X(addr_dx, 92, 4, "outgoing error; ADD: third addend")           \
    X(addr_dw, 96, 4, "weight gradient; ADD: fourth addend")         \
    X(addr_db, 100, 4, "bias gradient")                              \
    X(addr_aux, 104, 4, "argmax (u32), loss result, norm statistics") \
    X(addr_labels, 108, 4, "labels (u8)")                            \
    X(addr_master, 112, 4, "master weights")                         \
    X(addr_velocity, 116, 4, "momentum velocity")                    \
    X(lr, 120, 8, "learning rate (binary64)")                        \
    X(momentum, 128, 8, "momentum (binary64)")                       \
    X(weight_decay, 136, 8, "L2 weight decay (binary64)")            \
    X(addr_int8_max, 144, 4, "int8 max-code record, 0 = none")       \
    X(sr_index_base, 148, 4, "DMA_COPY: SR index of element 0")      \
    X(reserved, 152, 8, "must be 0")

#ifdef __cplusplus
static_assert(sizeof(accel_desc) == ACCEL_DESC_BYTES, "descriptor layout");
static_assert(sizeof(accel_loss_result) == 16, "loss record layout");
static_assert(sizeof(accel_norm_stats) == 24, "norm statistics record layout");
static_assert(sizeof(accel_int8_max) == 16, "int8 max-code record layout");
static_assert(sizeof(accel_sparse_config) == 120 && offsetof(accel_sparse_config, seed) == 112 &&
                  offsetof(accel_sparse_config, activation) == 92,
              "sparse config record layout");
static_assert(sizeof(accel_sparse_result) == 48, "sparse result record layout");
#define ACCEL_DESC_CHECK_FIELD(field, offset, bytes, desc)                                               \
    static_assert(offsetof(accel_desc, field) == (offset) && sizeof(((accel_desc*)0)->field) == (bytes), \
                  "descriptor field " #field);
ACCEL_DESC_FIELDS(ACCEL_DESC_CHECK_FIELD)
#undef ACCEL_DESC_CHECK_FIELD
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
_Static_assert(sizeof(accel_desc) == ACCEL_DESC_BYTES, "descriptor layout");
_Static_assert(sizeof(accel_loss_result) == 16, "loss record layout");
_Static_assert(sizeof(accel_norm_stats) == 24, "norm statistics record layout");
_Static_assert(sizeof(accel_int8_max) == 16, "int8 max-code record layout");
_Static_assert(sizeof(accel_sparse_config) == 120 && offsetof(accel_sparse_config, seed) == 112 &&
                   offsetof(accel_sparse_config, activation) == 92,
               "sparse config record layout");
_Static_assert(sizeof(accel_sparse_result) == 48, "sparse result record layout");
#define ACCEL_DESC_CHECK_FIELD(field, offset, bytes, desc)                                               \
    _Static_assert(offsetof(accel_desc, field) == (offset) && sizeof(((accel_desc*)0)->field) == (bytes), \
                   "descriptor field " #field);
ACCEL_DESC_FIELDS(ACCEL_DESC_CHECK_FIELD)
#undef ACCEL_DESC_CHECK_FIELD
#endif

#endif
