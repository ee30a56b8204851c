#!/bin/sh
# Runs one rv32imafc semihosting program under qemu and passes its exit code through.
# sifive-e34 is RV32IMAFC, the same ISA as the BL602's SiFive E24 core.
prog=$1; shift
args="arg=$prog"
for a in "$@"; do args="$args,arg=$a"; done
exec timeout 600 qemu-system-riscv32 -M virt -cpu sifive-e34 -m 16M -nographic -bios none \
  -monitor none -serial none -semihosting-config "enable=on,target=native,$args" -kernel "$prog"
