//! Compresses every file of a folder (sorted by name) into one deflated zip archive.
use std::io::Write;
use wasmfaas_workload::cli::{Args, EXIT_USAGE, OrFail, fail};
use zip::write::SimpleFileOptions;

const NAME: &str = "zip-compression";

fn main() {
    let args = Args::from_env(NAME, "<input-folder> <output.zip>");
    let folder = args.text(0, "input-folder");
    let output = args.text(1, "output.zip");
    let mut names: Vec<String> = std::fs::read_dir(folder)
        .or_fail(NAME, format_args!("listing {folder}"))
        .map(|entry| entry.or_fail(NAME, format_args!("listing {folder}")))
        .filter(|entry| entry.file_type().is_ok_and(|t| t.is_file()))
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    if names.is_empty() {
        fail(
            NAME,
            EXIT_USAGE,
            format_args!("{folder} holds no files to compress"),
        );
    }
    names.sort();
    let file = std::fs::File::create(output).or_fail(NAME, format_args!("creating {output}"));
    let mut archive = zip::ZipWriter::new(std::io::BufWriter::new(file));
    let options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default());
    let mut bytes_in = 0u64;
    for name in &names {
        let data = std::fs::read(format!("{folder}/{name}"))
            .or_fail(NAME, format_args!("reading {folder}/{name}"));
        bytes_in += data.len() as u64;
        archive
            .start_file(name.as_str(), options)
            .or_fail(NAME, format_args!("adding {name}"));
        archive
            .write_all(&data)
            .or_fail(NAME, format_args!("compressing {name}"));
    }
    let mut writer = archive
        .finish()
        .or_fail(NAME, format_args!("finishing {output}"));
    writer
        .flush()
        .or_fail(NAME, format_args!("writing {output}"));
    drop(writer);
    let bytes_out = std::fs::metadata(output)
        .or_fail(NAME, format_args!("reading {output}"))
        .len();
    println!("files: {}", names.len());
    println!("bytes_in: {bytes_in}");
    println!("bytes_out: {bytes_out}");
}
