//! Renders a 440 Hz sine wave, mono, 16-bit, 44.1 kHz, into a WAV file.
use wasmfaas_workload::cli::{Args, OrFail};

const NAME: &str = "audio-sine-wave";
const SAMPLE_RATE: u32 = 44_100;
const FREQUENCY_HZ: f64 = 440.0;

fn main() {
    let args = Args::from_env(NAME, "<seconds> <output.wav>");
    let seconds: f64 = args.parse(0, "seconds");
    let path = args.text(1, "output.wav");
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: SAMPLE_RATE,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut writer =
        hound::WavWriter::create(path, spec).or_fail(NAME, format_args!("creating {path}"));
    let samples = (seconds * f64::from(SAMPLE_RATE)).round() as u64;
    let amplitude = f64::from(i16::MAX);
    let mut peak = 0i16;
    for t in 0..samples {
        let phase = t as f64 * FREQUENCY_HZ * std::f64::consts::TAU / f64::from(SAMPLE_RATE);
        let sample = (phase.sin() * amplitude).round() as i16;
        peak = peak.max(sample);
        writer
            .write_sample(sample)
            .or_fail(NAME, format_args!("writing {path}"));
    }
    writer
        .finalize()
        .or_fail(NAME, format_args!("finishing {path}"));
    println!("samples: {samples}");
    println!("sample_rate: {SAMPLE_RATE}");
    println!("peak: {peak}");
}
