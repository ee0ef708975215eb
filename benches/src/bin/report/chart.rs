//! The report's SVG: per payload, the encoded size of each codec against
//! legacy bincode, and the framework round-trip time of each codec
//! against the fastest codec for that payload.

use std::fmt::Write as _;

use wasmer_plugin_benches::CODECS;

use crate::measurements::Measurements;
use crate::{SIZE_CODECS, Sizes, time};

const COLORS: [&str; 5] = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#9c9c9c"];
const LABEL_WIDTH: f64 = 130.0;
const BAR_AREA: f64 = 300.0;
const PANEL_WIDTH: f64 = LABEL_WIDTH + BAR_AREA + 110.0;
const BAR: f64 = 11.0;
const GROUP_GAP: f64 = 12.0;

pub fn render(names: &[&str], sizes: &Sizes, m: &Measurements) -> String {
    let group_height = |bars: usize| bars as f64 * BAR + GROUP_GAP;
    let top = 70.0;
    let height = top + names.len() as f64 * group_height(SIZE_CODECS.len()) + 20.0;
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{height}" font-family="sans-serif" font-size="10">"#,
        PANEL_WIDTH * 2.0
    );
    let _ = writeln!(svg, r#"<rect width="100%" height="100%" fill="white"/>"#);
    title(&mut svg, 0.0, "Encoded size, relative to legacy bincode");
    title(
        &mut svg,
        PANEL_WIDTH,
        "Round trip through a plugin, relative to the fastest codec",
    );
    legend(&mut svg);

    let mut y = top;
    for name in names {
        let _ = writeln!(
            svg,
            r#"<text x="4" y="{:.1}" font-weight="bold">{name}</text>"#,
            y + 9.0
        );
        let _ = writeln!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" font-weight="bold">{name}</text>"#,
            PANEL_WIDTH + 4.0,
            y + 9.0
        );
        let row = &sizes[name];
        let legacy = row["legacy-bincode"] as f64;
        let max_size = SIZE_CODECS
            .iter()
            .map(|c| row[c] as f64 / legacy)
            .fold(1.0, f64::max);
        for (i, codec) in SIZE_CODECS.iter().enumerate() {
            let relative = row[codec] as f64 / legacy;
            bar(
                &mut svg,
                0.0,
                y + i as f64 * BAR,
                relative / max_size,
                COLORS[i],
                &format!("{} B ({relative:.2}×)", row[codec]),
            );
        }
        let times: Vec<Option<f64>> = CODECS
            .iter()
            .map(|codec| m.round_trip(name, codec, "framework"))
            .collect();
        let fastest = times
            .iter()
            .flatten()
            .copied()
            .fold(f64::INFINITY, f64::min);
        let slowest = times.iter().flatten().copied().fold(0.0, f64::max);
        for (i, ns) in times.iter().enumerate() {
            if let Some(ns) = ns {
                bar(
                    &mut svg,
                    PANEL_WIDTH,
                    y + i as f64 * BAR,
                    ns / slowest,
                    COLORS[i],
                    &format!("{} ({:.2}×)", time(Some(*ns)), ns / fastest),
                );
            }
        }
        y += group_height(SIZE_CODECS.len());
    }
    svg.push_str("</svg>\n");
    svg
}

fn title(svg: &mut String, x: f64, text: &str) {
    let _ = writeln!(
        svg,
        r#"<text x="{:.1}" y="18" font-size="13" font-weight="bold">{text}</text>"#,
        x + 4.0
    );
}

fn legend(svg: &mut String) {
    for (i, codec) in SIZE_CODECS.iter().enumerate() {
        let x = 4.0 + i as f64 * 110.0;
        let _ = writeln!(
            svg,
            r#"<rect x="{x:.1}" y="34" width="10" height="10" fill="{}"/><text x="{:.1}" y="43">{codec}</text>"#,
            COLORS[i],
            x + 14.0
        );
    }
}

/// One bar of `fraction` of the bar area, with `label` after it.
fn bar(svg: &mut String, panel_x: f64, y: f64, fraction: f64, color: &str, label: &str) {
    let width = (fraction * BAR_AREA).max(1.0);
    let x = panel_x + LABEL_WIDTH;
    let _ = writeln!(
        svg,
        r#"<rect x="{x:.1}" y="{y:.1}" width="{width:.1}" height="{:.1}" fill="{color}"/><text x="{:.1}" y="{:.1}">{label}</text>"#,
        BAR - 2.0,
        x + width + 4.0,
        y + BAR - 3.0
    );
}
