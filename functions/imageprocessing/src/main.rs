//! Inverts the colours of a photo, resizes it to 800×800 (bilinear), rotates it by 45° about its
//! centre (bilinear sampling, black where nothing maps) and saves it as PNG.
use image::{Rgb, RgbImage, imageops};
use wasmfaas_workload::cli::{Args, OrFail};

const NAME: &str = "imageprocessing";
const SIDE: u32 = 800;

/// Rotates `src` by `degrees` about its centre into a canvas of the same size.
fn rotate_about_center(src: &RgbImage, degrees: f64) -> RgbImage {
    let (width, height) = src.dimensions();
    let (cx, cy) = (f64::from(width) / 2.0, f64::from(height) / 2.0);
    let (sin, cos) = degrees.to_radians().sin_cos();
    RgbImage::from_fn(width, height, |x, y| {
        // Inverse mapping: where in the source does this destination pixel come from?
        let (dx, dy) = (f64::from(x) + 0.5 - cx, f64::from(y) + 0.5 - cy);
        let sx = cos * dx + sin * dy + cx - 0.5;
        let sy = -sin * dx + cos * dy + cy - 0.5;
        sample_bilinear(src, sx, sy).unwrap_or(Rgb([0, 0, 0]))
    })
}

fn sample_bilinear(src: &RgbImage, x: f64, y: f64) -> Option<Rgb<u8>> {
    let (width, height) = src.dimensions();
    if x < 0.0 || y < 0.0 || x > f64::from(width - 1) || y > f64::from(height - 1) {
        return None;
    }
    let (x0, y0) = (x.floor() as u32, y.floor() as u32);
    let (x1, y1) = ((x0 + 1).min(width - 1), (y0 + 1).min(height - 1));
    let (fx, fy) = (x - f64::from(x0), y - f64::from(y0));
    let (p00, p10, p01, p11) = (
        src.get_pixel(x0, y0),
        src.get_pixel(x1, y0),
        src.get_pixel(x0, y1),
        src.get_pixel(x1, y1),
    );
    Some(Rgb(std::array::from_fn(|c| {
        let top = f64::from(p00[c]) * (1.0 - fx) + f64::from(p10[c]) * fx;
        let bottom = f64::from(p01[c]) * (1.0 - fx) + f64::from(p11[c]) * fx;
        (top * (1.0 - fy) + bottom * fy).round() as u8
    })))
}

fn main() {
    let args = Args::from_env(NAME, "<input-image> <output.png>");
    let input = args.text(0, "input-image");
    let output = args.text(1, "output.png");
    let mut photo = image::open(input)
        .or_fail(NAME, format_args!("decoding {input}"))
        .into_rgb8();
    let (width, height) = photo.dimensions();
    imageops::invert(&mut photo);
    let resized = imageops::resize(&photo, SIDE, SIDE, imageops::FilterType::Triangle);
    let rotated = rotate_about_center(&resized, 45.0);
    rotated
        .save_with_format(output, image::ImageFormat::Png)
        .or_fail(NAME, format_args!("writing {output}"));
    let mut sums = [0u64; 3];
    for pixel in rotated.pixels() {
        for c in 0..3 {
            sums[c] += u64::from(pixel[c]);
        }
    }
    let pixels = u64::from(SIDE) * u64::from(SIDE);
    println!("input: {width}x{height}");
    println!("output: {SIDE}x{SIDE}");
    println!(
        "mean_rgb: {:.3},{:.3},{:.3}",
        sums[0] as f64 / pixels as f64,
        sums[1] as f64 / pixels as f64,
        sums[2] as f64 / pixels as f64
    );
}
