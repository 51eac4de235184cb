//! Computes the MD5, SHA-256 and SHA-512 checksums of a file, reading it once in large chunks.
use md5::Md5;
use sha2::{Digest, Sha256, Sha512};
use std::io::Read;
use wasmfaas_workload::cli::{Args, OrFail};

const NAME: &str = "checksum";

fn main() {
    let args = Args::from_env(NAME, "<file>");
    let path = args.text(0, "file");
    let mut file = std::fs::File::open(path).or_fail(NAME, format_args!("opening {path}"));
    let (mut md5, mut sha256, mut sha512) = (Md5::new(), Sha256::new(), Sha512::new());
    let mut chunk = vec![0u8; 1 << 16];
    let mut bytes = 0u64;
    loop {
        let n = file
            .read(&mut chunk)
            .or_fail(NAME, format_args!("reading {path}"));
        if n == 0 {
            break;
        }
        bytes += n as u64;
        md5.update(&chunk[..n]);
        sha256.update(&chunk[..n]);
        sha512.update(&chunk[..n]);
    }
    println!("bytes: {bytes}");
    println!("md5: {:x}", md5.finalize());
    println!("sha256: {:x}", sha256.finalize());
    println!("sha512: {:x}", sha512.finalize());
}
