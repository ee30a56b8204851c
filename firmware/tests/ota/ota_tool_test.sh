#!/usr/bin/env bash
# Images from firmware/tools/obl_image.py, checked by the firmware's OTA manager (ota_check) and by the tool's
# own inspect: both must agree on good, tampered, wrongly signed, unsigned and wrong-board images.
#   ota_tool_test.sh <python> <obl_image.py> <ota_check> <workdir>
set -euo pipefail
PY=$1 TOOL=$2 CHECK=$3 W=$4
rm -rf "$W" && mkdir -p "$W" && cd "$W"
fail=0
expect() { # expect <want> <image> [pubkey]
  local got
  got=$("$CHECK" flash posix-sim "$2" ${3:-} || true)
  if [[ "$got" == "$1" ]]; then echo "ok   $2 -> $got"; else echo "FAIL $2: want $1, got $got"; fail=1; fi
}
head -c 70000 /dev/urandom > payload.bin
PUB=$("$PY" "$TOOL" keygen --out key.pem)
OTHER=$("$PY" "$TOOL" keygen --out other.pem)
"$PY" "$TOOL" build --board posix-sim --version 1.2.3 --payload payload.bin --out signed.obli --key key.pem >/dev/null
"$PY" "$TOOL" build --board posix-sim --version 1.2.3 --payload payload.bin --out plain.obli >/dev/null
"$PY" "$TOOL" build --board sm-028-v1.3 --version 1.2.3 --payload payload.bin --out board.obli >/dev/null
"$PY" "$TOOL" build --board posix-sim --version 1.2.4 --payload payload.bin --out counter.obli --key key.pem \
  --security-counter 3 >/dev/null
cp signed.obli tampered.obli
printf '\x00' | dd of=tampered.obli bs=1 seek=30000 conv=notrunc status=none
printf '\xfd7zXZ\x00' > body.xz && head -c 30000 /dev/urandom >> body.xz
"$PY" "$TOOL" bl60x --body body.xz --hw posix-sim --sw 1.2.3 --out signed.ota --key key.pem >/dev/null
"$PY" "$TOOL" bl60x --body body.xz --hw posix-sim --sw 1.2.3 --out plain.ota >/dev/null

expect ok signed.obli "$PUB"
expect ok plain.obli
expect ok signed.obli
expect unsigned plain.obli "$PUB"
expect bad_signature signed.obli "$OTHER"
expect hash_mismatch tampered.obli
expect wrong_board board.obli
expect ok counter.obli "$PUB"
expect ok signed.ota "$PUB"
expect ok plain.ota
expect unsigned plain.ota "$PUB"
expect bad_signature signed.ota "$OTHER"

"$PY" "$TOOL" inspect signed.obli --pubkey "$PUB" >/dev/null || { echo "FAIL inspect good"; fail=1; }
"$PY" "$TOOL" inspect signed.ota --pubkey "$PUB" >/dev/null || { echo "FAIL inspect good bl60x"; fail=1; }
if "$PY" "$TOOL" inspect tampered.obli >/dev/null; then echo "FAIL inspect missed tampering"; fail=1; fi
if "$PY" "$TOOL" inspect signed.obli --pubkey "$OTHER" >/dev/null; then echo "FAIL inspect wrong key"; fail=1; fi
"$PY" "$TOOL" inspect counter.obli | grep -x "security_counter: 3" >/dev/null || { echo "FAIL counter not shown"; fail=1; }
"$PY" "$TOOL" bl60x --body body.xz --hw posix-sim --sw 1.2.4 --out counter.ota --security-counter 9 >/dev/null
"$PY" "$TOOL" inspect counter.ota | grep -x "security_counter: 9" >/dev/null || { echo "FAIL bl60x counter not shown"; fail=1; }
expect ok counter.ota
exit $fail
