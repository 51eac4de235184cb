//! The checks of the functions whose output is a file: the WAV, the zip, the PNG.
use super::*;

impl Run<'_> {
    pub(super) fn audio_sine_wave(&self) -> Verdict {
        let seconds: f64 = self.arg(0)?;
        let expected_samples = (seconds * 44_100.0).round() as u64;
        expect_eq("samples", self.number::<u64>("samples")?, expected_samples)?;
        let path = self.output_dir.join("sine.wav");
        let mut reader =
            hound::WavReader::open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let spec = reader.spec();
        expect_eq(
            "WAV format (channels, rate, bits)",
            (spec.channels, spec.sample_rate, spec.bits_per_sample),
            (1, 44_100, 16),
        )?;
        expect_eq("sample_rate", self.number::<u32>("sample_rate")?, 44_100)?;
        let mut samples = 0u64;
        let mut off_by_one = 0u64;
        let mut peak = i16::MIN;
        for (t, sample) in reader.samples::<i16>().enumerate() {
            let sample = sample.map_err(|e| format!("{}: sample {t}: {e}", path.display()))?;
            let phase = t as f64 * 440.0 * std::f64::consts::TAU / 44_100.0;
            let expected = (phase.sin() * f64::from(i16::MAX)).round() as i16;
            // Tolerance: 1 LSB. sin() of the wasm libm and of the native libm differ in the last
            // bit for a few arguments, which can round a sample the other way.
            match (i32::from(sample) - i32::from(expected)).abs() {
                0 => {}
                1 => off_by_one += 1,
                d => {
                    return Err(format!(
                        "sample {t} is {sample}, expected {expected} (off by {d}, more than 1 LSB)"
                    ));
                }
            }
            samples += 1;
            peak = peak.max(sample);
        }
        expect_eq("samples in the WAV file", samples, expected_samples)?;
        expect_eq("peak", self.number::<i16>("peak")?, peak)?;
        Ok(format!(
            "{samples} samples of 440 Hz within 1 LSB ({off_by_one} off by one)"
        ))
    }

    pub(super) fn zip_compression(&self) -> Verdict {
        let folder = self.inputs_dir.join("zip-compression");
        let mut names: Vec<String> = std::fs::read_dir(&folder)
            .map_err(|e| format!("cannot list {}: {e}", folder.display()))?
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        let path = self.output_dir.join("archive.zip");
        let file = std::fs::File::open(&path)
            .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        let mut archive = zip::ZipArchive::new(file)
            .map_err(|e| format!("{} is not a zip archive: {e}", path.display()))?;
        let mut sorted: Vec<String> = archive
            .file_names()
            .map(|name| {
                name.map(|n| n.into_owned())
                    .map_err(|e| format!("{}: bad entry name: {e}", path.display()))
            })
            .collect::<Result<_, _>>()?;
        sorted.sort();
        expect_eq("archive entries", sorted, names.clone())?;
        let mut bytes_in = 0u64;
        for name in &names {
            let mut entry = archive.by_name(name).map_err(|e| format!("{name}: {e}"))?;
            expect_eq(
                &format!("compression of {name}"),
                entry.compression(),
                zip::CompressionMethod::Deflated,
            )?;
            let mut content = Vec::new();
            std::io::Read::read_to_end(&mut entry, &mut content)
                .map_err(|e| format!("cannot decompress {name}: {e}"))?;
            if content != self.read(&folder.join(name))? {
                return Err(format!(
                    "{name} decompresses to other bytes than the input file"
                ));
            }
            bytes_in += content.len() as u64;
        }
        expect_eq("files", self.number::<usize>("files")?, names.len())?;
        expect_eq("bytes_in", self.number::<u64>("bytes_in")?, bytes_in)?;
        let archive_size = std::fs::metadata(&path)
            .map_err(|e| format!("{}: {e}", path.display()))?
            .len();
        expect_eq("bytes_out", self.number::<u64>("bytes_out")?, archive_size)?;
        Ok(format!(
            "{} files, {bytes_in} bytes, decompress to the inputs",
            names.len()
        ))
    }

    pub(super) fn imageprocessing(&self) -> Verdict {
        let (width, height) = InputSpec::of(self.size).photo;
        expect_eq(
            "input",
            self.field("input")?,
            format!("{width}x{height}").as_str(),
        )?;
        expect_eq("output", self.field("output")?, "800x800")?;
        let path = self.output_dir.join("photo.png");
        let file = std::fs::File::open(&path)
            .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        let mut reader = png::Decoder::new(std::io::BufReader::new(file))
            .read_info()
            .map_err(|e| format!("{} is not a PNG: {e}", path.display()))?;
        let mut pixels = vec![0; reader.output_buffer_size().unwrap_or(0)];
        let info = reader
            .next_frame(&mut pixels)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        expect_eq("PNG size", (info.width, info.height), (800, 800))?;
        expect_eq("PNG colour type", info.color_type, png::ColorType::Rgb)?;
        let pixel = |x: usize, y: usize| -> [u8; 3] {
            let at = (y * 800 + x) * 3;
            [pixels[at], pixels[at + 1], pixels[at + 2]]
        };
        // Rotated by 45°, the corners of the canvas map outside the picture: black.
        expect_eq("corner pixel", pixel(2, 2), [0, 0, 0])?;
        // The flat square in the middle of the photo, inverted; ± 12 for JPEG and resampling.
        let inverted = PHOTO_CENTER_RGB.map(|c| 255 - c);
        let center = pixel(400, 400);
        if center
            .iter()
            .zip(inverted)
            .any(|(&got, want)| got.abs_diff(want) > 12)
        {
            return Err(format!(
                "centre pixel is {center:?}, expected the inverted square {inverted:?} ± 12"
            ));
        }
        let mut sums = [0u64; 3];
        for rgb in pixels[..800 * 800 * 3].chunks_exact(3) {
            (0..3).for_each(|c| sums[c] += u64::from(rgb[c]));
        }
        let means = sums
            .map(|s| format!("{:.3}", s as f64 / 640_000.0))
            .join(",");
        expect_eq("mean_rgb", self.field("mean_rgb")?, means.as_str())?;
        Ok(format!(
            "{width}x{height} photo inverted, resized to 800x800, rotated 45°"
        ))
    }
}
