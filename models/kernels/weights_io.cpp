#include "kernels/weights_io.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "common/error.h"

namespace trainvp::kern {

namespace {

void append(std::vector<uint8_t>& out, const std::vector<float>& values) {
    for (float v : values) {
        uint32_t bits;
        std::memcpy(&bits, &v, sizeof bits);
        for (int b = 0; b < 4; ++b) out.push_back(static_cast<uint8_t>(bits >> (8 * b)));
    }
}

}  // namespace

std::vector<uint8_t> serialize_weights(const Network& net, WeightsManifest& manifest) {
    std::vector<uint8_t> bytes;
    manifest = WeightsManifest{};
    for (const ParamTensor* p : net.parameters()) {
        for (int copy = 0; copy < 2; ++copy) {
            const std::vector<float>& v = copy ? p->master : p->values;
            manifest.tensors.push_back(
                WeightsEntry{copy ? p->name + ".master" : p->name, p->shape, bytes.size(), v.size()});
            append(bytes, v);
        }
    }
    uint64_t h = 0xcbf29ce484222325ull;
    for (uint8_t b : bytes) h = (h ^ b) * 0x100000001b3ull;
    manifest.bytes = bytes.size();
    manifest.fnv1a64 = h;
    return bytes;
}

WeightsManifest write_weights(const Network& net, const std::string& path) {
    WeightsManifest m;
    const std::vector<uint8_t> bytes = serialize_weights(net, m);
    write_file_atomic(path, bytes.data(), bytes.size());
    return m;
}

void read_weights(Network& net, const std::string& path) {
    WeightsManifest m;
    serialize_weights(net, m);
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) throw UserError(path + ": cannot read weights: " + std::strerror(errno));
    std::vector<uint8_t> bytes(m.bytes + 1);
    const size_t got = std::fread(bytes.data(), 1, bytes.size(), f);
    std::fclose(f);
    if (got != m.bytes)
        throw UserError(path + ": " + (got > m.bytes ? "more than " : "") + std::to_string(got) +
                        " bytes, but the network's weights file has " + std::to_string(m.bytes) + " bytes (" +
                        std::to_string(m.tensors.size()) + " tensors): trained for another network?");
    size_t at = 0;
    for (ParamTensor* p : net.mutable_parameters())
        for (std::vector<float>* v : {&p->values, &p->master})
            for (float& x : *v) {
                uint32_t bits = 0;
                for (int b = 0; b < 4; ++b) bits |= uint32_t{bytes[at++]} << (8 * b);
                std::memcpy(&x, &bits, sizeof x);
            }
}

void write_file_atomic(const std::string& path, const void* data, size_t size) {
    const std::string tmp = path + ".tmp";
    std::FILE* f = std::fopen(tmp.c_str(), "wb");
    if (!f) throw UserError(path + ": cannot write: " + std::strerror(errno));
    const bool ok = std::fwrite(data, 1, size, f) == size;
    const bool closed = std::fclose(f) == 0;
    if (!ok || !closed) {
        std::remove(tmp.c_str());
        throw UserError(path + ": write failed");
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        const int err = errno;
        std::remove(tmp.c_str());
        throw UserError(path + ": cannot rename " + tmp + ": " + std::strerror(err));
    }
}

}  // namespace trainvp::kern
