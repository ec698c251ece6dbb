/* UART register layout, shared by the model and the firmware. Offsets from the UART base. */
#ifndef TRAINVP_PERIPH_UART_REGS_H
#define TRAINVP_PERIPH_UART_REGS_H

#define UART_REG_TXDATA 0x00 /* write: low byte is transmitted; read: 0 */
#define UART_REG_STATUS 0x04 /* read-only */
#define UART_STATUS_TX_READY 0x1 /* the transmitter accepts a byte (always set: TX never stalls) */

#endif
