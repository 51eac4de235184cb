//! The run set on disk: `runset.json` (what was measured, where, with what) and `samples.jsonl`
//! (one line per run, appended and flushed as each run ends, so nothing measured is lost).
use std::collections::{BTreeMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::{BenchError, Machine, PlanSpec, Sample};

/// The format tag of `runset.json`; a reader refuses other formats.
pub const FORMAT: &str = "wasmfaas-runset 1";
/// The run set's description.
pub const META_FILE: &str = "runset.json";
/// The samples, one JSON object per line.
pub const SAMPLES_FILE: &str = "samples.jsonl";

/// Everything about a run set except its samples.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunSetMeta {
    /// [`FORMAT`].
    pub format: String,
    /// The wasmfaas version that measured it.
    pub wasmfaas_version: String,
    /// When it was created, seconds since the Unix epoch.
    pub created_unix: u64,
    /// The command line that created it.
    pub command_line: Vec<String>,
    /// The preset, if one was used.
    pub preset: Option<String>,
    /// What is measured.
    pub plan: PlanSpec,
    /// Where.
    pub machine: Machine,
    /// Each engine's version, by engine name.
    pub engines: BTreeMap<String, String>,
    /// How the suite was built, and the digest of every artifact the plan runs.
    pub suite: SuiteBuild,
}

/// How the measured functions were built.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SuiteBuild {
    /// The functions workspace's `[profile.release]` and rustflags, as written.
    pub profile: String,
    /// SHA-256 of each artifact, by its path relative to the artifacts folder.
    pub artifacts: BTreeMap<String, String>,
    /// The size of each OCI image `wasmfaas images` wrote, by tag (`matmul-wasm`), in bytes.
    #[serde(default)]
    pub images: BTreeMap<String, u64>,
}

/// An open run set: its folder, description and samples.
#[derive(Debug)]
pub struct RunSet {
    /// The folder.
    pub dir: PathBuf,
    /// Its description.
    pub meta: RunSetMeta,
    /// The samples taken so far, in the order they were taken.
    pub samples: Vec<Sample>,
    writer: Option<File>,
}

impl RunSet {
    /// Creates a run set in `dir`, which must not hold one already.
    pub fn create(dir: &Path, meta: RunSetMeta) -> Result<RunSet, BenchError> {
        if dir.join(META_FILE).exists() {
            return Err(BenchError::RunSet {
                path: dir.to_path_buf(),
                problem: "already holds a run set: resume it with `--resume`, or choose another `--output`".into(),
            });
        }
        std::fs::create_dir_all(dir).map_err(|e| BenchError::io(dir, e))?;
        let json = serde_json::to_string_pretty(&meta).expect("run set metadata serialises");
        let path = dir.join(META_FILE);
        std::fs::write(&path, json + "\n").map_err(|e| BenchError::io(&path, e))?;
        Ok(RunSet {
            dir: dir.to_path_buf(),
            meta,
            samples: Vec::new(),
            writer: None,
        })
    }

    /// Opens the run set in `dir` with its samples. A last line cut short by an interruption
    /// (no newline, not valid JSON) is dropped from the file; any other bad line is an error.
    pub fn open(dir: &Path) -> Result<RunSet, BenchError> {
        let meta_path = dir.join(META_FILE);
        let corrupt = |path: &Path, problem: String| BenchError::RunSet {
            path: path.to_path_buf(),
            problem,
        };
        let text = std::fs::read_to_string(&meta_path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                corrupt(
                    dir,
                    format!("is not a run set: it has no {META_FILE} (a run set is the folder `wasmfaas bench` wrote)"),
                )
            } else {
                BenchError::io(&meta_path, e)
            }
        })?;
        let meta: RunSetMeta = serde_json::from_str(&text).map_err(|e| {
            corrupt(
                &meta_path,
                format!("is not a valid run set description: {e}"),
            )
        })?;
        if meta.format != FORMAT {
            return Err(corrupt(
                &meta_path,
                format!(
                    "has format {:?}; this wasmfaas reads {FORMAT:?}",
                    meta.format
                ),
            ));
        }
        let samples_path = dir.join(SAMPLES_FILE);
        let samples = match File::open(&samples_path) {
            Ok(file) => read_samples(&samples_path, file)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(BenchError::io(&samples_path, e)),
        };
        Ok(RunSet {
            dir: dir.to_path_buf(),
            meta,
            samples,
            writer: None,
        })
    }

    /// Appends one sample to the file and flushes it to disk before returning.
    pub fn append(&mut self, sample: Sample) -> Result<(), BenchError> {
        let path = self.dir.join(SAMPLES_FILE);
        if self.writer.is_none() {
            let file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .map_err(|e| BenchError::io(&path, e))?;
            self.writer = Some(file);
        }
        let writer = self.writer.as_mut().expect("opened above");
        let mut line = serde_json::to_string(&sample).expect("a sample serialises");
        line.push('\n');
        // One write of the whole line, then fdatasync: a crash leaves whole lines, at worst a
        // torn last one, which `open` drops.
        writer
            .write_all(line.as_bytes())
            .and_then(|()| writer.sync_data())
            .map_err(|e| BenchError::io(&path, e))?;
        self.samples.push(sample);
        Ok(())
    }

    /// The plan positions that have a sample.
    pub fn done(&self) -> HashSet<u64> {
        self.samples.iter().map(|s| s.seq).collect()
    }

    /// The scratch folder for runs' output files (removed when the bench ends).
    pub fn work_dir(&self) -> PathBuf {
        self.dir.join("work")
    }
}

fn read_samples(path: &Path, file: File) -> Result<Vec<Sample>, BenchError> {
    let mut samples = Vec::new();
    let mut seen = HashSet::new();
    let mut reader = BufReader::new(file);
    let mut line = String::new();
    let mut offset = 0u64;
    let mut number = 0usize;
    loop {
        line.clear();
        let read = reader
            .read_line(&mut line)
            .map_err(|e| BenchError::io(path, e))?;
        if read == 0 {
            break;
        }
        number += 1;
        let complete = line.ends_with('\n');
        match serde_json::from_str::<Sample>(line.trim_end()) {
            Ok(sample) if complete => {
                if !seen.insert(sample.seq) {
                    return Err(BenchError::RunSet {
                        path: path.to_path_buf(),
                        problem: format!(
                            "line {number}: run {} appears twice; the file was edited or two benches wrote to it",
                            sample.seq
                        ),
                    });
                }
                samples.push(sample);
            }
            // A torn last line: the run it describes was interrupted while being recorded.
            _ if !complete => {
                drop(reader);
                let file = OpenOptions::new()
                    .write(true)
                    .open(path)
                    .map_err(|e| BenchError::io(path, e))?;
                file.set_len(offset).map_err(|e| BenchError::io(path, e))?;
                tracing::warn!(line = number, "dropped a torn last sample line");
                break;
            }
            Ok(_) => unreachable!("complete handled above"),
            Err(e) => {
                return Err(BenchError::RunSet {
                    path: path.to_path_buf(),
                    problem: format!("line {number} is not a sample: {e}"),
                });
            }
        }
        offset += read as u64;
    }
    Ok(samples)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Environment;
    use wasmfaas_suite::Size;

    fn meta() -> RunSetMeta {
        RunSetMeta {
            format: FORMAT.into(),
            wasmfaas_version: "test".into(),
            created_unix: 0,
            command_line: vec!["wasmfaas".into(), "bench".into()],
            preset: None,
            plan: PlanSpec {
                functions: vec!["hello".into()],
                manifest: None,
                environments: vec![Environment::parse("process/native").unwrap()],
                size: Size::Small,
                runs: 3,
                warmup: 0,
                seed: 1,
                prepare: None,
                restore_containerd: false,
                time_budget: None,
            },
            machine: Machine::current(),
            engines: BTreeMap::new(),
            suite: SuiteBuild::default(),
        }
    }

    fn sample(seq: u64) -> Sample {
        Sample {
            seq,
            function: "hello".into(),
            environment: "process/native".into(),
            round: seq as u32,
            warmup: false,
            started_unix_ms: 0,
            total_ns: 1000 + seq,
            phases: None,
            lifecycle: None,
            exit_code: Some(0),
            peak_rss_kib: Some(1),
            ok: true,
            error: None,
            unchecked: false,
            aot_cache_hit: None,
        }
    }

    #[test]
    fn samples_survive_reopening_and_a_torn_line_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let mut set = RunSet::create(dir.path(), meta()).unwrap();
        set.append(sample(0)).unwrap();
        set.append(sample(1)).unwrap();
        drop(set);
        let path = dir.path().join(SAMPLES_FILE);
        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(b"{\"seq\":2,\"func").unwrap();
        drop(file);
        let mut set = RunSet::open(dir.path()).unwrap();
        assert_eq!(set.samples, vec![sample(0), sample(1)]);
        set.append(sample(2)).unwrap();
        drop(set);
        let set = RunSet::open(dir.path()).unwrap();
        assert_eq!(set.samples.len(), 3);
        assert_eq!(set.done(), HashSet::from([0, 1, 2]));
    }

    #[test]
    fn corrupt_run_sets_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let error = RunSet::open(dir.path()).unwrap_err().to_string();
        assert!(error.contains("not a run set"), "{error}");
        std::fs::write(dir.path().join(META_FILE), "{").unwrap();
        let error = RunSet::open(dir.path()).unwrap_err().to_string();
        assert!(error.contains("not a valid run set description"), "{error}");
        std::fs::remove_file(dir.path().join(META_FILE)).unwrap();
        RunSet::create(dir.path(), meta()).unwrap();
        let error = RunSet::create(dir.path(), meta()).unwrap_err().to_string();
        assert!(error.contains("--resume"), "{error}");
        std::fs::write(dir.path().join(SAMPLES_FILE), "garbage\n").unwrap();
        let error = RunSet::open(dir.path()).unwrap_err().to_string();
        assert!(error.contains("line 1 is not a sample"), "{error}");
        let twice = format!(
            "{}\n{}\n",
            serde_json::to_string(&sample(4)).unwrap(),
            serde_json::to_string(&sample(4)).unwrap()
        );
        std::fs::write(dir.path().join(SAMPLES_FILE), twice).unwrap();
        let error = RunSet::open(dir.path()).unwrap_err().to_string();
        assert!(error.contains("appears twice"), "{error}");
    }
}
