#include "kernels/dataset.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

#include <zlib.h>

#include "common/error.h"

namespace trainvp {
namespace {

namespace fs = std::filesystem;

// IDX magic: two zero bytes, the element type (0x08 = unsigned byte), the number of dimensions.
constexpr uint32_t kIdxImagesMagic = 0x00000803;
constexpr uint32_t kIdxLabelsMagic = 0x00000801;
constexpr uint64_t kIdxImagesHeaderBytes = 16;  // magic + count + rows + cols, big-endian u32 each
constexpr uint64_t kIdxLabelsHeaderBytes = 8;   // magic + count
constexpr uint32_t kNumClasses = 10;
constexpr uint32_t kCifarChannels = 3, kCifarRows = 32, kCifarCols = 32;
constexpr uint64_t kCifarRecordBytes = 1 + uint64_t{kCifarChannels} * kCifarRows * kCifarCols;  // 3073

[[noreturn]] void fail(const std::string& path, const std::string& reason) {
    throw UserError(path + ": " + reason);
}

std::string hex32(uint32_t value) {
    static const char digits[] = "0123456789abcdef";
    std::string text = "0x00000000";
    for (int i = 0; i < 8; ++i) text[9 - i] = digits[(value >> (4 * i)) & 0xf];
    return text;
}

uint32_t load_be32(const uint8_t* p) {
    return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | uint32_t{p[3]};
}

// A gzip file decompresses into memory up to this size; a larger one is refused (gunzip it to load it).
constexpr uint64_t kMaxGzipBytes = uint64_t{1} << 31;

// A file opened for reading, with its size taken before any byte is trusted. A gzip file (magic 1f 8b) is
// decompressed into memory whole (zlib, RFC 1952: every member, CRC-32 and length checked), and its offsets
// and size are those of the decompressed data.
class InputFile {
  public:
    explicit InputFile(const std::string& path) : path_(path) {
        std::error_code ec;
        const fs::file_status status = fs::status(path, ec);
        if (!fs::exists(status)) fail(path, "no such file");
        if (fs::is_directory(status)) fail(path, "is a directory, expected a file");
        stream_.open(path, std::ios::binary);
        if (!stream_) fail(path, std::string("cannot open: ") + std::strerror(errno));
        size_ = fs::file_size(path, ec);
        if (ec) fail(path, "cannot determine its size: " + ec.message());
        uint8_t magic[2] = {};
        if (size_ >= 2) read(0, magic, 2);
        if (magic[0] == 0x1f && magic[1] == 0x8b) decompress();
    }

    const std::string& path() const { return path_; }
    uint64_t size() const { return size_; }
    // Appended to a byte position in messages: which bytes the offsets count.
    const char* unit() const { return gzip_ ? " of the decompressed data" : ""; }

    void read(uint64_t offset, uint8_t* dst, uint64_t bytes) {
        if (gzip_) {  // bounds already checked against size(); memory cannot change under us
            std::memcpy(dst, inflated_.data() + offset, bytes);
            return;
        }
        stream_.seekg(static_cast<std::streamoff>(offset));
        stream_.read(reinterpret_cast<char*>(dst), static_cast<std::streamsize>(bytes));
        // The size was checked against the header, so a short read means the file changed or an I/O error.
        if (static_cast<uint64_t>(stream_.gcount()) != bytes)
            fail(path_, "read failed at byte " + std::to_string(offset + stream_.gcount()));
    }

  private:
    void decompress() {
        stream_.close();
        gzFile gz = gzopen(path_.c_str(), "rb");
        if (!gz) fail(path_, std::string("cannot open as gzip: ") + std::strerror(errno));
        gzbuffer(gz, 1 << 17);
        constexpr unsigned kChunk = 1 << 20;
        for (;;) {
            if (inflated_.size() >= kMaxGzipBytes) {
                gzclose(gz);
                fail(path_, "decompresses to more than " + std::to_string(kMaxGzipBytes) +
                                " bytes; decompress it with gunzip to load it");
            }
            const size_t at = inflated_.size();
            inflated_.resize(at + kChunk);
            const int got = gzread(gz, inflated_.data() + at, kChunk);
            int code = Z_OK;
            const char* message = gzerror(gz, &code);
            // gzread tolerates a stream cut short (Z_BUF_ERROR, for files still being written): not here.
            if (got < 0 || code != Z_OK) {
                std::string why = message;  // zlib writes "PATH: reason"; the path is already said
                if (why.compare(0, path_.size() + 2, path_ + ": ") == 0) why.erase(0, path_.size() + 2);
                gzclose(gz);
                fail(path_, "corrupt or truncated gzip stream after " + std::to_string(at + std::max(got, 0)) +
                                " decompressed bytes (zlib: " + why + ")");
            }
            inflated_.resize(at + static_cast<size_t>(got));
            if (got == 0) break;
        }
        gzclose(gz);
        inflated_.shrink_to_fit();
        gzip_ = true;
        size_ = inflated_.size();
    }

    std::string path_;
    std::ifstream stream_;
    uint64_t size_ = 0;
    bool gzip_ = false;
    std::vector<uint8_t> inflated_;
};

// Names what a wrong magic most likely is, so the message says how to fix it.
std::string describe_magic(uint32_t magic, uint32_t expected) {
    if ((magic >> 16) == 0x1f8b) return " (a gzip stream inside the gzip stream: compressed twice?)";
    if (magic == kIdxImagesMagic) return " (an IDX image file: are the image and label paths swapped?)";
    if (magic == kIdxLabelsMagic) return " (an IDX label file: are the image and label paths swapped?)";
    if ((magic >> 16) != 0) return " (not an IDX file)";
    const uint32_t type = (magic >> 8) & 0xff, dims = magic & 0xff;
    if (type != 0x08)
        return " (IDX element type " + hex32(type).replace(2, 6, "") +
               "; only unsigned bytes, 0x08, are supported)";
    return " (IDX with " + std::to_string(dims) + " dimensions, expected " + std::to_string(expected & 0xff) +
           ")";
}

// Reads the big-endian u32 header of an IDX file: the magic and one size per dimension.
std::vector<uint32_t> read_idx_header(InputFile& file, uint32_t expected_magic, uint64_t header_bytes,
                                      const char* what) {
    if (file.size() < 4)
        fail(file.path(), "truncated at byte " + std::to_string(file.size()) + file.unit() + ": not an IDX " + what +
                              " file (header needs " + std::to_string(header_bytes) + " bytes)");
    uint8_t raw[16] = {};
    file.read(0, raw, 4);
    const uint32_t magic = load_be32(raw);
    if (magic != expected_magic)
        fail(file.path(), "wrong magic " + hex32(magic) + ", expected " + hex32(expected_magic) +
                              " for IDX " + what + describe_magic(magic, expected_magic));
    if (file.size() < header_bytes)
        fail(file.path(), "truncated at byte " + std::to_string(file.size()) + file.unit() + " inside the " +
                              std::to_string(header_bytes) + "-byte IDX header");
    file.read(4, raw + 4, header_bytes - 4);
    std::vector<uint32_t> dims;
    for (uint64_t at = 4; at < header_bytes; at += 4) dims.push_back(load_be32(raw + at));
    return dims;
}

// Holds the file to exactly the size its header implies: short is truncation, long is a wrong header.
void check_size(const InputFile& file, uint64_t expected, const std::string& layout) {
    if (file.size() < expected)
        fail(file.path(), "truncated at byte " + std::to_string(file.size()) + file.unit() + ": header implies " + layout +
                              " = " + std::to_string(expected) + " bytes");
    if (file.size() > expected)
        fail(file.path(), std::string(file.unit()[0] ? "decompressed data is " : "file is ") +
                              std::to_string(file.size()) + " bytes, " +
                              std::to_string(file.size() - expected) + " more than the " +
                              std::to_string(expected) + " its header implies (" + layout + ")");
}

}  // namespace

Dataset load_mnist_idx(const std::string& images_path, const std::string& labels_path, uint32_t limit) {
    InputFile images(images_path);
    InputFile labels(labels_path);

    const std::vector<uint32_t> image_dims =
        read_idx_header(images, kIdxImagesMagic, kIdxImagesHeaderBytes, "images");
    const uint32_t image_count = image_dims[0], rows = image_dims[1], cols = image_dims[2];
    const std::string shape = std::to_string(rows) + "x" + std::to_string(cols);
    if (image_count == 0) fail(images_path, "header declares 0 images");
    if (rows == 0 || cols == 0) fail(images_path, "header declares an empty image size " + shape);
    const uint64_t image_bytes = uint64_t{rows} * cols;
    if (image_bytes > (std::numeric_limits<uint64_t>::max() - kIdxImagesHeaderBytes) / image_count)
        fail(images_path, "header declares " + std::to_string(image_count) + " images of " + shape +
                              ", more bytes than any file can hold");
    check_size(images, kIdxImagesHeaderBytes + image_count * image_bytes,
               "16-byte header + " + std::to_string(image_count) + " images of " + shape);

    const uint32_t label_count = read_idx_header(labels, kIdxLabelsMagic, kIdxLabelsHeaderBytes, "labels")[0];
    check_size(labels, kIdxLabelsHeaderBytes + label_count,
               "8-byte header + " + std::to_string(label_count) + " labels");
    if (label_count != image_count)
        fail(labels_path, "holds " + std::to_string(label_count) + " labels but " + images_path + " holds " +
                              std::to_string(image_count) + " images");

    std::vector<uint8_t> all_labels(label_count);
    labels.read(kIdxLabelsHeaderBytes, all_labels.data(), label_count);
    for (uint32_t i = 0; i < label_count; ++i)
        if (all_labels[i] >= kNumClasses)
            fail(labels_path, "bad label " + std::to_string(all_labels[i]) + " at index " +
                                  std::to_string(i) + " (labels must be 0.." +
                                  std::to_string(kNumClasses - 1) + ")");

    Dataset data;
    data.count = (limit > 0 && limit < image_count) ? limit : image_count;
    data.channels = 1;
    data.rows = rows;
    data.cols = cols;
    data.num_classes = kNumClasses;
    data.images.resize(data.count * image_bytes);
    images.read(kIdxImagesHeaderBytes, data.images.data(), data.images.size());
    data.labels.assign(all_labels.begin(), all_labels.begin() + data.count);
    data.source = "idx:" + images_path + "," + labels_path;
    return data;
}

Dataset load_cifar10_bin(const std::vector<std::string>& batch_files, uint32_t limit) {
    if (batch_files.empty()) throw UserError("CIFAR-10: no batch files given");

    // Every file is opened and sized before any record is read, so a bad later file fails early.
    std::vector<InputFile> files;
    files.reserve(batch_files.size());
    uint64_t total = 0;
    for (const std::string& path : batch_files) {
        files.emplace_back(path);
        const uint64_t size = files.back().size();
        if (size == 0)
            fail(path,
                 "empty file, expected CIFAR-10 records of " + std::to_string(kCifarRecordBytes) + " bytes");
        if (size % kCifarRecordBytes != 0)
            fail(path, "truncated at byte " + std::to_string(size) + files.back().unit() + ": its last record has " +
                           std::to_string(size % kCifarRecordBytes) + " of " +
                           std::to_string(kCifarRecordBytes) + " bytes");
        total += size / kCifarRecordBytes;
    }
    if (total > std::numeric_limits<uint32_t>::max())
        throw UserError("CIFAR-10: " + std::to_string(total) +
                        " records in all, more than a dataset can hold");

    Dataset data;
    data.count = (limit > 0 && limit < total) ? limit : static_cast<uint32_t>(total);
    data.channels = kCifarChannels;
    data.rows = kCifarRows;
    data.cols = kCifarCols;
    data.num_classes = kNumClasses;
    data.images.resize(uint64_t{data.count} * data.image_bytes());
    data.labels.resize(data.count);
    data.source = "cifar10:";

    std::vector<uint8_t> record(kCifarRecordBytes);
    uint32_t next = 0;
    for (InputFile& file : files) {
        data.source += (&file == &files.front() ? "" : ",") + file.path();
        const uint64_t records = file.size() / kCifarRecordBytes;
        for (uint64_t r = 0; r < records && next < data.count; ++r, ++next) {
            file.read(r * kCifarRecordBytes, record.data(), kCifarRecordBytes);
            if (record[0] >= kNumClasses)
                fail(file.path(), "bad label " + std::to_string(record[0]) + " at index " +
                                      std::to_string(r) + " (labels must be 0.." +
                                      std::to_string(kNumClasses - 1) + ")");
            data.labels[next] = record[0];
            std::memcpy(data.images.data() + uint64_t{next} * data.image_bytes(), record.data() + 1,
                        kCifarRecordBytes - 1);
        }
    }
    return data;
}

}  // namespace trainvp
