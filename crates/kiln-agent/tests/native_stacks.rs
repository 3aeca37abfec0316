//! The native sampler on a C program built without frame pointers: whole
//! stacks through `.eh_frame`, inlined frames from DWARF, and the hot
//! function's share matching the CPU time the program measured itself.

mod common;

use common::{build, folded, has_run, profile_run, samples_where, top, total};

/// Parses `hot_seconds=X cold_seconds=Y` printed by hot_cold.c.
fn measured_split(stdout: &[u8]) -> (f64, f64) {
    let text = String::from_utf8_lossy(stdout);
    let value = |key: &str| -> f64 {
        let rest = text.split(key).nth(1).expect("key printed");
        rest.split_whitespace().next().and_then(|v| v.parse().ok()).expect("a number")
    };
    (value("hot_seconds="), value("cold_seconds="))
}

#[test]
fn omit_frame_pointer_binary_shows_main_to_hot_with_its_measured_share() {
    let exe = build("hot_cold.c", &["-O2", "-fomit-frame-pointer", "-g"]);
    let (profile, output) = profile_run(&exe, &["2.0"], 1000);
    assert!(output.status.success());
    let (hot_s, cold_s) = measured_split(&output.stdout);
    let stacks = folded(&profile);
    let all = total(&stacks) as f64;
    let whole = samples_where(&stacks, |f| has_run(f, &["main", "run", "hot"])) as f64;
    let in_hot = samples_where(&stacks, |f| f.contains(&"hot")) as f64;
    assert!(whole / in_hot > 0.99, "stacks through hot must reach main:\n{}", top(&stacks));
    let expected = 100.0 * hot_s / (hot_s + cold_s);
    let observed = 100.0 * in_hot / all;
    eprintln!("hot share: observed {observed:.2}% expected {expected:.2}% over {all} samples");
    assert!(
        (observed - expected).abs() <= 3.0,
        "hot: observed {observed:.1}% expected {expected:.1}%\n{}",
        top(&stacks)
    );
    let in_cold = samples_where(&stacks, |f| has_run(f, &["main", "run", "cold"])) as f64;
    assert!(in_cold / all > 0.1, "cold must show up too:\n{}", top(&stacks));
}

#[test]
fn inlined_functions_appear_as_their_own_frames() {
    let exe = build("hot_cold.c", &["-O2", "-fomit-frame-pointer", "-g"]);
    let (profile, _) = profile_run(&exe, &["0.5"], 500);
    let stacks = folded(&profile);
    let inlined = samples_where(&stacks, |f| has_run(f, &["run", "hot", "step"]));
    assert!(inlined * 2 > total(&stacks), "step inlined into hot must be a frame:\n{}", top(&stacks));
}

#[test]
fn samples_match_rate_times_cpu_time() {
    let exe = build("hot_cold.c", &["-O2", "-fomit-frame-pointer"]);
    let (profile, output) = profile_run(&exe, &["1.0"], 100);
    let (hot_s, cold_s) = measured_split(&output.stdout);
    let samples = total(&folded(&profile)) as f64;
    let expected = 100.0 * (hot_s + cold_s);
    assert!((samples - expected).abs() / expected < 0.1, "{samples} samples for {expected} expected");
    let cpu = profile.sample_type_index("cpu").expect("cpu type");
    assert_eq!(profile.totals()[cpu], samples as i64 * 10_000_000, "one sample is 10 ms of CPU at 100 Hz");
}

#[test]
fn stripped_of_debug_info_names_still_come_from_the_symbol_table() {
    let exe = build("hot_cold.c", &["-O2", "-fomit-frame-pointer"]);
    let (profile, _) = profile_run(&exe, &["0.5"], 200);
    let stacks = folded(&profile);
    let whole = samples_where(&stacks, |f| has_run(f, &["main", "run", "hot"]));
    assert!(whole * 2 > total(&stacks), "main;run;hot without -g:\n{}", top(&stacks));
}
