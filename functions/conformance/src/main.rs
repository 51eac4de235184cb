//! The engine conformance program: one WASI behaviour per subcommand, printed so that the output
//! of every engine can be compared byte for byte.
use std::io::{Read, Write};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let case = args.get(1).map(String::as_str).unwrap_or("");
    let rest = &args[args.len().min(2)..];
    match case {
        "args" => args
            .iter()
            .enumerate()
            .for_each(|(i, a)| println!("argv[{i}]={a}")),
        "env" => {
            let mut vars: Vec<(String, String)> = std::env::vars().collect();
            vars.sort();
            vars.iter().for_each(|(k, v)| println!("{k}={v}"));
        }
        "files" => files(&rest[0]),
        "list" => list(&rest[0]),
        "escape" => escape(&rest[0], &rest[1]),
        "exit" => std::process::exit(rest[0].parse().unwrap_or(1)),
        "trap" => std::process::abort(),
        "bulk" => bulk(rest[0].parse().unwrap_or(0)),
        "stdin" => {
            let mut input = Vec::new();
            std::io::stdin()
                .read_to_end(&mut input)
                .expect("stdin reads");
            println!(
                "stdin bytes={} lines={}",
                input.len(),
                input.iter().filter(|&&b| b == b'\n').count()
            );
        }
        "clock" => {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .expect("after 1970");
            let mono = std::time::Instant::now();
            let later = std::time::Instant::now();
            println!(
                "wall_after_2020={} monotonic={}",
                now.as_secs() > 1_577_836_800,
                later >= mono
            );
        }
        other => {
            eprintln!(
                "conformance: unknown case {other:?}: args, env, files, list, escape, exit, trap, bulk, stdin, clock"
            );
            std::process::exit(2);
        }
    }
}

/// Write, read back, list and remove a file inside a preopened directory.
fn files(dir: &str) {
    let path = format!("{dir}/conformance.txt");
    std::fs::write(&path, b"written by the guest\n").expect("write inside the preopen");
    let back = std::fs::read_to_string(&path).expect("read inside the preopen");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("list the preopen")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    std::fs::create_dir(format!("{dir}/sub")).expect("mkdir inside the preopen");
    std::fs::rename(&path, format!("{dir}/sub/moved.txt")).expect("rename inside the preopen");
    std::fs::remove_file(format!("{dir}/sub/moved.txt")).expect("remove inside the preopen");
    std::fs::remove_dir(format!("{dir}/sub")).expect("rmdir inside the preopen");
    println!("read={back:?} listed={names:?}");
}

/// List `dir`, and each directory in it, in the order the directory gives its entries (a
/// program that prints a folder as it finds it, as the paper's zip function does).
fn list(dir: &str) {
    for entry in std::fs::read_dir(dir).expect("list the directory") {
        let entry = entry.expect("entry");
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.file_type().expect("file type").is_dir() {
            println!("{name}/");
            for inner in std::fs::read_dir(entry.path()).expect("list the subdirectory") {
                println!(
                    "{name}/{}",
                    inner.expect("entry").file_name().to_string_lossy()
                );
            }
        } else {
            println!("{name}");
        }
    }
}

/// Try to leave the preopened directory `dir` three ways, to reach `outside.txt` in its parent
/// (whose absolute host path is `absolute`); each must be refused. `dir/link-out` is a symlink
/// to the parent.
fn escape(dir: &str, absolute: &str) {
    let attempts = [
        ("dotdot", format!("{dir}/../outside.txt")),
        ("absolute", absolute.to_owned()),
        ("symlink", format!("{dir}/link-out/outside.txt")),
    ];
    for (how, path) in attempts {
        let read = std::fs::read(&path).is_ok();
        let write = std::fs::File::create(format!("{path}.new"))
            .and_then(|mut f| f.write_all(b"x"))
            .is_ok();
        println!(
            "{how}: read={} write={}",
            if read { "allowed" } else { "refused" },
            if write { "allowed" } else { "refused" }
        );
    }
}

/// Many small writes through one buffer: large stdout.
fn bulk(lines: usize) {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for i in 0..lines {
        writeln!(out, "line {i:08}").expect("stdout");
    }
    out.flush().expect("stdout");
}
