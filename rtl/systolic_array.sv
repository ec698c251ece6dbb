// Parameterised ROWS x COLS systolic array of integer multiply-accumulate PEs: the cycle reference of TrainVP's
// native PE-array timing model (docs/accelerator-timing.md "GEMMs on an R x C array" and "RTL reference").
//
// Every PE (rtl/systolic_pe.sv) multiplies two signed DATA_W-bit operands exactly and adds the product to a
// signed ACC_W-bit sum that saturates at acc_bits (2..ACC_W) bits, as num::acc_add does for the kernels'
// integer domain. Operands and
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

    // Each PE's registered outputs, read by its neighbours.
    logic signed [DATA_W-1:0] h_q      [ROWS][COLS];
    logic                     h_v      [ROWS][COLS];
    logic signed [DATA_W-1:0] v_q      [ROWS][COLS];
    logic                     v_v      [ROWS][COLS];
    logic                     v_last   [ROWS][COLS];
    logic signed [ACC_W-1:0]  p_q      [ROWS][COLS];
    logic                     p_v      [ROWS][COLS];
    logic signed [DATA_W-1:0] w_q      [ROWS][COLS];
    logic signed [ACC_W-1:0]  shadow_q [ROWS][COLS];
    logic signed [ACC_W-1:0]  drain_q  [ROWS][COLS];
    logic                     drain_v  [ROWS][COLS];
    // Each PE's combinational outputs.
    logic                     mac      [ROWS][COLS];
    logic                     last_mac [ROWS][COLS];
    logic signed [ACC_W-1:0]  sum      [ROWS][COLS];
    logic                     skew_err [ROWS][COLS];
    logic                     load_col [COLS];
    logic                     overrun  [COLS];
    logic                     error_q;

    for (genvar i = 0; i < ROWS; i++) begin : g_row
        for (genvar j = 0; j < COLS; j++) begin : g_col
            // Neighbours' registers, or the edge; at the start of a fold only the edges carry data.
            logic signed [DATA_W-1:0] h_in, v_in, w_in;
            logic                     h_in_v, v_in_v, v_in_last, p_in_v, drain_in_v;
            logic signed [ACC_W-1:0]  p_in, shadow_in, drain_in;
            if (j == 0) begin : g_west
                assign h_in   = west_data[i];
                assign h_in_v = west_valid[i];
            end else begin : g_left
                assign h_in   = h_q[i][j-1];
                assign h_in_v = h_v[i][j-1] && !start;
            end
            if (i == 0) begin : g_north
                assign v_in      = north_data[j];
                assign v_in_v    = north_valid[j] && !mode_ws;
                assign v_in_last = north_last[j];
                assign p_in      = north_psum[j];
                assign p_in_v    = north_psum_valid[j] && mode_ws;
                assign w_in      = north_data[j];
                assign shadow_in = north_psum[j];
            end else begin : g_above
                assign v_in      = v_q[i-1][j];
                assign v_in_v    = v_v[i-1][j] && !start;
                assign v_in_last = v_last[i-1][j];
                assign p_in      = p_q[i-1][j];
                assign p_in_v    = p_v[i-1][j] && !start;
                assign w_in      = w_q[i-1][j];
                assign shadow_in = shadow_q[i-1][j];
            end
            if (i == ROWS - 1) begin : g_bottom
                assign drain_in   = '0;
                assign drain_in_v = 1'b0;
            end else begin : g_below
                assign drain_in   = drain_q[i+1][j];
                assign drain_in_v = drain_v[i+1][j];
            end

            systolic_pe #(.DATA_W(DATA_W), .ACC_W(ACC_W)) pe (
                .clk, .rst, .mode_ws, .acc_bits,
                .row_used(16'(i) < rows_used),
                .used((16'(i) < rows_used) && (16'(j) < cols_used)),
                .start, .preload, .shadow_shift, .weight_push,
                .load_col(load_col[j]),
                .h_in, .h_in_v, .v_in, .v_in_v, .v_in_last, .p_in, .p_in_v, .w_in, .shadow_in,
                .drain_in, .drain_in_v,
                .h_q(h_q[i][j]), .h_v(h_v[i][j]), .v_q(v_q[i][j]), .v_v(v_v[i][j]), .v_last(v_last[i][j]),
                .p_q(p_q[i][j]), .p_v(p_v[i][j]), .w_q(w_q[i][j]), .shadow_q(shadow_q[i][j]),
                .drain_q(drain_q[i][j]), .drain_v(drain_v[i][j]),
                .mac(mac[i][j]), .last_mac(last_mac[i][j]), .sum(sum[i][j]), .skew_err(skew_err[i][j]));
        end
    end

    // A column's sums are final when its bottom used PE does the MAC that carries north_last (os). Loading
    // a column whose drain chain still holds results would lose them.
    always_comb begin
        for (int j = 0; j < COLS; j++) begin
            load_col[j] = 1'b0;
            overrun[j] = 1'b0;
            for (int i = 0; i < ROWS; i++)
                if (!mode_ws && 16'(i) == rows_used - 16'd1 && last_mac[i][j]) load_col[j] = 1'b1;
            for (int i = 0; i < ROWS; i++)
                if (load_col[j] && drain_v[i][j]) overrun[j] = 1'b1;
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
