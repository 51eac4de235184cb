//! What an image needs to know of a native program: whether it asks for a dynamic loader.

/// The dynamic loader an x86-64 ELF executable names (its `PT_INTERP`), e.g.
/// `/lib64/ld-linux-x86-64.so.2`; `None` for a static executable or anything that is not a
/// 64-bit little-endian ELF file.
pub fn interpreter(elf: &[u8]) -> Option<String> {
    const PT_INTERP: u32 = 3;
    if elf.get(..6)? != b"\x7fELF\x02\x01" {
        return None;
    }
    let u16_at = |at: usize| Some(u16::from_le_bytes(elf.get(at..at + 2)?.try_into().ok()?));
    let u64_at = |at: usize| Some(u64::from_le_bytes(elf.get(at..at + 8)?.try_into().ok()?));
    let table = usize::try_from(u64_at(32)?).ok()?;
    let entry_size = usize::from(u16_at(54)?);
    let entries = usize::from(u16_at(56)?);
    (0..entries).find_map(|i| {
        let header = elf.get(table + i * entry_size..)?;
        if u32::from_le_bytes(header.get(..4)?.try_into().ok()?) != PT_INTERP {
            return None;
        }
        let offset =
            usize::try_from(u64::from_le_bytes(header.get(8..16)?.try_into().ok()?)).ok()?;
        let size =
            usize::try_from(u64::from_le_bytes(header.get(32..40)?.try_into().ok()?)).ok()?;
        let name = elf.get(offset..offset + size)?;
        let name = name.strip_suffix(b"\0").unwrap_or(name);
        Some(String::from_utf8_lossy(name).into_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::interpreter;

    #[test]
    fn a_dynamic_executable_names_its_loader_and_others_none() {
        let this_test = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        let loader = interpreter(&this_test).expect("test binaries are linked against glibc");
        assert!(loader.contains("ld-linux"), "{loader}");
        assert_eq!(interpreter(b"\0asm\x01\0\0\0"), None);
        assert_eq!(
            interpreter(&this_test[..40]),
            None,
            "a cut file is not an executable"
        );
    }
}
