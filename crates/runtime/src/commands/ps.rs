//! `ps`: the processes of a container.
use anyhow::{Context, Result, anyhow, bail};

use super::Globals;

/// `ps`: the container's processes, as a JSON array of pids or as `ps` prints them.
pub fn ps(args: &liboci_cli::Ps, globals: &Globals) -> Result<()> {
    let container = globals.root.load(&args.container_id)?;
    let pids = wasmfaas_container::processes(&container)?;
    match args.format.as_str() {
        "json" => println!("{}", serde_json::to_string(&pids)?),
        "table" => {
            let options = if args.ps_options.is_empty() {
                vec!["-ef".to_owned()]
            } else {
                args.ps_options.clone()
            };
            let output = std::process::Command::new("ps")
                .args(&options)
                .output()
                .context("running ps")?;
            let text = String::from_utf8_lossy(&output.stdout);
            let mut lines = text.lines();
            let header = lines.next().unwrap_or_default();
            let column = header
                .split_whitespace()
                .position(|c| c == "PID")
                .ok_or_else(|| anyhow!("ps {}: its output has no PID column", options.join(" ")))?;
            println!("{header}");
            for line in lines {
                let pid = line
                    .split_whitespace()
                    .nth(column)
                    .and_then(|p| p.parse::<i32>().ok());
                if pid.is_some_and(|p| pids.contains(&p)) {
                    println!("{line}");
                }
            }
        }
        other => bail!("ps --format {other:?}: use table or json"),
    }
    Ok(())
}
