//! Build commands: run in the manifest's folder, their output kept for a failure's message.
use std::process::{Command, Stdio};

use crate::{Manifest, ManifestError, Source};

/// How much of a failed build's stderr its error shows.
const TAIL_LINES: usize = 8;

pub(crate) fn build(manifest: &Manifest) -> Result<(), ManifestError> {
    let mut done: Vec<&str> = Vec::new();
    for function in &manifest.functions {
        let sources = [("module", &function.module), ("binary", &function.binary)];
        for (field, source) in sources {
            let Some(Source { path, build }) = source else {
                continue;
            };
            if let Some(command) = build.as_deref().filter(|c| !done.contains(c)) {
                run(manifest, command)
                    .map_err(|problem| manifest.error(&function.name, Some(field), problem))?;
                done.push(command);
            }
            if !path.is_file() {
                let problem = match build {
                    Some(command) => format!(
                        "{} is not a file after its build command `{command}` ran: make the command write it, or fix the path",
                        path.display()
                    ),
                    None => format!("{} is not a file", path.display()),
                };
                return Err(manifest.error(&function.name, Some(field), problem));
            }
        }
    }
    Ok(())
}

fn run(manifest: &Manifest, command: &str) -> Result<(), String> {
    let output = Command::new("sh")
        .arg("-c")
        .arg(command)
        .current_dir(manifest.dir())
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run its build command `{command}` with sh: {e}"))?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    let tail = lines[lines.len().saturating_sub(TAIL_LINES)..].join("\n  | ");
    Err(format!(
        "its build command `{command}` failed ({}) in {}; fix it and run again:\n  | {tail}",
        output.status,
        manifest.dir().display()
    ))
}
