// Training data loaded into memory: MNIST-style IDX files and CIFAR-10 binary batches.
// SystemC-free. Malformed or missing files throw trainvp::UserError("PATH: reason"); docs/datasets.md.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace trainvp {

struct Dataset {
    uint32_t count = 0, channels = 1, rows = 0, cols = 0;
    std::vector<uint8_t> images;  // count * channels * rows * cols bytes, CHW per image, images back to back
    std::vector<uint8_t> labels;  // count class indices, each < num_classes
    uint32_t num_classes = 10;
    std::string source;  // "idx:IMAGES,LABELS" or "cifar10:FILE[,FILE...]", for logs and reports

    size_t image_bytes() const { return size_t{channels} * rows * cols; }
    const uint8_t* image(uint32_t index) const { return images.data() + index * image_bytes(); }
};

// Reads an IDX3 unsigned-byte image file (magic 0x00000803, dims count x rows x cols) and an IDX1
// label file (magic 0x00000801, dim count), as published for MNIST (LeCun et al., "THE MNIST DATABASE",
// section "FILE FORMATS"). limit > 0 keeps only the first min(limit, count) samples; the whole of both
// files is still validated (size, header, every label).
Dataset load_mnist_idx(const std::string& images_path, const std::string& labels_path, uint32_t limit = 0);

// Reads CIFAR-10 binary batches (Krizhevsky, "binary version"): records of 1 label byte and 3072 pixel bytes
// (1024 red, 1024 green, 1024 blue, each 32x32 row-major, i.e. CHW), concatenated in the order given.
// limit > 0 keeps only the first min(limit, total) records; every file is still validated.
Dataset load_cifar10_bin(const std::vector<std::string>& batch_files, uint32_t limit = 0);

}  // namespace trainvp
