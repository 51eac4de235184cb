//! `ps`: the processes of a container.
use anyhow::{Context, Result, anyhow, bail};
use libcgroups::common::CgroupManager;

use super::Globals;

/// `ps`: the container's processes, as a JSON array of pids or as `ps` prints them.
pub fn ps(args: &liboci_cli::Ps, globals: &Globals) -> Result<()> {
    let container = globals.root.load(&args.container_id)?;
    let config = container
        .spec()
        .map_err(|e| anyhow!("container {}: {e}", args.container_id))?;
    let manager = libcgroups::common::create_cgroup_manager(libcgroups::common::CgroupConfig {
        cgroup_path: config.cgroup_path,
        systemd_cgroup: container.systemd(),
        container_name: container.id().to_owned(),
    })
    .map_err(|e| anyhow!("container {}: its cgroup: {e}", args.container_id))?;
    let pids: Vec<i32> = manager
        .get_all_pids()
        .map_err(|e| {
            anyhow!(
                "container {}: listing its processes: {e}",
                args.container_id
            )
        })?
        .iter()
        .map(|p| p.as_raw())
        .collect();
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
