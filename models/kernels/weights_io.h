// Final weights for bit-exact comparison with the platform. File format: the raw IEEE binary32 bit patterns,
// little-endian, of every tensor in manifest order, concatenated with no header. The manifest (written into
// the golden JSON summary) names each tensor, its shape, byte offset and element count; for every parameter
// the working values ("conv1.weight") come first, then its master copy ("conv1.weight.master").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kernels/network.h"

namespace trainvp::kern {

struct WeightsEntry {
    std::string name;
    std::vector<uint32_t> shape;
    uint64_t offset = 0;  // bytes
    uint64_t count = 0;   // elements
};

struct WeightsManifest {
    std::vector<WeightsEntry> tensors;
    uint64_t bytes = 0;
    uint64_t fnv1a64 = 0;  // FNV-1a 64-bit hash of the file's bytes
};

// The bytes of the weights file and their manifest.
std::vector<uint8_t> serialize_weights(const Network& net, WeightsManifest& manifest);
// Writes PATH.tmp, then renames it to PATH. Throws UserError naming the path on failure.
WeightsManifest write_weights(const Network& net, const std::string& path);
// Loads a weights file written by write_weights() for a network of the same spec into the working values
// and master copies of `net`. Throws UserError naming the path when it cannot be read or its size is not the
// network's (the message gives both sizes).
void read_weights(Network& net, const std::string& path);
// Writes `bytes` to PATH atomically (PATH.tmp then rename). Throws UserError naming the path on failure.
void write_file_atomic(const std::string& path, const void* data, size_t size);

}  // namespace trainvp::kern
