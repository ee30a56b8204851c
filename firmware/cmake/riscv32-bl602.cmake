# Cross toolchain for the BL602's core (RV32IMAFC, hard single float), using Debian's
# gcc-riscv64-unknown-elf with picolibc. Programs link for qemu's "virt" machine with semihosting,
# so unit tests print and return their exit code through qemu-system-riscv32 (see qemu-run.sh).
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR riscv32)
set(CMAKE_C_COMPILER riscv64-unknown-elf-gcc)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

set(OBL_RV_ARCH "-march=rv32imafc -mabi=ilp32f")
set(CMAKE_C_FLAGS_INIT "${OBL_RV_ARCH} --specs=picolibc.specs -ffunction-sections -fdata-sections")
set(CMAKE_EXE_LINKER_FLAGS_INIT
  "--oslib=semihost --crt0=semihost -Wl,--gc-sections \
-Wl,--defsym=__flash=0x80000000 -Wl,--defsym=__flash_size=0x00400000 \
-Wl,--defsym=__ram=0x80400000 -Wl,--defsym=__ram_size=0x00400000 -Wl,--defsym=__stack_size=0x10000")
set(CMAKE_CROSSCOMPILING_EMULATOR ${CMAKE_CURRENT_LIST_DIR}/qemu-run.sh)
