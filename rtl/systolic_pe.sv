// One processing element of rtl/systolic_array.sv (see there for the dataflows and the timing).
module systolic_pe #(
    parameter int DATA_W = 16,
    parameter int ACC_W  = 64
) (
    input  logic                     clk,
    input  logic                     rst,
    input  logic                     mode_ws,
    input  logic [7:0]               acc_bits,
    input  logic                     row_used,    // the PE's row takes part in this fold
    input  logic                     used,        // the PE takes part in this fold
    input  logic                     start,
    input  logic                     preload,
    input  logic                     shadow_shift,
    input  logic                     weight_push,
    input  logic                     load_col,    // os: the column's sums are final; load the drain chain
    input  logic signed [DATA_W-1:0] h_in,        // horizontal operand from the left
    input  logic                     h_in_v,
    input  logic signed [DATA_W-1:0] v_in,        // vertical operand from above (os)
    input  logic                     v_in_v,
    input  logic                     v_in_last,
    input  logic signed [ACC_W-1:0]  p_in,        // partial sum from above (ws)
    input  logic                     p_in_v,
    input  logic signed [DATA_W-1:0] w_in,        // weight chain from above (ws)
    input  logic signed [ACC_W-1:0]  shadow_in,   // shadow chain from above (os)
    input  logic signed [ACC_W-1:0]  drain_in,    // drain chain from below (os)
    input  logic                     drain_in_v,
    output logic signed [DATA_W-1:0] h_q,
    output logic                     h_v,
    output logic signed [DATA_W-1:0] v_q,
    output logic                     v_v,
    output logic                     v_last,
    output logic signed [ACC_W-1:0]  p_q,
    output logic                     p_v,
    output logic signed [DATA_W-1:0] w_q,
    output logic signed [ACC_W-1:0]  shadow_q,
    output logic signed [ACC_W-1:0]  drain_q,
    output logic                     drain_v,
    output logic                     mac,         // a multiply-accumulate happens this cycle
    output logic                     last_mac,    // ... and it is the last of the reduction (os)
    output logic signed [ACC_W-1:0]  sum,         // its saturated result
    output logic                     skew_err     // only one of the two operands arrived
);

    logic signed [ACC_W-1:0]    acc_q, base, acc_next, wide, raw_sum, hi, lo;
    logic signed [2*DATA_W-1:0] product;
    logic                       overflow;

    assign mac      = used && h_in_v && (mode_ws ? p_in_v : v_in_v);
    assign last_mac = mac && !mode_ws && v_in_last;
    assign skew_err = used && (h_in_v != (mode_ws ? p_in_v : v_in_v));
    assign product  = mode_ws ? w_q * h_in : h_in * v_in;
    assign base     = mode_ws ? p_in : !start ? acc_q : preload ? shadow_q : '0;

    // base + product exactly, saturated at acc_bits bits (two's complement), as num::acc_add.
    assign wide     = ACC_W'(product);
    assign raw_sum  = base + wide;
    assign overflow = (base[ACC_W-1] == wide[ACC_W-1]) && (raw_sum[ACC_W-1] != base[ACC_W-1]);
    assign hi       = $signed((ACC_W'(1) << (acc_bits - 8'd1)) - ACC_W'(1));
    assign lo       = ~hi;
    assign sum      = overflow ? (wide[ACC_W-1] ? lo : hi) : raw_sum > hi ? hi : raw_sum < lo ? lo : raw_sum;
    assign acc_next = mac ? sum : base;

    always_ff @(posedge clk) begin
        h_q    <= h_in;
        v_q    <= v_in;
        v_last <= v_in_last;
        p_q    <= sum;
        if (!mode_ws) acc_q <= acc_next;
        if (weight_push) w_q <= w_in;
        if (shadow_shift) shadow_q <= shadow_in;
        if (rst) begin
            h_v     <= 1'b0;
            v_v     <= 1'b0;
            p_v     <= 1'b0;
            drain_v <= 1'b0;
        end else begin
            h_v <= h_in_v;
            v_v <= v_in_v;
            p_v <= mode_ws && mac;
            // Drain chain: loaded with the column's final sums, then shifted up one row per cycle.
            drain_v <= load_col ? row_used : drain_in_v;
        end
        drain_q <= load_col ? acc_next : drain_in;
    end

endmodule
