//! What an executable's header says it is: an ELF or PE program, and for which machine.
//! The client reads it before it starts a server, so that a 64-bit build where the
//! 32-bit server belongs is a clear error instead of "wrong ELF class" or a bad-format
//! failure; `loadlib::build` reads it before it replaces a file next to the program.
//! Portable: the formats are read the same on every system.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// An x86 program's file format and width, as its header gives them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ProgramKind {
    /// `ELF` or `PE`.
    pub format: &'static str,
    /// 32 or 64 (`None`: another machine than x86 or x86-64).
    pub bits: Option<u32>,
    /// The machine in words: `i386`, `x86-64`, or its number.
    pub machine: Machine,
}

/// The machine a program is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Machine {
    /// 32-bit x86.
    I386,
    /// 64-bit x86.
    X86_64,
    /// Any other, by the header's number.
    Other(u16),
}

impl ProgramKind {
    /// The kind a server for this OS of `bits` bits has.
    pub(crate) fn native(bits: u32) -> ProgramKind {
        let machine = if bits == 32 {
            Machine::I386
        } else {
            Machine::X86_64
        };
        ProgramKind {
            format: if cfg!(windows) { "PE" } else { "ELF" },
            bits: Some(bits),
            machine,
        }
    }
}

impl std::fmt::Display for ProgramKind {
    /// `a 64-bit program (ELF x86-64)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let os = if self.format == "PE" {
            "Windows "
        } else {
            "Linux "
        };
        let machine = match self.machine {
            Machine::I386 => "i386".to_owned(),
            Machine::X86_64 => "x86-64".to_owned(),
            Machine::Other(n) => format!("machine {n:#x}"),
        };
        match self.bits {
            Some(b) => write!(f, "a {b}-bit {os}program ({} {machine})", self.format),
            None => write!(
                f,
                "a {os}program for another processor ({} {machine})",
                self.format
            ),
        }
    }
}

/// What the file at `path` is, from its header: `None` for a file that is neither an ELF
/// nor a PE program (a script, say), which is left for the system to start or refuse.
pub(crate) fn program_kind(path: &Path) -> std::io::Result<Option<ProgramKind>> {
    let mut f = std::fs::File::open(path)?;
    let mut head = [0u8; 64];
    let n = read_up_to(&mut f, &mut head)?;
    let head = &head[..n];
    if head.starts_with(b"\x7fELF") && head.len() >= 20 {
        let bits = match head[4] {
            1 => 32,
            2 => 64,
            _ => return Ok(None),
        };
        let raw = [head[18], head[19]];
        let number = if head[5] == 2 {
            u16::from_be_bytes(raw)
        } else {
            u16::from_le_bytes(raw)
        };
        let machine = match number {
            3 => Machine::I386,
            62 => Machine::X86_64,
            n => Machine::Other(n),
        };
        let bits = (!matches!(machine, Machine::Other(_))).then_some(bits);
        return Ok(Some(ProgramKind {
            format: "ELF",
            bits,
            machine,
        }));
    }
    if head.starts_with(b"MZ") && head.len() >= 64 {
        let pe_offset = u32::from_le_bytes([head[60], head[61], head[62], head[63]]);
        let mut pe = [0u8; 6];
        f.seek(SeekFrom::Start(u64::from(pe_offset)))?;
        if read_up_to(&mut f, &mut pe)? < 6 || &pe[..4] != b"PE\0\0" {
            return Ok(None);
        }
        let (machine, bits) = match u16::from_le_bytes([pe[4], pe[5]]) {
            0x014c => (Machine::I386, Some(32)),
            0x8664 => (Machine::X86_64, Some(64)),
            n => (Machine::Other(n), None),
        };
        return Ok(Some(ProgramKind {
            format: "PE",
            bits,
            machine,
        }));
    }
    Ok(None)
}

/// Reads until `buf` is full or the file ends; the bytes read.
fn read_up_to(f: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// The DLLs a PE file imports (its import table, not the delay-loaded ones), in order;
/// `None` if `bytes` is not a PE file whose import table can be read.
#[cfg(any(windows, test))]
pub(crate) fn pe_imports(bytes: &[u8]) -> Option<Vec<String>> {
    let u16_at = |o: usize| Some(u16::from_le_bytes(bytes.get(o..o + 2)?.try_into().ok()?));
    let u32_at = |o: usize| Some(u32::from_le_bytes(bytes.get(o..o + 4)?.try_into().ok()?));
    if !bytes.starts_with(b"MZ") {
        return None;
    }
    let pe = u32_at(60)? as usize;
    if bytes.get(pe..pe + 4)? != b"PE\0\0" {
        return None;
    }
    let coff = pe + 4;
    let sections = usize::from(u16_at(coff + 2)?);
    let optional = coff + 20;
    let optional_size = usize::from(u16_at(coff + 16)?);
    // The data directories follow 96 bytes of PE32 fields, or 112 of PE32+ ones; the
    // import table is the second.
    let directories = match u16_at(optional)? {
        0x10b => optional + 96,
        0x20b => optional + 112,
        _ => return None,
    };
    let import_rva = u32_at(directories + 8)?;
    if import_rva == 0 {
        return Some(Vec::new());
    }
    let table = optional + optional_size;
    // A section's (virtual address, virtual size, file offset) for each section.
    let spans: Vec<(u32, u32, u32)> = (0..sections)
        .map(|i| {
            let s = table + 40 * i;
            let size = u32_at(s + 8)?.max(u32_at(s + 16)?);
            Some((u32_at(s + 12)?, size, u32_at(s + 20)?))
        })
        .collect::<Option<_>>()?;
    let offset = |rva: u32| -> Option<usize> {
        spans
            .iter()
            .find(|(va, size, _)| rva >= *va && rva - va < *size)
            .map(|(va, _, raw)| (rva - va + raw) as usize)
    };
    let mut names = Vec::new();
    let mut descriptor = offset(import_rva)?;
    // Each descriptor is 20 bytes, its name's address at 12; an all-zero one ends the
    // table. At most 4096: a corrupt table ends here too.
    for _ in 0..4096 {
        let entry = bytes.get(descriptor..descriptor + 20)?;
        if entry.iter().all(|&b| b == 0) {
            return Some(names);
        }
        let name = offset(u32_at(descriptor + 12)?)?;
        let len = bytes.get(name..)?.iter().position(|&b| b == 0)?;
        names.push(String::from_utf8_lossy(&bytes[name..name + len]).into_owned());
        descriptor += 20;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind_of(bytes: &[u8]) -> Option<ProgramKind> {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static FILES: AtomicUsize = AtomicUsize::new(0);
        // Relaxed: only a unique number is needed.
        let n = FILES.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("loadlib-header-{}-{n}", std::process::id()));
        std::fs::write(&path, bytes).unwrap();
        let kind = program_kind(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        kind
    }

    fn elf(class: u8, machine: u16) -> Vec<u8> {
        let mut h = vec![0u8; 64];
        h[..4].copy_from_slice(b"\x7fELF");
        h[4] = class;
        h[5] = 1; // little-endian
        h[18..20].copy_from_slice(&machine.to_le_bytes());
        h
    }

    fn pe(machine: u16) -> Vec<u8> {
        let mut h = vec![0u8; 0x90];
        h[..2].copy_from_slice(b"MZ");
        h[60..64].copy_from_slice(&0x80u32.to_le_bytes());
        h[0x80..0x84].copy_from_slice(b"PE\0\0");
        h[0x84..0x86].copy_from_slice(&machine.to_le_bytes());
        h
    }

    #[test]
    fn elf_and_pe_headers_give_the_width() {
        assert_eq!(kind_of(&elf(1, 3)), Some(ProgramKind::native_of("ELF", 32)));
        assert_eq!(
            kind_of(&elf(2, 62)),
            Some(ProgramKind::native_of("ELF", 64))
        );
        assert_eq!(kind_of(&pe(0x14c)), Some(ProgramKind::native_of("PE", 32)));
        assert_eq!(kind_of(&pe(0x8664)), Some(ProgramKind::native_of("PE", 64)));
        let arm = kind_of(&pe(0xaa64)).unwrap();
        assert_eq!(arm.bits, None);
        assert_eq!(
            arm.to_string(),
            "a Windows program for another processor (PE machine 0xaa64)"
        );
        assert_eq!(
            kind_of(&elf(2, 62)).unwrap().to_string(),
            "a 64-bit Linux program (ELF x86-64)"
        );
    }

    /// A PE32 file with one section at RVA 0x1000 (file offset 0x200) holding an import
    /// table of `dlls`.
    fn pe_importing(dlls: &[&str]) -> Vec<u8> {
        let mut f = vec![0u8; 0x400];
        f[..2].copy_from_slice(b"MZ");
        f[60..64].copy_from_slice(&0x80u32.to_le_bytes());
        f[0x80..0x84].copy_from_slice(b"PE\0\0");
        let coff = 0x84;
        f[coff..coff + 2].copy_from_slice(&0x14cu16.to_le_bytes());
        f[coff + 2..coff + 4].copy_from_slice(&1u16.to_le_bytes()); // one section
        f[coff + 16..coff + 18].copy_from_slice(&224u16.to_le_bytes()); // PE32's size
        let opt = coff + 20;
        f[opt..opt + 2].copy_from_slice(&0x10bu16.to_le_bytes());
        f[opt + 104..opt + 108].copy_from_slice(&0x1000u32.to_le_bytes()); // import RVA
        let sec = opt + 224;
        f[sec + 8..sec + 12].copy_from_slice(&0x200u32.to_le_bytes()); // virtual size
        f[sec + 12..sec + 16].copy_from_slice(&0x1000u32.to_le_bytes()); // RVA
        f[sec + 16..sec + 20].copy_from_slice(&0x200u32.to_le_bytes()); // raw size
        f[sec + 20..sec + 24].copy_from_slice(&0x200u32.to_le_bytes()); // raw offset
                                                                        // Descriptors at 0x200, names after them.
        let mut name_at = 0x200 + 20 * (dlls.len() + 1);
        for (i, dll) in dlls.iter().enumerate() {
            let d = 0x200 + 20 * i;
            let rva = (name_at - 0x200 + 0x1000) as u32;
            f[d + 12..d + 16].copy_from_slice(&rva.to_le_bytes());
            f[name_at..name_at + dll.len()].copy_from_slice(dll.as_bytes());
            name_at += dll.len() + 1;
        }
        f
    }

    #[test]
    fn the_import_table_names_the_dlls_a_dll_needs() {
        let dlls = ["loadlib_dep_base.dll", "KERNEL32.dll"];
        assert_eq!(pe_imports(&pe_importing(&dlls)).unwrap(), dlls);
        assert_eq!(
            pe_imports(&pe_importing(&[])).unwrap(),
            Vec::<String>::new()
        );
        assert_eq!(pe_imports(b"MZ not really"), None);
        assert_eq!(pe_imports(&elf(1, 3)), None);
        // A name running off the end of the file is refused, not read past.
        let mut cut = pe_importing(&["x.dll"]);
        cut.truncate(0x200 + 40 + 3);
        assert_eq!(pe_imports(&cut), None);
    }

    #[test]
    fn scripts_and_short_files_are_not_programs() {
        assert_eq!(kind_of(b"#!/bin/sh\nexec server32 \"$@\"\n"), None);
        assert_eq!(kind_of(b"\x7fEL"), None);
        assert_eq!(kind_of(b"MZ"), None);
    }

    impl ProgramKind {
        fn native_of(format: &'static str, bits: u32) -> ProgramKind {
            ProgramKind {
                format,
                ..ProgramKind::native(bits)
            }
        }
    }
}
