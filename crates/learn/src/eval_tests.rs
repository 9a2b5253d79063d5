use super::*;

#[test]
fn the_interval_uses_students_t() {
    let interval = Interval::of(&[1.0, 2.0, 3.0, 4.0, 5.0]).unwrap();
    assert!((interval.mean - 3.0).abs() < 1e-12);
    // sd = sqrt(2.5), se = sqrt(0.5), t(4) = 2.776.
    assert!((interval.half_width - 2.776 * 0.5f64.sqrt()).abs() < 1e-9, "{interval:?}");
    assert_eq!(Interval::of(&[0.7]).unwrap().half_width, 0.0);
    assert!(Interval::of(&[]).is_none());
    assert_eq!(t_975(1000), 1.96);
}

#[test]
fn the_gate_catches_exposing_everything_nothing_or_by_name() {
    let tools = vec![
        crate::episode::ToolSpec::new("a", "reads", vec![]),
        crate::episode::ToolSpec::new("b", "writes", vec![]),
        crate::episode::ToolSpec::new("c", "runs", vec![]),
    ];
    let mut episode = Episode::new("e", "t", tools);
    episode.needed = vec![true, false, false];
    let episodes = vec![episode];
    let exact = vec![vec![true, false, false]];
    assert!(Gate::of(&episodes, &exact, &exact).passed);
    let everything = vec![vec![true, true, true]];
    let gate = Gate::of(&episodes, &everything, &everything);
    assert!(!gate.passed && (gate.excess_exposure - 2.0 / 3.0).abs() < 1e-12);
    let nothing = vec![vec![false, false, false]];
    assert!(!Gate::of(&episodes, &nothing, &nothing).passed);
    let renamed = vec![vec![false, true, false]];
    assert_eq!(Gate::of(&episodes, &exact, &renamed).rename_changes, 1);
}

#[test]
fn an_evaluation_over_no_sessions_is_refused() {
    let gym = crate::gym::Gym::builtin().unwrap();
    let config = EvalConfig { test_sessions: 0, ..EvalConfig::default() };
    let err = evaluate(&gym, &config, &mut |_| {}).unwrap_err();
    assert!(err.to_string().contains("at least 1"), "{err}");
}
