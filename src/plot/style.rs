//! Colours, the bundled font and tick formatting.

use plotters::style::{FontStyle, RGBColor};
use std::sync::Once;

/// An RGB colour.
pub type Rgb = (u8, u8, u8);

/// The font shipped with galchem (DejaVu Sans, Bitstream Vera licence, see
/// `assets/fonts/DejaVu-LICENSE.txt`), so figures need no system fonts.
static FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
static REGISTER: Once = Once::new();

/// Registers the bundled font under the family names plotters asks for.
pub(crate) fn ensure_font() {
    REGISTER.call_once(|| {
        for family in ["sans-serif", "serif", "monospace"] {
            for style in [
                FontStyle::Normal,
                FontStyle::Bold,
                FontStyle::Italic,
                FontStyle::Oblique,
            ] {
                // Registration only fails for unparsable font data, which the bundled font is not.
                let _ = plotters::style::register_font(family, style, FONT);
            }
        }
    });
}

const CYCLE: [Rgb; 8] = [
    (31, 119, 180),
    (214, 39, 40),
    (44, 160, 44),
    (255, 127, 14),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
];

/// The `i`-th colour of the default cycle.
pub fn color_cycle(i: usize) -> Rgb {
    CYCLE[i % CYCLE.len()]
}

/// Parses a colour: a name (`red`, `blue`, `black`, `grey`, …), `#rrggbb`, or `C0`…`C7`
/// (the default cycle).
pub fn parse_color(s: &str) -> Option<Rgb> {
    let s = s.trim().to_ascii_lowercase();
    if let Some(hex) = s.strip_prefix('#') {
        if hex.len() == 6 {
            let v = u32::from_str_radix(hex, 16).ok()?;
            return Some(((v >> 16) as u8, (v >> 8) as u8, v as u8));
        }
        return None;
    }
    if let Some(i) = s.strip_prefix('c').and_then(|d| d.parse::<usize>().ok()) {
        return Some(color_cycle(i));
    }
    Some(match s.as_str() {
        "blue" => CYCLE[0],
        "red" => CYCLE[1],
        "green" => CYCLE[2],
        "orange" => CYCLE[3],
        "purple" => CYCLE[4],
        "brown" => CYCLE[5],
        "pink" => CYCLE[6],
        "grey" | "gray" => CYCLE[7],
        "black" => (0, 0, 0),
        "white" => (255, 255, 255),
        _ => return None,
    })
}

/// Viridis colour map at `t` in [0, 1] (clamped), interpolated between 9 anchor colours.
pub fn viridis(t: f64) -> Rgb {
    const ANCHORS: [Rgb; 9] = [
        (68, 1, 84),
        (71, 44, 122),
        (59, 81, 139),
        (44, 113, 142),
        (33, 144, 141),
        (39, 173, 129),
        (92, 200, 99),
        (170, 220, 50),
        (253, 231, 37),
    ];
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let x = t * (ANCHORS.len() - 1) as f64;
    let i = (x.floor() as usize).min(ANCHORS.len() - 2);
    let f = x - i as f64;
    let (a, b) = (ANCHORS[i], ANCHORS[i + 1]);
    let lerp = |p: u8, q: u8| (p as f64 + f * (q as f64 - p as f64)).round() as u8;
    (lerp(a.0, b.0), lerp(a.1, b.1), lerp(a.2, b.2))
}

pub(crate) fn rgb(c: Rgb) -> RGBColor {
    RGBColor(c.0, c.1, c.2)
}

/// A compact tick label for `v` (in data units) on an axis spanning `span`; values that are
/// zero up to rounding noise print as 0.
pub(crate) fn tick(v: f64, span: f64) -> String {
    let a = v.abs();
    if a == 0.0 || (span.is_finite() && a < span.abs() * 1e-9) {
        "0".into()
    } else if !(1e-3..1e5).contains(&a) {
        format!("{v:.0e}")
    } else {
        let s = format!("{v:.3}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        if s == "-0" {
            "0".into()
        } else {
            s.to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_parse_and_viridis_ends() {
        assert_eq!(parse_color("#ff0000"), Some((255, 0, 0)));
        assert_eq!(parse_color("C1"), Some(color_cycle(1)));
        assert_eq!(parse_color("nonsense"), None);
        assert_eq!(viridis(0.0), (68, 1, 84));
        assert_eq!(viridis(1.0), (253, 231, 37));
        assert_eq!(tick(0.5, 1.0), "0.5");
        assert_eq!(tick(100.0, 1.0), "100");
        assert_eq!(tick(1e6, 1.0), "1e6");
        assert_eq!(tick(-2e-16, 2.0), "0");
        assert_eq!(tick(2e-12, 1e-11), "2e-12");
    }
}
