# The GDB session of docs/firmware-guide.md ("Debugging with GDB"), run by gdb-session.sh after
#   set architecture riscv:rv32 / set filename-display basename / target remote 127.0.0.1:PORT
# gdb-session.sh compares GDB's output with the transcript in the guide, so change both together.
break accumulate
continue
backtrace
print step
next
next
print sum
watch total
continue
delete 1
continue
continue
continue
