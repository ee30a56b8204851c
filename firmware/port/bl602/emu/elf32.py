"""The parts of a little-endian ELF32 executable the emulator needs: loadable segments and symbols.

Small on purpose (no DWARF, no relocations): the image is a statically linked EXEC file.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

PT_LOAD = 1
SHT_SYMTAB = 2
EM_RISCV = 243


@dataclass(frozen=True)
class Segment:
    vaddr: int
    paddr: int
    data: bytes  # file contents (filesz); memsz beyond it is zero
    memsz: int


@dataclass(frozen=True)
class Symbol:
    name: str
    value: int
    size: int


class ElfError(ValueError):
    pass


class Elf32:
    def __init__(self, blob: bytes) -> None:
        if blob[:4] != b"\x7fELF" or blob[4] != 1 or blob[5] != 1:
            raise ElfError("not a little-endian ELF32 file")
        (machine,) = struct.unpack_from("<H", blob, 18)
        if machine != EM_RISCV:
            raise ElfError(f"ELF machine {machine}, expected RISC-V ({EM_RISCV})")
        (self.entry, phoff, shoff) = struct.unpack_from("<III", blob, 24)
        (phentsize, phnum, shentsize, shnum) = struct.unpack_from("<HHHH", blob, 42)
        self.segments: list[Segment] = []
        for i in range(phnum):
            p_type, off, vaddr, paddr, filesz, memsz = struct.unpack_from(
                "<IIIIII", blob, phoff + i * phentsize
            )
            if p_type == PT_LOAD and memsz > 0:
                self.segments.append(Segment(vaddr, paddr, blob[off : off + filesz], memsz))
        self.symbols: dict[str, Symbol] = {}
        for i in range(shnum):
            sh = struct.unpack_from("<IIIIIIIIII", blob, shoff + i * shentsize)
            if sh[1] != SHT_SYMTAB:
                continue
            sym_off, sym_size, link, entsize = sh[4], sh[5], sh[6], sh[9]
            str_sh = struct.unpack_from("<IIIIIIIIII", blob, shoff + link * shentsize)
            strtab = blob[str_sh[4] : str_sh[4] + str_sh[5]]
            for j in range(sym_size // entsize):
                name_off, value, size = struct.unpack_from("<III", blob, sym_off + j * entsize)
                end = strtab.index(b"\0", name_off)
                name = strtab[name_off:end].decode("ascii", "replace")
                # Keep the first definition: global names are unique; a local static that shares
                # a name with another file's is not one we look up.
                if name and name not in self.symbols:
                    self.symbols[name] = Symbol(name, value, size)

    @classmethod
    def load(cls, path: Path) -> Elf32:
        return cls(path.read_bytes())

    def addr(self, name: str) -> int:
        try:
            return self.symbols[name].value
        except KeyError:
            raise ElfError(f"symbol {name} not in the image") from None

    def sym(self, name: str) -> Symbol:
        try:
            return self.symbols[name]
        except KeyError:
            raise ElfError(f"symbol {name} not in the image") from None
