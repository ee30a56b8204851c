"""The BL602 emulator boot test: `python -m emu` with firmware/port/bl602 on PYTHONPATH
(scripts/boot-bl602 does that)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .boot_test import Budgets, problems, run, table


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="boot-bl602", description=__doc__)
    ap.add_argument("--elf", type=Path, default=Path("build/bl602/openbl602_plug.elf"))
    ap.add_argument("--flash", type=Path, default=Path("build/bl602/openbl602_plug-factory-2M.bin"))
    default_rom = os.environ.get("OBL_BL602_ROM") or (
        os.environ["BL60X_SDK_PATH"] + "/rom/bl602_rom.bin"
        if "BL60X_SDK_PATH" in os.environ
        else None
    )
    ap.add_argument(
        "--rom",
        type=Path,
        default=default_rom,
        required=default_rom is None,
        help="BL602 mask ROM dump (default $OBL_BL602_ROM, $BL60X_SDK_PATH/rom/bl602_rom.bin)",
    )
    ap.add_argument("--seconds", type=float, default=31.0, help="simulated time of boot 1")
    ap.add_argument("--reboot-seconds", type=float, default=3.0, help="simulated time of boot 2")
    ap.add_argument("--echo", action="store_true", help="print the UART output as it comes")
    ap.add_argument("--log", type=Path, help="write both boots' UART output here")
    args = ap.parse_args(argv)

    boots, _flash = run(
        args.elf, args.flash, args.rom, args.seconds, args.reboot_seconds, echo=args.echo
    )
    if args.log:
        args.log.write_text(
            "".join(f"==== {b.label} ====\n" + "\n".join(b.log) + "\n" for b in boots)
        )
    print(table(boots))
    found = problems(boots, Budgets())
    for p in found:
        print(f"FAIL: {p}")
    if found:
        for b in boots:
            print(f"---- {b.label}: last UART lines ----")
            print("\n".join(b.log[-15:]))
        return 1
    print("PASS: BL602 image boots in the emulator")
    return 0


if __name__ == "__main__":
    sys.exit(main())
