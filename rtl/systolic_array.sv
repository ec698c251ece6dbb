// Parameterised ROWS x COLS systolic array of integer multiply-accumulate PEs: the cycle reference of TrainVP's
// native PE-array timing model (docs/accelerator-timing.md "GEMMs on an R x C array" and "RTL reference").
//
// Every PE multiplies two signed DATA_W-bit operands exactly and adds the product to a signed ACC_W-bit sum that
// saturates at acc_bits (2..ACC_W) bits, as num::acc_add does for the kernels' integer domain. Operands and
// partial sums move one PE per cycle through one register. The array does not sequence a GEMM: the edge
// feeders (a sequencer, here the C++ test bench) inject the operands with the skew of the dataflow, and the
// array reports results on its result edge in the cycle they leave it. One fold of r x c used PEs at a time
// (rows_used, cols_used: the other PEs stay idle); folds do not overlap.
//
// Output stationary (mode_ws = 0): PE(i, j) accumulates one output. The horizontal operand (A) enters row i at
// the left edge, the vertical operand (B) column j at the top; a PE multiplies when both arrive together. The
// B element of the last reduction step carries north_last. When the bottom used PE of a column has done that
// last MAC, the column's sums are copied into a drain chain that shifts them out through the top edge (the
// result edge), row 0 first, one per cycle. Initial sums (bias, earlier partial sums) come from a shadow chain
// per column, filled from north_psum with shadow_shift while the previous fold runs and taken with start and
// preload in the fold's first cycle; without preload a fold starts from zero.
//
// Weight stationary (mode_ws = 1): weight_push shifts north_data into the top of each column's weight chain,
// the bottom row's weight first. The horizontal operand enters row i at the left edge; the partial sum of
// column j enters at the top (north_psum) and moves down one row per cycle, adding one product per row. The
// result edge is the output of the bottom used row's adder (row rows_used - 1), without a further register.
//
// start marks the first cycle of every fold: operands of the previous fold still in flight inside the array are
// dropped. error is sticky: a used PE saw only one of its two operands (the feeders broke the skew), or a
// column's results were overwritten before they had drained.
module systolic_array #(
    parameter int ROWS   = 4,
    parameter int COLS   = 4,
    parameter int DATA_W = 16,
    parameter int ACC_W  = 64
) (
    input  logic                     clk,
    input  logic                     rst,               // synchronous: clears valid bits and error
    // Fold configuration, constant during a fold.
    input  logic                     mode_ws,
    input  logic [7:0]               acc_bits,
    input  logic [15:0]              rows_used,         // 1..ROWS
    input  logic [15:0]              cols_used,         // 1..COLS
    // Per-cycle controls.
    input  logic                     start,
    input  logic                     preload,
    input  logic                     shadow_shift,
    input  logic                     weight_push,
    // Left edge.
    input  logic                     west_valid       [ROWS],
    input  logic signed [DATA_W-1:0] west_data        [ROWS],
    // Top edge.
    input  logic                     north_valid      [COLS],
    input  logic                     north_last       [COLS],
    input  logic signed [DATA_W-1:0] north_data       [COLS],
    input  logic                     north_psum_valid [COLS],
    input  logic signed [ACC_W-1:0]  north_psum       [COLS],
    // Result edge.
    output logic                     result_valid     [COLS],
    output logic signed [ACC_W-1:0]  result           [COLS],
    output logic                     error
);

    // acc + addend, saturated at `bits` bits (two's complement), exact for every ACC_W-bit acc.
    function automatic logic signed [ACC_W-1:0] sat_add(input logic signed [ACC_W-1:0] acc,
                                                        input logic signed [2*DATA_W-1:0] addend,
                                                        input logic [7:0] bits);
        logic signed [ACC_W-1:0] wide, sum, hi, lo;
        logic overflow;
        wide = ACC_W'(addend);
        sum = acc + wide;
        overflow = (acc[ACC_W-1] == wide[ACC_W-1]) && (sum[ACC_W-1] != acc[ACC_W-1]);
        hi = $signed((ACC_W'(1) << (bits - 8'd1)) - ACC_W'(1));
        lo = ~hi;
        if (overflow) return wide[ACC_W-1] ? lo : hi;
        if (sum > hi) return hi;
        if (sum < lo) return lo;
        return sum;
    endfunction

    // PE registers.
    logic signed [DATA_W-1:0] h_q      [ROWS][COLS];  // horizontal operand (A in os, streamed operand in ws)
    logic                     h_v      [ROWS][COLS];
    logic signed [DATA_W-1:0] v_q      [ROWS][COLS];  // vertical operand (B, os)
    logic                     v_v      [ROWS][COLS];
    logic                     v_last_q [ROWS][COLS];
    logic signed [ACC_W-1:0]  p_q      [ROWS][COLS];  // partial sum moving down (ws)
    logic                     p_v      [ROWS][COLS];
    logic signed [DATA_W-1:0] w_q      [ROWS][COLS];  // stationary weight (ws)
    logic signed [ACC_W-1:0]  acc_q    [ROWS][COLS];  // accumulator (os)
    logic signed [ACC_W-1:0]  shadow_q [ROWS][COLS];  // next fold's initial accumulator (os)
    logic signed [ACC_W-1:0]  drain_q  [ROWS][COLS];  // drain chain (os)
    logic                     drain_v  [ROWS][COLS];
    logic                     error_q;

    // What enters each PE this cycle, and what it computes.
    logic signed [DATA_W-1:0] h_in     [ROWS][COLS];
    logic                     h_in_v   [ROWS][COLS];
    logic signed [DATA_W-1:0] v_in     [ROWS][COLS];
    logic                     v_in_v   [ROWS][COLS];
    logic                     v_in_last[ROWS][COLS];
    logic signed [ACC_W-1:0]  p_in     [ROWS][COLS];
    logic                     p_in_v   [ROWS][COLS];
    logic                     mac      [ROWS][COLS];
    logic signed [ACC_W-1:0]  sum      [ROWS][COLS];
    logic signed [ACC_W-1:0]  acc_next [ROWS][COLS];
    logic                     skew_err [ROWS][COLS];
    logic                     load_col [COLS];
    logic                     overrun  [COLS];

    for (genvar i = 0; i < ROWS; i++) begin : g_row
        for (genvar j = 0; j < COLS; j++) begin : g_col
            logic used;
            logic signed [2*DATA_W-1:0] product;
            logic signed [ACC_W-1:0] base;
            assign used = (16'(i) < rows_used) && (16'(j) < cols_used);

            // Neighbours' registers, or the edge; at the start of a fold only the edges carry data.
            if (j == 0) begin : g_west
                assign h_in[i][j]   = west_data[i];
                assign h_in_v[i][j] = west_valid[i];
            end else begin : g_left
                assign h_in[i][j]   = h_q[i][j-1];
                assign h_in_v[i][j] = h_v[i][j-1] && !start;
            end
            if (i == 0) begin : g_north
                assign v_in[i][j]      = north_data[j];
                assign v_in_v[i][j]    = north_valid[j] && !mode_ws;
                assign v_in_last[i][j] = north_last[j];
                assign p_in[i][j]      = north_psum[j];
                assign p_in_v[i][j]    = north_psum_valid[j] && mode_ws;
            end else begin : g_above
                assign v_in[i][j]      = v_q[i-1][j];
                assign v_in_v[i][j]    = v_v[i-1][j] && !start;
                assign v_in_last[i][j] = v_last_q[i-1][j];
                assign p_in[i][j]      = p_q[i-1][j];
                assign p_in_v[i][j]    = p_v[i-1][j] && !start;
            end

            always_comb begin
                if (mode_ws) begin
                    mac[i][j]      = used && h_in_v[i][j] && p_in_v[i][j];
                    skew_err[i][j] = used && (h_in_v[i][j] != p_in_v[i][j]);
                    product        = w_q[i][j] * h_in[i][j];
                    base           = p_in[i][j];
                end else begin
                    mac[i][j]      = used && h_in_v[i][j] && v_in_v[i][j];
                    skew_err[i][j] = used && (h_in_v[i][j] != v_in_v[i][j]);
                    product        = h_in[i][j] * v_in[i][j];
                    base           = !start ? acc_q[i][j] : preload ? shadow_q[i][j] : '0;
                end
                sum[i][j]      = sat_add(base, product, acc_bits);
                acc_next[i][j] = mac[i][j] ? sum[i][j] : base;
            end

            always_ff @(posedge clk) begin
                h_q[i][j]      <= h_in[i][j];
                v_q[i][j]      <= v_in[i][j];
                v_last_q[i][j] <= v_in_last[i][j];
                p_q[i][j]      <= sum[i][j];
                if (!mode_ws) acc_q[i][j] <= acc_next[i][j];
                if (rst) begin
                    h_v[i][j] <= 1'b0;
                    v_v[i][j] <= 1'b0;
                    p_v[i][j] <= 1'b0;
                end else begin
                    h_v[i][j] <= h_in_v[i][j];
                    v_v[i][j] <= v_in_v[i][j];
                    p_v[i][j] <= mode_ws && mac[i][j];
                end
                if (weight_push) w_q[i][j] <= (i == 0) ? north_data[j] : w_q[i == 0 ? 0 : i-1][j];
                if (shadow_shift) shadow_q[i][j] <= (i == 0) ? north_psum[j] : shadow_q[i == 0 ? 0 : i-1][j];
                // Drain chain: loaded with the column's final sums, then shifted up one row per cycle.
                if (rst) drain_v[i][j] <= 1'b0;
                else if (load_col[j]) begin
                    drain_q[i][j] <= acc_next[i][j];
                    drain_v[i][j] <= 16'(i) < rows_used;
                end else begin
                    drain_q[i][j] <= (i + 1 < ROWS) ? drain_q[i + 1 < ROWS ? i + 1 : i][j] : '0;
                    drain_v[i][j] <= (i + 1 < ROWS) ? drain_v[i + 1 < ROWS ? i + 1 : i][j] : 1'b0;
                end
            end
        end
    end

    // A column's sums are final when its bottom used PE does the MAC that carries north_last (os).
    always_comb begin
        for (int j = 0; j < COLS; j++) begin
            load_col[j] = 1'b0;
            overrun[j] = 1'b0;
            for (int i = 0; i < ROWS; i++) begin
                if (!mode_ws && 16'(i) == rows_used - 16'd1 && mac[i][j] && v_in_last[i][j]) load_col[j] = 1'b1;
            end
            for (int i = 0; i < ROWS; i++) begin
                if (load_col[j] && drain_v[i][j]) overrun[j] = 1'b1;
            end
        end
    end

    // Result edge: the top of the drain chain (os) or the bottom used row's adder (ws).
    always_comb begin
        for (int j = 0; j < COLS; j++) begin
            result_valid[j] = !mode_ws && drain_v[0][j];
            result[j] = drain_q[0][j];
            if (mode_ws) begin
                for (int i = 0; i < ROWS; i++) begin
                    if (16'(i) == rows_used - 16'd1) begin
                        result_valid[j] = mac[i][j];
                        result[j] = sum[i][j];
                    end
                end
            end
        end
    end

    always_ff @(posedge clk) begin
        if (rst) error_q <= 1'b0;
        else begin
            for (int i = 0; i < ROWS; i++)
                for (int j = 0; j < COLS; j++)
                    if (skew_err[i][j]) error_q <= 1'b1;
            for (int j = 0; j < COLS; j++)
                if (overrun[j]) error_q <= 1'b1;
        end
    end
    assign error = error_q;

endmodule
