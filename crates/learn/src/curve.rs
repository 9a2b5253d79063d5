//! The training curve as a small self-contained SVG (no script, no external resources), written
//! beside a learned policy so a person can see whether training converged.

/// One line of the chart: a name and one value per step.
pub struct Series<'a> {
    pub name: &'a str,
    pub values: Vec<f64>,
}

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 320.0;
const MARGIN: f64 = 40.0;
const COLOURS: [&str; 6] = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf"];

/// Text made safe inside SVG or HTML elements and attribute values.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The chart: x is the step (1..), y spans the values' range; non-finite values are skipped.
pub fn svg(title: &str, x_label: &str, series: &[Series<'_>]) -> String {
    let finite = || series.iter().flat_map(|s| s.values.iter().copied()).filter(|v| v.is_finite());
    let (mut low, mut high) = finite().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if !low.is_finite() || !high.is_finite() {
        (low, high) = (0.0, 1.0);
    }
    if (high - low).abs() < 1e-12 {
        (low, high) = (low - 0.5, high + 0.5);
    }
    let steps = series.iter().map(|s| s.values.len()).max().unwrap_or(0).max(2);
    let x = |i: usize| MARGIN + (WIDTH - 2.0 * MARGIN) * i as f64 / (steps - 1) as f64;
    let y = |v: f64| HEIGHT - MARGIN - (HEIGHT - 2.0 * MARGIN) * (v - low) / (high - low);
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" width=\"{WIDTH}\" height=\"{HEIGHT}\" font-family=\"sans-serif\" font-size=\"11\">\n\
         <title>{}</title>\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"{MARGIN}\" y=\"20\" font-size=\"13\">{}</text>\n\
         <line x1=\"{MARGIN}\" y1=\"{b}\" x2=\"{r}\" y2=\"{b}\" stroke=\"#888\"/>\n<line x1=\"{MARGIN}\" y1=\"{MARGIN}\" x2=\"{MARGIN}\" y2=\"{b}\" stroke=\"#888\"/>\n\
         <text x=\"{r}\" y=\"{xl}\" text-anchor=\"end\">{}</text>\n\
         <text x=\"4\" y=\"{top}\">{high:.3}</text>\n<text x=\"4\" y=\"{b}\">{low:.3}</text>\n",
        escape(title),
        escape(title),
        escape(x_label),
        b = HEIGHT - MARGIN,
        r = WIDTH - MARGIN,
        xl = HEIGHT - 10.0,
        top = MARGIN + 4.0,
    );
    for (index, line) in series.iter().enumerate() {
        let colour = COLOURS.get(index % COLOURS.len()).copied().unwrap_or("#000");
        let points: Vec<String> = line
            .values
            .iter()
            .enumerate()
            .filter(|(_, v)| v.is_finite())
            .map(|(i, v)| format!("{:.1},{:.1}", x(i), y(*v)))
            .collect();
        out.push_str(&format!("<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.5\" points=\"{}\"/>\n", points.join(" ")));
        let legend_y = MARGIN + 14.0 * index as f64;
        out.push_str(&format!(
            "<text x=\"{:.0}\" y=\"{legend_y:.0}\" fill=\"{colour}\">{}</text>\n",
            WIDTH - MARGIN - 150.0,
            escape(line.name)
        ));
    }
    out.push_str("</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chart_draws_every_series_and_escapes_names() {
        let chart = svg("reward <ppo>", "update", &[
            Series { name: "reward", values: vec![0.1, 0.5, 0.9] },
            Series { name: "a&b", values: vec![1.0, f64::NAN, 0.0] },
        ]);
        assert_eq!(chart.matches("<polyline").count(), 2);
        assert!(chart.contains("reward &lt;ppo&gt;") && chart.contains("a&amp;b"));
        assert!(!chart.contains("NaN"));
    }

    #[test]
    fn empty_and_flat_series_still_draw() {
        assert!(svg("t", "x", &[]).ends_with("</svg>\n"));
        let flat = svg("t", "x", &[Series { name: "flat", values: vec![0.5; 4] }]);
        assert!(!flat.contains("NaN") && !flat.contains("inf"));
    }
}
