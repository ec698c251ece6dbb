// ArrayPins on a Verilated rtl/systolic_array.sv. V is the class Verilator generated for one ROWS x COLS
// (its header must be included first). Include this only where the Verilated model is linked.
#pragma once

#include <cstdint>
#include <memory>
#include <type_traits>
#include <utility>

#include "rtl/array_pins.h"

namespace trainvp::rtl {

template <class V>
class VerilatedPins final : public ArrayPins {
  public:
    VerilatedPins(uint32_t rows, uint32_t cols, int data_bits = 16, int acc_bits = 64)
        : rows_(rows),
          cols_(cols),
          data_bits_(data_bits),
          acc_bits_(acc_bits),
          model_(std::make_unique<V>()) {
        for (uint32_t i = 0; i < rows_; ++i) set_west(i, false, 0);
        for (uint32_t j = 0; j < cols_; ++j) {
            set_north(j, false, false, 0);
            set_north_psum(j, false, 0);
        }
        set_controls(false, false, false, false);
        set_fold(false, acc_bits_, rows_, cols_);
        model_->clk = 0;
        reset();
    }
    ~VerilatedPins() override { model_->final(); }
    VerilatedPins(const VerilatedPins&) = delete;
    VerilatedPins& operator=(const VerilatedPins&) = delete;

    uint32_t rows() const override { return rows_; }
    uint32_t cols() const override { return cols_; }
    int data_bits() const override { return data_bits_; }
    int acc_bits() const override { return acc_bits_; }

    void set_fold(bool weight_stationary, int saturate_bits, uint32_t rows_used,
                  uint32_t cols_used) override {
        model_->mode_ws = weight_stationary;
        model_->acc_bits = static_cast<uint8_t>(saturate_bits);
        model_->rows_used = static_cast<uint16_t>(rows_used);
        model_->cols_used = static_cast<uint16_t>(cols_used);
    }
    void set_controls(bool start, bool preload, bool shadow_shift, bool weight_push) override {
        model_->start = start;
        model_->preload = preload;
        model_->shadow_shift = shadow_shift;
        model_->weight_push = weight_push;
    }
    void set_west(uint32_t row, bool valid, int32_t data) override {
        model_->west_valid[row] = valid;
        model_->west_data[row] = pin_data(data);
    }
    void set_north(uint32_t col, bool valid, bool last, int32_t data) override {
        model_->north_valid[col] = valid;
        model_->north_last[col] = last;
        model_->north_data[col] = pin_data(data);
    }
    void set_north_psum(uint32_t col, bool valid, int64_t value) override {
        model_->north_psum_valid[col] = valid;
        model_->north_psum[col] = static_cast<uint64_t>(value) & acc_mask();
    }
    void eval() override {
        model_->clk = 0;
        model_->eval();
    }
    bool result(uint32_t col, int64_t& value) const override {
        if (!model_->result_valid[col]) return false;
        const uint64_t raw = static_cast<uint64_t>(model_->result[col]) & acc_mask();
        const uint64_t sign = uint64_t{1} << (acc_bits_ - 1);
        value = static_cast<int64_t>((raw ^ sign) - sign);  // sign-extend from ACC_W bits
        return true;
    }
    bool error() const override { return model_->error; }
    void clock() override {
        model_->clk = 1;
        model_->eval();
        model_->clk = 0;
        model_->eval();
    }
    void reset() override {
        model_->rst = 1;
        clock();
        model_->rst = 0;
        eval();
    }

  private:
    // Verilator holds a DATA_W-bit port in the smallest unsigned type that fits, upper bits zero.
    using DataWord = std::remove_reference_t<decltype(std::declval<V&>().west_data[0])>;
    DataWord pin_data(int32_t v) const {
        const uint64_t mask = (uint64_t{1} << data_bits_) - 1;
        return static_cast<DataWord>(static_cast<uint64_t>(static_cast<int64_t>(v)) & mask);
    }

    uint64_t acc_mask() const { return acc_bits_ >= 64 ? ~uint64_t{0} : (uint64_t{1} << acc_bits_) - 1; }

    uint32_t rows_, cols_;
    int data_bits_, acc_bits_;
    std::unique_ptr<V> model_;
};

}  // namespace trainvp::rtl
