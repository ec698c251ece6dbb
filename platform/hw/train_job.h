/*
 * The training job: what the platform writes into DRAM before the firmware starts, and where the firmware
 * leaves its results. Single source for the platform (C++) and the training firmware (C).
 *
 * The platform places a train_job at TRAINVP_JOB_BASE. Everything it points at lies in DRAM above
 * TRAINVP_HOST_AREA_BASE: the datasets already converted to the network's input format (exactly as the golden
 * trainer's Trainer::load_image does), the parameters in their formats (working, master, velocity), per-layer
 * batch buffers, the descriptor ring and the results area. The firmware builds every descriptor itself from
 * this description (accel/accel_desc.h) and writes a train_results at addr_results.
 *
 * All fields little-endian, addresses are bus addresses, tensors use the accelerator's storage rule
 * (accel_desc.h), format fields are ACCEL_FMT codes. A role in INT8 that the golden network tracks (every
 * conv/fc role, a norm layer's activations and errors, an add layer's activations) has a tracked scale: its
 * format fields (and those of the layers that inherit them) are the tensor's current format, which the
 * firmware rewrites between steps (trainvp/train_scales.h) and the platform reads back after the run.
 */
#ifndef TRAINVP_HW_TRAIN_JOB_H
#define TRAINVP_HW_TRAIN_JOB_H

#include <stdint.h>

#include "hw/memory_map.h"

#define TRAIN_JOB_BASE TRAINVP_HOST_AREA_BASE
#define TRAIN_JOB_MAGIC 0x424F4A54u /* "TJOB" */
#define TRAIN_JOB_VERSION 3u
#define TRAIN_RESULTS_MAGIC 0x53455254u /* "TRES" */
/* ResNet-20 with its norm, relu and add layers is 70 layers. */
#define TRAIN_JOB_MAX_LAYERS 96u
#define TRAIN_JOB_MAX_EPOCHS 256u
/* Samples per step: the firmware keeps one gather descriptor per sample of a batch (160 B each) on its heap.
 */
#define TRAIN_JOB_MAX_BATCH 4096u
/* Inputs of one layer (add, concat) and consumer edges of one layer's output: an add's inputs and a
 * layer's error parts are summed by one ADD of up to ACCEL_ADD_MAX_INPUTS addends, so that nothing is
 * rounded between them (kern::sum_errors). */
#define TRAIN_JOB_MAX_INPUTS 4u
#define TRAIN_JOB_MAX_PARTS 4u

/* Layer kinds (the golden trainer's kern::LayerKind). */
#define TRAIN_LAYER_CONV 1u
#define TRAIN_LAYER_FC 2u
#define TRAIN_LAYER_RELU 3u
#define TRAIN_LAYER_MAXPOOL 4u
#define TRAIN_LAYER_AVGPOOL 5u
#define TRAIN_LAYER_ADD 6u            /* two to four inputs; one ADD on the vector unit */
#define TRAIN_LAYER_GLOBAL_AVGPOOL 7u /* GAVGPOOL_FWD / _BWD */
#define TRAIN_LAYER_NORM 8u           /* range group norm (NORM_FWD / _BWD); gamma in w*, beta in b* */
/* channel concatenation of one to four inputs with the same rows and cols (DMA_COPY per input and sample);
 * addr_dx holds one block of batch x C_k x H x W errors per input k, the inputs' blocks back to back */
#define TRAIN_LAYER_CONCAT 9u

/* How the error of a layer's output is formed before its backward pass (kern::Network, network.h "Graph
 * execution order"): used in place (addr_g is the loss gradient or the one consumer's error), copied and
 * rounded into fmt_err (one part in another format: DMA_COPY), or the sum of two to four parts (one ADD),
 * into addr_dy with stochastic-rounding slot dy. A mode other than IN_PLACE is the number of parts. In a job
 * with tracked int8 scales the choice follows the scales: every layer but the last has addr_dy and keeps its
 * part (addr_part[0], fmt_part[0]) when in place, and the firmware plans again whenever a scale changes
 * (train_scales_plan_errors). */
#define TRAIN_ERR_IN_PLACE 0u
#define TRAIN_ERR_COPY 1u
#define TRAIN_ERR_SUM2 2u
#define TRAIN_ERR_SUM3 3u
#define TRAIN_ERR_SUM4 4u

/* One layer. Shapes are per sample; `in` is the shape of input[0]. Layers are in topological order: input[k]
 * is an earlier layer's index, or -1 for the network input (any layer may read it: the gathered batch in
 * training, the test images in evaluation). */
typedef struct train_layer {
    uint32_t kind;     /* TRAIN_LAYER_* */
    uint32_t has_bias; /* conv/fc */
    uint16_t in_c, in_h, in_w;
    uint16_t out_c, out_h, out_w;
    uint8_t kernel, stride, pad,
        pool; /* conv kernel/stride/pad; pooling window in `pool` (stride in `stride`) */
    uint32_t fc_in, fc_out;
    /* Formats (ACCEL_FMT codes): output activations, error at this layer's output (incoming g), error at its
     * input (outgoing dx), weights, weight gradients, master weights (also velocity). */
    uint16_t fmt_act, fmt_err, fmt_in_err, fmt_weights, fmt_weight_grads, fmt_master;
    uint32_t weight_count, bias_count;
    /* Parameters: working copy, master copy, gradient, velocity (velocity only when momentum != 0). */
    uint32_t addr_w, addr_w_master, addr_w_grad, addr_w_velocity;
    uint32_t addr_b, addr_b_master, addr_b_grad, addr_b_velocity;
    /* Batch buffers sized for job.batch samples: output activations, error at the input, max-pool argmax. */
    uint32_t addr_y, addr_dx, addr_argmax;
    /* Graph: producers of the inputs (num_inputs of them; -1 the network input). */
    int16_t input[TRAIN_JOB_MAX_INPUTS];
    uint16_t num_inputs;
    /* Norm: groups, scale_bits, and the backward pass (range_gradient or projection, at most one);
     * statistics buffer (accel_norm_stats per sample and group). */
    uint16_t groups;
    uint8_t scale_bits, range_gradient;
    uint8_t projection, reserved0;
    uint32_t addr_stats;
    /* The error of this layer's output (TRAIN_ERR_*): backward reads it at addr_g in fmt_err; COPY and SUM*
     * write it there (addr_g = addr_dy) from the parts, in the order the golden network sums them. */
    uint32_t err_mode;
    uint32_t addr_g, addr_dy;
    uint32_t addr_part[TRAIN_JOB_MAX_PARTS];
    uint16_t fmt_part[TRAIN_JOB_MAX_PARTS];
} train_layer;

typedef struct train_job {
    uint32_t magic;   /* TRAIN_JOB_MAGIC */
    uint32_t version; /* TRAIN_JOB_VERSION */
    uint32_t bytes;   /* sizeof(train_job) as the platform built it */
    uint32_t num_layers;
    uint32_t num_classes;
    uint32_t batch; /* mini-batch size (the last batch of an epoch may be smaller) */
    uint32_t epochs;
    uint32_t acc_bits;  /* integer accumulator width for every descriptor */
    uint16_t fmt_input; /* format of the converted images */
    uint16_t reserved0;
    uint32_t input_size;               /* elements per image (channels x rows x cols) */
    double lr, momentum, weight_decay; /* SGD: weight decay applies to weights, not biases */
    uint64_t seed;                     /* shuffling and stochastic rounding (the golden trainer's seed) */
    /* Datasets: images in fmt_input, labels one byte each. */
    uint32_t train_count, test_count;
    uint32_t addr_train_images, addr_train_labels;
    uint32_t addr_test_images, addr_test_labels;
    /* Per-batch scratch: the gathered input batch, its labels, the loss gradient (num_classes x batch in the
     * last layer's fmt_err), and the SOFTMAX_XENT result record (accel_loss_result). */
    uint32_t addr_batch_input, addr_batch_labels, addr_loss_grad, addr_loss_result;
    /* Descriptor ring the firmware may use: ring_entries x ACCEL_DESC_BYTES at addr_ring. */
    uint32_t addr_ring, ring_entries;
    /* Where the firmware writes its train_results, and a per-step loss array (double, one per step, in
     * order across epochs; steps_per_epoch x epochs entries). */
    uint32_t addr_results, addr_step_losses;
    uint32_t steps_per_epoch;
    /* Learning-rate steps: epoch e trains with lr * lr_decay_factor^floor(e / lr_decay_every)
     * (kernels/lr_schedule_core.h); lr_decay_every 0: lr throughout. */
    uint32_t lr_decay_every;
    double lr_decay_factor;
    uint16_t input_c, input_h, input_w; /* shape of the network input (input_size = c x h x w) */
    uint16_t reserved2;
    uint32_t reserved1[2];
    train_layer layers[TRAIN_JOB_MAX_LAYERS];
} train_job;

/* Per-epoch figures the firmware measured on the accelerator. */
typedef struct train_epoch_result {
    double train_loss_sum; /* sum over the epoch's training samples (before each step's update) */
    double test_loss_sum;
    uint32_t train_correct, train_count;
    uint32_t test_correct, test_count;
} train_epoch_result;

typedef struct train_results {
    uint32_t magic;       /* TRAIN_RESULTS_MAGIC once the firmware has started */
    uint32_t status;      /* 0 while running or done; else the ACCEL_ERR_* code that stopped training */
    uint32_t err_addr;    /* ERR_ADDR with that error */
    uint32_t epochs_done; /* epochs completed (train + test evaluation) */
    uint32_t steps_done;  /* SGD steps completed */
    uint32_t done;        /* 1 when training finished and the final weights are in place */
    uint32_t reserved[2];
    train_epoch_result epochs[TRAIN_JOB_MAX_EPOCHS];
} train_results;

/*
 * The sparse training job (docs/sparse.md "Firmware"): what the platform writes at TRAIN_JOB_BASE for a
 * scenario with a `sparse` section. The firmware tells the two jobs apart by their magic and drives the
 * sparse engine with SPARSE_CONFIG, SPARSE_TRAIN and SPARSE_INFER descriptors (accel/accel_desc.h).
 * Images are the raw u8 pixels (sample_bytes each, padded by the engine), labels one byte each.
 */
#define SPARSE_JOB_MAGIC 0x424F4A53u /* "SJOB" */
#define SPARSE_JOB_VERSION 1u

typedef struct sparse_job {
    uint32_t magic;   /* SPARSE_JOB_MAGIC */
    uint32_t version; /* SPARSE_JOB_VERSION */
    uint32_t bytes;   /* sizeof(sparse_job) */
    uint32_t epochs;
    uint32_t sample_bytes; /* input values per image */
    uint32_t train_count, test_count;
    uint32_t descriptor_samples; /* training samples per SPARSE_TRAIN (each starts and drains the pipeline) */
    uint32_t addr_config;        /* accel_sparse_config record */
    uint32_t addr_train_images, addr_train_labels;
    uint32_t addr_test_images, addr_test_labels;
    uint32_t addr_ring, ring_entries;
    uint32_t addr_results;    /* sparse_results */
    uint32_t addr_parameters; /* the final parameters (int32 each) after the last SPARSE_TRAIN */
    uint32_t parameter_count;
    uint32_t addr_predictions;   /* the last test pass's predictions (u32 each) */
    uint32_t addr_result_record; /* accel_sparse_result of each descriptor */
    uint32_t reserved[4];
    uint8_t etapos[TRAIN_JOB_MAX_EPOCHS]; /* learning-rate code of each epoch */
} sparse_job;

typedef struct sparse_epoch_result {
    uint32_t train_correct, train_count; /* training forward passes that predicted the label */
    uint32_t test_correct, test_count;
    uint64_t clocks, stall_clocks, bank_conflicts, lost_sums; /* engine figures of the epoch's training */
} sparse_epoch_result;

typedef struct sparse_results {
    uint32_t magic;       /* TRAIN_RESULTS_MAGIC once the firmware has started */
    uint32_t status;      /* 0, or the ACCEL_ERR_* code that stopped training */
    uint32_t err_addr;    /* ERR_ADDR with that error */
    uint32_t epochs_done; /* epochs completed (train + test) */
    uint32_t done;        /* 1 when training finished and the parameters are in place */
    uint32_t reserved[3];
    sparse_epoch_result epochs[TRAIN_JOB_MAX_EPOCHS];
} sparse_results;

#endif /* TRAINVP_HW_TRAIN_JOB_H */
