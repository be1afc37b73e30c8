//! Charts drawn as inline SVG on the server: no script, and no inline styles (the staff pages'
//! content security policy forbids them). Everything is drawn in `currentColor`, so charts
//! follow the page's light or dark theme; series differ by opacity and, for lines, by dash
//! pattern (readable without colour), and carry a `series-N` class for a stylesheet to colour
//! with its variables. A `viewBox` lets them scale down on a phone. Each chart sits next to a
//! table of the same numbers.

use std::fmt::Write;

use super::tables::{cell, Chart, ChartKind};

const WIDTH: f64 = 600.0;
const HEIGHT: f64 = 200.0;
/// Room for the axis labels.
const LEFT: f64 = 40.0;
const BOTTOM: f64 = 20.0;
const TOP: f64 = 10.0;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Opacity and dash pattern of each series, in turn.
const SERIES_LOOK: [(f64, &str); 4] = [
    (1.0, "none"),
    (0.75, "6 3"),
    (0.55, "2 3"),
    (0.4, "8 3 2 3"),
];

/// The attributes that tell series `i` apart.
fn series_look(i: usize, line: bool) -> String {
    let (opacity, dash) = SERIES_LOOK[i % SERIES_LOOK.len()];
    let n = i + 1;
    if line {
        format!("class=\"series-{n}\" stroke-opacity=\"{opacity}\" stroke-dasharray=\"{dash}\"")
    } else {
        format!("class=\"series-{n}\" fill-opacity=\"{opacity}\"")
    }
}

/// The chart as an SVG element, or nothing for a table-only chart or one without rows.
pub fn render(chart: &Chart) -> Option<String> {
    let table = &chart.table;
    if chart.kind == ChartKind::Table || table.labels.is_empty() {
        return None;
    }
    let max = table
        .series
        .iter()
        .flat_map(|s| s.1.iter().flatten())
        .fold(0.0_f64, |a, b| a.max(*b))
        .max(1.0);
    let rows = table.labels.len();
    let plot_w = WIDTH - LEFT;
    let plot_h = HEIGHT - BOTTOM - TOP;
    let y = |v: f64| TOP + plot_h - v / max * plot_h;
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg class=\"chart\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" aria-label=\"{}\" \
         width=\"100%\" fill=\"currentColor\" stroke=\"currentColor\" font-size=\"10\">",
        escape(chart.title)
    );
    let _ = write!(
        svg,
        "<g stroke-opacity=\"0.3\"><line x1=\"{LEFT}\" y1=\"{TOP}\" x2=\"{WIDTH}\" y2=\"{TOP}\"/>\
         <line x1=\"{LEFT}\" y1=\"{b}\" x2=\"{WIDTH}\" y2=\"{b}\"/></g>\
         <g stroke=\"none\"><text x=\"{tx}\" y=\"{ty}\" text-anchor=\"end\">{top}</text>\
         <text x=\"{tx}\" y=\"{b}\" text-anchor=\"end\">0</text>\
         <text x=\"{LEFT}\" y=\"{HEIGHT}\">{first}</text>\
         <text x=\"{WIDTH}\" y=\"{HEIGHT}\" text-anchor=\"end\">{last}</text></g>",
        b = TOP + plot_h,
        tx = LEFT - 4.0,
        ty = TOP + 8.0,
        top = cell(Some(max)),
        first = escape(&table.labels[0]),
        last = escape(&table.labels[rows - 1]),
    );
    match chart.kind {
        ChartKind::Line => {
            let step = plot_w / (rows.max(2) - 1) as f64;
            for (i, (_, values)) in table.series.iter().enumerate() {
                let points: Vec<String> = values
                    .iter()
                    .enumerate()
                    .map(|(x, v)| {
                        format!("{:.1},{:.1}", LEFT + x as f64 * step, y(v.unwrap_or(0.0)))
                    })
                    .collect();
                let _ = write!(
                    svg,
                    "<polyline fill=\"none\" stroke-width=\"2\" vector-effect=\"non-scaling-stroke\" \
                     {} points=\"{}\"/>",
                    series_look(i, true),
                    points.join(" ")
                );
            }
        }
        ChartKind::Bar | ChartKind::Table => {
            let slot = plot_w / rows as f64;
            let bar = slot * 0.8 / table.series.len().max(1) as f64;
            for (i, (_, values)) in table.series.iter().enumerate() {
                let _ = write!(svg, "<g stroke=\"none\" {}>", series_look(i, false));
                for (x, v) in values.iter().enumerate() {
                    let v = v.unwrap_or(0.0);
                    let _ = write!(
                        svg,
                        "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\"/>",
                        LEFT + x as f64 * slot + slot * 0.1 + i as f64 * bar,
                        y(v),
                        bar,
                        TOP + plot_h - y(v)
                    );
                }
                svg.push_str("</g>");
            }
        }
    }
    svg.push_str("</svg>");
    Some(svg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::insights::tables::Table;

    #[test]
    fn a_bar_chart_scales_to_its_largest_value() {
        let chart = Chart {
            name: "hours",
            title: "Busiest <hours>",
            kind: ChartKind::Bar,
            table: Table {
                label_column: "hour",
                labels: vec!["00:00".into(), "01:00".into()],
                series: vec![("count", vec![Some(2.0), Some(4.0)])],
            },
        };
        let svg = render(&chart).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("viewBox"));
        assert!(svg.contains("Busiest &lt;hours&gt;"));
        assert_eq!(svg.matches("<rect").count(), 2);
        assert!(svg.contains(">4</text>"));
    }
}
