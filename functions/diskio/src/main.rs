//! Writes a file of numbered text lines and reads it back: through buffers (what the paper's Go
//! function runs), and, with `both`, a second time with one system call per line (unbuffered).
//! Prints the line counts and a digest of what was read.
use sha2::{Digest, Sha256};
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use wasmfaas_workload::cli::{Args, EXIT_FAILURE, EXIT_USAGE, OrFail, fail};
use wasmfaas_workload::diskio_line;

const NAME: &str = "diskio";

fn main() {
    let args = Args::from_env(NAME, "<folder> <lines> [buffered|both]");
    let folder = args.text(0, "folder");
    let lines: usize = args.parse(1, "lines");
    let unbuffered_too = match args.rest(2).as_str() {
        "" | "buffered" => false,
        "both" => true,
        other => fail(
            NAME,
            EXIT_USAGE,
            format_args!("argument <mode> = {other:?}: expected buffered or both"),
        ),
    };

    // Buffered: one large write and read per 64 KiB.
    let buffered = format!("{folder}/buffered.txt");
    {
        let file =
            std::fs::File::create(&buffered).or_fail(NAME, format_args!("creating {buffered}"));
        let mut out = BufWriter::with_capacity(1 << 16, file);
        for i in 1..=lines {
            out.write_all(diskio_line(i).as_bytes())
                .or_fail(NAME, format_args!("writing {buffered}"));
        }
        out.flush()
            .or_fail(NAME, format_args!("writing {buffered}"));
    }
    let mut digest = Sha256::new();
    let mut read_buffered = 0usize;
    let file = std::fs::File::open(&buffered).or_fail(NAME, format_args!("opening {buffered}"));
    for line in BufReader::with_capacity(1 << 16, file).lines() {
        let line = line.or_fail(NAME, format_args!("reading {buffered}"));
        digest.update(line.as_bytes());
        digest.update(b"\n");
        read_buffered += 1;
    }

    println!("lines_written: {lines}");
    println!("lines_read_buffered: {read_buffered}");
    println!("sha256: {:x}", digest.finalize());
    if unbuffered_too {
        unbuffered(folder, lines);
    }
}

/// One write and one read system call per line.
fn unbuffered(folder: &str, lines: usize) {
    let unbuffered = format!("{folder}/unbuffered.txt");
    {
        let mut file =
            std::fs::File::create(&unbuffered).or_fail(NAME, format_args!("creating {unbuffered}"));
        for i in 1..=lines {
            file.write_all(diskio_line(i).as_bytes())
                .or_fail(NAME, format_args!("writing {unbuffered}"));
        }
        file.sync_all()
            .or_fail(NAME, format_args!("syncing {unbuffered}"));
    }
    let mut file =
        std::fs::File::open(&unbuffered).or_fail(NAME, format_args!("opening {unbuffered}"));
    let mut read_unbuffered = 0usize;
    let mut line = Vec::new();
    for i in 1..=lines {
        line.resize(diskio_line(i).len(), 0);
        file.read_exact(&mut line)
            .or_fail(NAME, format_args!("reading line {i} of {unbuffered}"));
        if line != diskio_line(i).as_bytes() {
            fail(
                NAME,
                EXIT_FAILURE,
                format_args!("line {i} of {unbuffered} reads back differently"),
            );
        }
        read_unbuffered += 1;
    }
    println!("lines_read_unbuffered: {read_unbuffered}");
}
