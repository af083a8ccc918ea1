//! Headless Chromium for tests of what a page looks like: screenshots and the DOM after scripts ran.
//! Started as on this machine it must be: as root with `--no-sandbox`, no GPU, no background
//! networking (the network is closed), and a new empty profile each time.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The Chromium binary: `$CHROMIUM`, else `chromium` on PATH.
pub fn binary() -> String {
    std::env::var("CHROMIUM").unwrap_or_else(|_| "chromium".to_string())
}

/// Whether Chromium runs; skips on a laptop without it, fails in CI (see `tools::require`).
pub fn available() -> bool {
    super::tools::require(&binary(), &["--version"])
}

fn run(dir: &Path, args: &[String]) -> std::process::Output {
    let profile = dir.join(format!("profile-{}", args.len()));
    let _ = std::fs::remove_dir_all(&profile);
    std::fs::create_dir_all(&profile).unwrap();
    let mut command = Command::new(binary());
    command
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    // A guard against a hung browser, not a timed assertion: a page this small takes a second.
    let deadline = Instant::now() + Duration::from_secs(120);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("chromium did not finish within 120 s: {args:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

/// A screenshot of `page` in a window of `width` x `height` CSS pixels (device scale 1).
pub fn screenshot(page: &Path, width: u32, height: u32, dir: &Path) -> PathBuf {
    let png = dir.join(format!("{}.png", page.file_stem().unwrap().to_string_lossy()));
    let _ = std::fs::remove_file(&png);
    let output = run(
        dir,
        &[
            format!("--window-size={width},{height}"),
            format!("--screenshot={}", png.display()),
            format!("file://{}", page.display()),
        ],
    );
    assert!(
        png.exists(),
        "chromium wrote no screenshot of {}:\n{}",
        page.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    png
}

/// The DOM of `page` after its scripts ran (virtual time lets promises settle).
pub fn dump_dom(page: &Path, dir: &Path) -> String {
    let output = run(
        dir,
        &[
            "--window-size=1600,1200".to_string(),
            "--virtual-time-budget=20000".to_string(),
            "--dump-dom".to_string(),
            format!("file://{}", page.display()),
        ],
    );
    assert!(
        output.status.success(),
        "chromium --dump-dom failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// An RGB image decoded from a PNG file.
pub struct Image {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// RGB bytes, row by row.
    pub rgb: Vec<u8>,
}

impl Image {
    /// Decode a PNG (RGB or RGBA, 8 bits).
    pub fn read(path: &Path) -> Image {
        let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
        let mut reader = decoder.read_info().unwrap();
        let mut buffer = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buffer).unwrap();
        let channels = match info.color_type {
            png::ColorType::Rgb => 3,
            png::ColorType::Rgba => 4,
            other => panic!("unexpected PNG colour type {other:?}"),
        };
        assert_eq!(info.bit_depth, png::BitDepth::Eight);
        let rgb = buffer[..info.buffer_size()].chunks(channels).flat_map(|p| [p[0], p[1], p[2]]).collect();
        Image { width: info.width, height: info.height, rgb }
    }

    /// The colour at `(x, y)`.
    pub fn pixel(&self, x: u32, y: u32) -> [u8; 3] {
        let i = ((y * self.width + x) * 3) as usize;
        [self.rgb[i], self.rgb[i + 1], self.rgb[i + 2]]
    }

    /// How many pixels of the rectangle satisfy `predicate`, and how many it has.
    pub fn count(
        &self,
        x: f64,
        y: f64,
        w: f64,
        h: f64,
        predicate: impl Fn([u8; 3]) -> bool,
    ) -> (usize, usize) {
        let (x0, y0) = (x.max(0.0) as u32, y.max(0.0) as u32);
        let x1 = ((x + w) as u32).min(self.width);
        let y1 = ((y + h) as u32).min(self.height);
        let mut hits = 0;
        let mut total = 0;
        for py in y0..y1 {
            for px in x0..x1 {
                total += 1;
                if predicate(self.pixel(px, py)) {
                    hits += 1;
                }
            }
        }
        (hits, total)
    }
}

/// `#rrggbb` as RGB.
pub fn hex(colour: &str) -> [u8; 3] {
    let c = colour.trim_start_matches('#');
    let byte = |i: usize| u8::from_str_radix(&c[i..i + 2], 16).unwrap();
    [byte(0), byte(2), byte(4)]
}

/// Whether two colours are within `tolerance` on every channel.
pub fn near(a: [u8; 3], b: [u8; 3], tolerance: u8) -> bool {
    a.iter().zip(b).all(|(x, y)| x.abs_diff(y) <= tolerance)
}
