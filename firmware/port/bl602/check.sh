#!/usr/bin/env bash
# Compile-checks the BL602 port against a bl_iot_sdk tree, without the SDK's toolchain or build:
#   BL602_SDK=/path/to/bl_iot_sdk firmware/port/bl602/check.sh
# The SDK (bouffalolab/bl_iot_sdk or OpenBeken's fork openshwprojects/OpenBL602; the large binary blobs
# are not needed) is only read: include paths come from its own component makefiles (bouffalo.mk), the
# global defines are the ones its make scripts pass. Each file under src/ is compiled with -c -Werror
# by Debian's riscv64-unknown-elf-gcc + picolibc, for rv32imafc and for the SDK's own -march=rv32imfc;
# the core's module sources are compiled the same way, since the SDK build compiles them in this
# environment too. Then the port's global symbols are checked against definitions in the SDK sources
# (a clash is a link error in the real build). Nothing is fetched, built or installed; CI does not run it.
# Exit status: 0 when everything compiled and no clash was found.
#
# First, without any SDK: test/port_boot_test.c runs src/port_flash.c and src/port_boot.c unchanged on the host
# (ASan/UBSan) against test/sim_sdk.c, a model of boot2's partition table and NOR flash with power cuts.
# BL602_SDK unset → only that host test runs.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
CORE=$(cd "$HERE/../../core" && pwd)
CC=${CC:-riscv64-unknown-elf-gcc}
HOST_CC=${HOST_CC:-gcc}
OUT=${CHECK_OUT:-$(mktemp -d /tmp/bl602-check.XXXXXX)}
mkdir -p "$OUT"

echo "-- host test: port_flash.c + port_boot.c against the simulated partition table and flash"
XZ_ARG=()
if command -v xz >/dev/null; then
  # an XZ stream as boot2 takes it (CRC32 check, 32 KiB dictionary), from non-repeating bytes
  (cat "$HERE"/src/*.c; head -c 65536 /dev/urandom) | xz --check=crc32 --lzma2=dict=32KiB -c >"$OUT/test.xz"
  XZ_ARG=("$OUT/test.xz")
fi
"$HOST_CC" -std=gnu11 -g -O1 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -fsanitize=address,undefined \
  -I"$HERE/test/stubs" -I"$HERE/test" -I"$HERE/src" -I"$CORE" -I"$CORE/../tests" \
  "$HERE/test/port_boot_test.c" "$HERE/test/sim_sdk.c" "$HERE/src/port_boot.c" "$HERE/src/port_flash.c" \
  "$CORE/store/crc32.c" "$CORE/../tests/unit/unit.c" -o "$OUT/port_boot_test"
host_ok=1
"$OUT/port_boot_test" "${XZ_ARG[@]}" || host_ok=0

if [ -z "${BL602_SDK:-}" ]; then
  echo "BL602_SDK not set: SDK compile check skipped"
  [ "$host_ok" = 1 ]
  exit
fi
SDK=$(cd "$BL602_SDK" && pwd)

[ -d "$SDK/components" ] && [ -f "$SDK/make_scripts_riscv/project.mk" ] || {
  echo "check.sh: $SDK does not look like a bl_iot_sdk tree" >&2
  exit 2
}

# Component list: the same file the real Makefile includes.
COMPONENTS=$(make -s --no-print-directory -f - <<EOF
include $HERE/sdk_components.mk
all: ; @echo \$(OBL_SDK_COMPONENTS)
EOF
)

# Each component's exported include dirs, evaluated by make from its bouffalo.mk as the SDK does
# (COMPONENT_ADD_INCLUDEDIRS starts as ". include" and components append to it).
INCS=()
COMP_DIRS=()
for comp in $COMPONENTS; do
  dir=""
  while IFS= read -r cand; do
    if [ -f "$cand/bouffalo.mk" ]; then dir=$cand; break; fi
  done < <(find "$SDK/components" -type d -name "$comp" | sort)
  if [ -z "$dir" ]; then
    echo "check.sh: SDK component '$comp' not found under $SDK/components" >&2
    exit 2
  fi
  COMP_DIRS+=("$dir")
  for inc in $(make -s --no-print-directory -f - COMPONENT_PATH="$dir" BL60X_SDK_PATH="$SDK" \
    CONFIG_CHIP_NAME=BL602 PROJECT_BOARD=evb <<'EOF'
COMPONENT_ADD_INCLUDEDIRS := . include
include $(COMPONENT_PATH)/bouffalo.mk
all: ; @echo $(abspath $(addprefix $(COMPONENT_PATH)/,$(COMPONENT_ADD_INCLUDEDIRS)))
EOF
  ); do
    # -isystem: the SDK's headers are not held to our warning flags, our sources are.
    [ -d "$inc" ] && INCS+=("-isystem" "$inc")
  done
done

# Global defines of make_scripts_riscv/project.mk and the components' Makefile.projbuild files, with
# the values of our proj_config.mk.
DEFS=(-D_GNU_SOURCE -DARCH_RISCV -DBL602 -DPLATFORM_BL602=1 '-DBL_CHIP_NAME="BL602"' '-DBL_SDK_VER="check"'
  '-DMBEDTLS_CONFIG_FILE="mbedtls_sample_config.h"' -DCONFIG_MBEDTLS_SHA1_USE_HW=1
  -DCONFIG_MBEDTLS_SHA256_USE_HW=1 -DCONFIG_MBEDTLS_AES_USE_HW=1 -DCONFIG_MBEDTLS_ECC_USE_HW=1
  -DOBL_LWIP -DSYS_APP_TASK_STACK_SIZE=8192 -DSYS_APP_TASK_PRIORITY=15 -DCFG_COMPONENT_BLOG_ENABLE=0)

# The C library: the SDK toolchain's own newlib headers when the tree has them (its compiler binaries
# are not needed), otherwise picolibc.
NEWLIB_INC="$SDK/toolchain/riscv/Linux/riscv64-unknown-elf/include"
if [ -f "$NEWLIB_INC/_newlib_version.h" ]; then
  GCC_INC=$("$CC" -print-file-name=include)
  LIBC_FLAGS="-nostdinc -isystem $GCC_INC -isystem $GCC_INC-fixed -isystem $NEWLIB_INC"
  LIBC_NAME="the SDK toolchain's newlib $(sed -n 's/.*_NEWLIB_VERSION "\(.*\)".*/\1/p' "$NEWLIB_INC/_newlib_version.h") headers"
else
  LIBC_FLAGS="--specs=picolibc.specs"
  LIBC_NAME="picolibc (the SDK tree has no toolchain headers)"
fi

WARN=(-Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-unused-parameter)
# shellcheck disable=SC2206
COMMON=($LIBC_FLAGS -misa-spec=2.2 -std=gnu11 -Os -ffunction-sections -fdata-sections
  -ffp-contract=off -fno-common)

fail=0
[ "$host_ok" = 1 ] || fail=1
core_fail=0
compile() { # kind march abi src obj [extra flags...]
  local kind=$1 march=$2 abi=$3 src=$4 obj=$5
  shift 5
  if ! "$CC" -march="$march" -mabi="$abi" "${COMMON[@]}" "$@" "${DEFS[@]}" \
    -I"$HERE/src" -I"$HERE/include" -I"$CORE" "${INCS[@]}" -c "$src" -o "$obj" 2>"$obj.log"; then
    echo "FAIL  $march  ${src#"$HERE"/}"
    sed 's/^/      /' "$obj.log" | head -${LOG_LINES:-40}
    if [ "$kind" = port ]; then fail=1; else core_fail=1; fi
    return 1
  fi
  echo "ok    $march  ${src#"$HERE"/}"
}

SDK_REV=$( (git -C "$SDK" rev-parse --short HEAD 2>/dev/null ||
  sed -n 's/.*BL_SDK_VER=\\"\([^\\]*\)\\".*/\1/p' "$SDK/version.mk" 2>/dev/null) | head -1)
echo "SDK: $SDK (${SDK_REV:-unknown revision}); compiler: $("$CC" --version | head -1); C library: $LIBC_NAME"
echo "include dirs from $(echo "$COMPONENTS" | wc -w) SDK components: $((${#INCS[@]} / 2))"

for march in rv32imafc rv32imfc; do
  mkdir -p "$OUT/$march"
  echo "-- port ($march)"
  for src in "$HERE"/src/*.c; do
    compile port "$march" ilp32f "$src" "$OUT/$march/$(basename "$src" .c).o" "${WARN[@]}" || true
  done
  # The core against the SDK's include path. Informational (not this port's code); with picolibc in place
  # of the SDK's newlib a failure may be a libc clash the real build does not have.
  echo "-- core under the SDK's include path ($march, informational)"
  for src in "$CORE"/*/*.c; do
    [ -f "$(dirname "$src")/CMakeLists.txt" ] || continue
    mod=$(basename "$(dirname "$src")")
    compile core "$march" ilp32f "$src" "$OUT/$march/core_${mod}_$(basename "$src" .c).o" "${WARN[@]}" || true
  done
done

# Port symbols that the SDK also defines would be duplicate definitions at link time.
echo "symbol clash check (port objects against function definitions in the linked SDK components):"
clash=0
for obj in "$OUT"/rv32imafc/port_*.o "$OUT"/rv32imafc/main.o; do
  [ -f "$obj" ] || continue
  for sym in $(riscv64-unknown-elf-nm -g --defined-only "$obj" | awk '$2 ~ /[TDBR]/ {print $3}'); do
    # main() is the app's by design: bfl_main.c calls it; the SDK's own main()s are host test tools.
    [ "$sym" = main ] && continue
    hits=$(grep -rlE "^[A-Za-z_][A-Za-z0-9_ \*]*[ \*]${sym}[[:space:]]*\([^;]*$" --include='*.c' \
      "${COMP_DIRS[@]}" 2>/dev/null | grep -Ev '/(bl702|bl808|bl606p|bl616)' | head -3 || true)
    if [ -n "$hits" ]; then
      echo "CLASH $sym ($(basename "$obj")) also defined in: $hits"
      clash=1
    fi
  done
done
[ "$clash" = 0 ] && echo "ok    no port symbol is defined by the SDK"

# Every symbol the port needs must be defined by the port, the core, the C library or one of the SDK
# components we link (a C or assembly definition in their sources): catches a component missing from
# sdk_components.mk or an API declared in a header but not built. (The SDK's binary blobs are not searched;
# the port calls none of them directly.)
echo "link closure (port's undefined symbols against the core, libc and the linked SDK components):"
DEFINED=$(riscv64-unknown-elf-nm -g --defined-only "$OUT"/rv32imafc/*.o 2>/dev/null | awk 'NF==3 {print $3}' | sort -u)
MULTI=$("$CC" -march=rv32imafc -mabi=ilp32f -print-multi-directory)
LIBC_A=$(find /usr/lib/picolibc -path "*/$MULTI/libc.a" 2>/dev/null | head -1 || true)
LIBC_SYMS=$( (riscv64-unknown-elf-nm -g --defined-only ${LIBC_A:+"$LIBC_A"} \
  "$("$CC" -march=rv32imafc -mabi=ilp32f -print-libgcc-file-name)" 2>/dev/null || true) | awk 'NF==3 {print $3}' | sort -u)
unresolved=0
for sym in $(riscv64-unknown-elf-nm -u "$OUT"/rv32imafc/port_*.o "$OUT"/rv32imafc/main.o | awk 'NF==2 {print $2}' | sort -u); do
  grep -qxF "$sym" <<<"$DEFINED" && continue
  grep -qxF "$sym" <<<"$LIBC_SYMS" && continue
  if ! grep -rqE "(^|[[:space:]*])${sym}[[:space:]]*\(|^${sym}:" --include='*.c' --include='*.S' --include='*.s' \
    "${COMP_DIRS[@]}" 2>/dev/null; then
    echo "UNRESOLVED $sym"
    unresolved=1
  fi
done
[ "$unresolved" = 0 ] && echo "ok    every SDK symbol the port uses is defined in a linked component" || fail=1

# hal_reboot() is the SDK's own (see src/port_system.c); make sure it still does what hal.h needs.
if grep -A3 -E '^void hal_reboot\(' "$SDK/components/platform/hosal/bl602_hal/hal_sys.c" | grep -q bl_sys_reset_por; then
  echo "ok    SDK hal_reboot() resets through bl_sys_reset_por()"
else
  echo "FAIL  SDK no longer defines hal_reboot() via bl_sys_reset_por(): port_system.c must provide it"
  fail=1
fi

# The same sources through the SDK's own make machinery (project.mk, component_wrapper.mk, our Makefile,
# proj_config.mk and openbl602_plug/bouffalo.mk), only the app component, with Debian's compiler and
# picolibc in place of the SDK's toolchain: proves the project wiring and the SDK's warning flags
# (-Wall -Werror=all -Wextra). Output stays under $OUT. CHECK_SDK_MAKE=0 skips it.
if [ "${CHECK_SDK_MAKE:-1}" = 1 ]; then
  echo "-- SDK make: component-openbl602_plug-build (port files must all compile; core informational)"
  rm -rf "$OUT/sdk-build"
  make -k -C "$HERE" -j2 BL60X_SDK_PATH="$SDK" CONFIG_CHIP_NAME=BL602 CONFIG_TOOLPREFIX="${CC%gcc}" \
    BUILD_DIR_BASE="$OUT/sdk-build" EXTRA_CFLAGS="$LIBC_FLAGS -misa-spec=2.2" \
    component-openbl602_plug-build >"$OUT/sdk-make.log" 2>&1 || true
  for src in "$HERE"/src/*.c; do
    obj="$OUT/sdk-build/openbl602_plug/src/$(basename "$src" .c).o"
    if [ -f "$obj" ]; then
      echo "ok    sdk-make  src/$(basename "$src")"
    else
      echo "FAIL  sdk-make  src/$(basename "$src") (see $OUT/sdk-make.log)"
      fail=1
    fi
  done
  for src in "$CORE"/*/*.c; do
    [ -f "$(dirname "$src")/CMakeLists.txt" ] || continue
    mod=$(basename "$(dirname "$src")")
    obj="$OUT/sdk-build/openbl602_plug/core/$mod/$(basename "$src" .c).o"
    [ -f "$obj" ] && echo "ok    sdk-make  core/$mod/$(basename "$src")" ||
      { echo "FAIL  sdk-make  core/$mod/$(basename "$src") (informational)"; core_fail=1; }
  done
fi

echo "objects and logs: $OUT"
[ "$core_fail" = 0 ] || echo "note: some core files did not compile under the SDK's headers (see above)"
[ "$fail" = 0 ] && [ "$clash" = 0 ]
