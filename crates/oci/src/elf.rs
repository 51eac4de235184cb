//! What an image needs to know of a native program: whether it asks for a dynamic loader, and
//! which shared libraries that loader would load.
use std::path::{Path, PathBuf};
use std::process::Command;

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

/// The shared libraries `program` needs, as `ldd` finds them: the host's dynamic loader
/// `loader` lists what it would load (`LD_TRACE_LOADED_OBJECTS=1`, which is what `ldd` sets),
/// each as its name and the host file it resolves to. The vDSO and the loader itself are left out. A library the
/// loader cannot find is an error naming it.
pub fn shared_libraries(loader: &str, program: &Path) -> Result<Vec<(String, PathBuf)>, String> {
    if !Path::new(loader).is_file() {
        return Err(format!(
            "it asks for the dynamic loader {loader}, which this machine does not have, so its libraries cannot be found: build it here, or statically"
        ));
    }
    // What `ldd` runs: the loader in trace mode lists every library and "not found" for those
    // it cannot find, and runs nothing of the program.
    let output = Command::new(loader)
        .arg(program)
        .env("LD_TRACE_LOADED_OBJECTS", "1")
        .output()
        .map_err(|e| format!("cannot run {loader} to find its libraries: {e}"))?;
    let listing = String::from_utf8_lossy(&output.stdout);
    let mut libraries = Vec::new();
    let mut missing = Vec::new();
    for line in listing.lines() {
        let Some((name, rest)) = line.trim().split_once(" => ") else {
            continue; // the vDSO, or the loader by its path
        };
        let path = rest.split(" (").next().unwrap_or(rest).trim();
        if path == "not found" {
            missing.push(name.to_owned());
        } else if !path.is_empty() {
            libraries.push((name.to_owned(), PathBuf::from(path)));
        }
    }
    if !missing.is_empty() {
        return Err(format!(
            "it needs {}, which the dynamic loader does not find on this machine (`ldd {}` says \"not found\"): install the package that has it, set its rpath, or link it statically",
            missing.join(", "),
            program.display()
        ));
    }
    if !output.status.success() && libraries.is_empty() {
        return Err(format!(
            "{loader} cannot list its libraries ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    Ok(libraries)
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
