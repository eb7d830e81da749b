//! The baselines from scripts: `nuts` on a correlated Gaussian written as a closure, `hmc`
//! and `map_fit` on a mock catalog through a tiny emulator (with the draws written as
//! Parquet and the figures), the compare script at a tiny size, and clear errors that a
//! script can branch on (an emulator with other inputs: `tests/hmc_hier.rs`).

mod cli_util;

use cli_util::galchem;
use std::path::Path;

/// The numbers on the first line that starts with `key`.
fn nums_after(out: &str, key: &str) -> Vec<f64> {
    let line = out.lines().find(|l| l.starts_with(key)).unwrap_or("");
    line.split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect()
}

fn eval_in(cwd: &Path, code: &str) -> (bool, String, String) {
    galchem(&["eval", code], cwd, None)
}

#[test]
fn nuts_samples_a_correlated_gaussian_written_as_a_closure() {
    let dir = tempfile::tempdir().unwrap();
    let code = r#"
        let r = nuts(|x| {
            let a = x[0] - 1.0;
            let b = (x[1] + 2.0) / 3.0;
            let k = 1.0 / (1.0 - 0.81);
            [-0.5 * k * (a * a - 1.8 * a * b + b * b), [-k * (a - 0.9 * b), -k * (b - 0.9 * a) / 3.0]]
        }, [0.0, 0.0], #{ chains: 4, warmup: 500, draws: 1000, seed: 3 });
        let d = r.draws;
        print(`mean ${r.mean[0]} ${r.mean[1]} sd ${r.sd[0]} ${r.sd[1]}`);
        print(`rhat ${r.rhat[0]} ${r.rhat[1]} ess ${r.ess_bulk[0]} ${r.ess_bulk[1]} div ${r.divergences}`);
        print(`rows ${d.len()} cols ${d.columns()}`);
        // started exactly at the mode, where the gradient is 0 (nuts-rs rejects such a start;
        // the adapter moves it by 1e-4)
        let z = nuts(|x| [-0.5 * (x[0] * x[0] + x[1] * x[1]), [-x[0], -x[1]]], [0.0, 0.0], #{ chains: 2, warmup: 100, draws: 100, seed: 1 });
        print(`mode ${z.draws.len()}`);
    "#;
    let (ok, out, err) = eval_in(dir.path(), code);
    assert!(ok, "{out}{err}");
    let nums = |key: &str| -> Vec<f64> {
        let line = out.lines().find(|l| l.starts_with(key)).unwrap();
        line.split_whitespace()
            .filter_map(|w| w.parse().ok())
            .collect()
    };
    let m = nums("mean");
    assert!(
        (m[0] - 1.0).abs() < 0.15 && (m[1] + 2.0).abs() < 0.45,
        "{out}"
    );
    assert!(
        (m[2] - 1.0).abs() < 0.1 && (m[3] - 3.0).abs() < 0.3,
        "{out}"
    );
    let r = nums("rhat");
    assert!(
        r[0] < 1.01 && r[1] < 1.01 && r[2] > 400.0 && r[3] > 400.0 && r[4] == 0.0,
        "{out}"
    );
    assert!(
        out.contains("rows 4000") && out.contains("\"chain\", \"draw\", \"x0\", \"x1\""),
        "{out}"
    );
}

#[test]
fn hmc_and_map_fit_on_a_mock_catalog_with_draws_and_figures() {
    let dir = tempfile::tempdir().unwrap();
    let code = r#"
        let runs = chempy("tng").draw_valid(paper_prior(#{ box: 5 }), 3000, 1);
        let emu = train_emulator(runs.runs, #{ hidden: [16, 8], epochs: 3, seed: 1 });
        emu.save("emu.json");
        let cat = mock_catalog_ages(emu, #{ n: 12, seed: 5 });
        let m = map_fit("emu.json", cat, #{ model_error: false });
        print(`map ${m.alpha_imf_mean} ${m.alpha_imf_sd} ${m.converged} ${m.n_stars}`);
        let h = hmc(emu, cat, #{ n_stars: 8, chains: 2, warmup: 100, draws: 100, seed: 2 });
        print(`hmc ${h.alpha_imf_mean} ${h.alpha_imf_sd} ${h.alpha_imf_q16} ${h.rhat_max} ${h.ess_bulk_min} ${h.n_stars} ${h.chains} ${h.draws_per_chain}`);
        h.draws.write("draws.parquet");
        let back = read_parquet("draws.parquet");
        print(`parquet ${back.len()} ${back.columns().len()} ${"model_error_Fe_H" in back.columns()} ${"birth_time_7" in back.columns()} ${"diverging" in back.columns()}`);
        trace_figure(h, #{}).save("trace.png");
        rank_figure(h, #{ params: ["alpha_imf", "log10_sfe_0"] }).save("rank.png");
        print(`keys ${h.keys().len()} ${h.summary.alpha_imf.median}`);
        let g = h.global_draws;
        print(`global ${g.len()} ${g.columns()}`);
        print(`truth ${h.alpha_imf_mean} ${h.alpha_imf_sd} ${h.log10_n_ia_mean} ${h.log10_n_ia_sd} ${m.log10_n_ia_mean} ${m.log10_n_ia_sd}`);
        posterior_figure([h, m], #{ truth: [-2.3, -2.89] }).save("posteriors.png");
    "#;
    let (ok, out, err) = eval_in(dir.path(), code);
    assert!(ok, "{out}{err}");
    assert!(
        out.contains("parquet 200 ") && out.contains(" true true true"),
        "{out}"
    );
    assert!(dir.path().join("trace.png").is_file() && dir.path().join("rank.png").is_file());
    // 2 + 8 + 4·8 = 42 parameters, chain and draw, 6 statistics
    assert!(out.contains("parquet 200 50 "), "{out}");
    assert!(
        out.contains("global 200 [\"alpha_imf\", \"log10_n_ia\"]"),
        "{out}"
    );
    assert!(dir.path().join("posteriors.png").is_file());
    // The mock is simulated by the emulator itself, so the model is right: the truth
    // (-2.3, -2.89) lies within 3 posterior sds of HMC's mean (0.003 allows for the
    // rounding of the observations), and MAP's Laplace marginal of log10 N_Ia (a
    // different 12-star subset) is as close.
    let t = nums_after(&out, "truth");
    let within = |mean: f64, sd: f64, truth: f64| (mean - truth).abs() < 3.0 * sd + 0.003;
    assert!(t[1] > 0.0 && t[3] > 0.0 && t[5] > 0.0, "{out}");
    assert!(
        within(t[0], t[1], -2.3) && within(t[2], t[3], -2.89),
        "{out}"
    );
    assert!(within(t[4], t[5], -2.89), "{out}");
}

#[test]
fn bad_input_is_an_error_of_a_kind_a_script_can_branch_on() {
    let dir = tempfile::tempdir().unwrap();
    let code = r#"
        let runs = chempy("tng").draw_valid(paper_prior(#{ box: 5 }), 1000, 1);
        let emu = train_emulator(runs.runs, #{ hidden: [4], epochs: 1, seed: 1 });
        let cat = read_csv(data_path("catalogs/mock_chempy_tng.csv"));
        let no_ages = cat.select(["obs_CFe", "obs_FeH", "obs_HeFe", "obs_MgFe", "obs_NFe", "obs_NeFe", "obs_OFe", "obs_SiFe"]);
        let kinds = [];
        try { map_fit(emu, no_ages, #{ ages: true }) } catch (e) { kinds.push(`${e.kind}: ${e.message}`); }
        try { map_fit(emu, cat, #{ n_stars: 5000 }) } catch (e) { kinds.push(`${e.kind}: ${e.message}`); }
        try { hmc(chempy("tng"), cat) } catch (e) { kinds.push(`${e.kind}: ${e.message}`); }
        try { hmc(emu, cat, #{ chain: 2 }) } catch (e) { kinds.push(`${e.kind}: ${e.message}`); }
        try { hmc(emu, cat, #{ target_accept: 1.5, n_stars: 2 }) } catch (e) { kinds.push(`${e.kind}: ${e.message}`); }
        try { nuts(|x| [0.0], [0.0], #{ draws: 10, warmup: 10 }) } catch (e) { kinds.push(`${e.kind}: ${e.message}`); }
        for k in kinds { print(k); }
    "#;
    let (ok, out, err) = eval_in(dir.path(), code);
    assert!(ok, "{out}{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 6, "{out}");
    assert!(
        lines[0].starts_with("input:") && lines[0].contains("no ages"),
        "{out}"
    );
    assert!(
        lines[1].starts_with("input:") && lines[1].contains("5000 stars"),
        "{out}"
    );
    assert!(
        lines[2].starts_with("option:") && lines[2].contains("CHEMPY has no gradient"),
        "{out}"
    );
    assert!(
        lines[3].contains("unknown option 'chain'") && lines[3].contains("did you mean 'chains'"),
        "{out}"
    );
    assert!(
        lines[4].starts_with("option:") && lines[4].contains("target_accept"),
        "{out}"
    );
    assert!(lines[5].contains("[log_density, gradient]"), "{out}");
}

#[test]
fn the_compare_script_writes_every_field_at_a_tiny_size() {
    let dir = tempfile::tempdir().unwrap();
    let prep = r#"
        let runs = chempy("tng").draw_valid(paper_prior(#{ box: 5 }), 3000, 1);
        let emu = train_emulator(runs.runs, #{ hidden: [16, 8], epochs: 3, seed: 1 });
        emu.save("emu.json");
        train_npe(emu, #{ n_sims: 2000, max_epochs: 3, seed: 3 }).save("post.json");
        mock_catalog_ages(emu, #{ n: 30, seed: 4 }).write("mock.csv");
    "#;
    let (ok, out, err) = eval_in(dir.path(), prep);
    assert!(ok, "{out}{err}");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/compare_sbi_hmc.rhai");
    let script = script.display().to_string();
    let args = [
        "run",
        &script,
        "--",
        "catalog=mock.csv",
        "posterior=post.json",
        "emulator=emu.json",
        "n=2,5",
        "realisations=2",
        "chains=2",
        "warmup=60",
        "draws=60",
        "model_error=false",
        "out=cmp.json",
        "figure=cmp.png",
        "posteriors=post.png",
    ];
    let (ok, out, err) = galchem(&args, dir.path(), None);
    assert!(ok, "{out}{err}");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("cmp.json")).unwrap())
            .unwrap();
    let results = v["results"].as_array().unwrap();
    assert_eq!(results.len(), 2 * 2 * 3, "{v}");
    for r in results {
        for key in [
            "n",
            "method",
            "alpha_imf_mean",
            "alpha_imf_sd",
            "log10_n_ia_mean",
            "log10_n_ia_sd",
            "seconds",
            "alpha_imf_z",
            "log10_n_ia_z",
            "truth_within_2sd",
        ] {
            assert!(r.get(key).is_some(), "{key} missing in {r}");
        }
        if r["method"] == "hmc" {
            for key in ["rhat_max", "ess_bulk_min", "divergences"] {
                assert!(r.get(key).is_some(), "{key} missing in {r}");
            }
        }
    }
    assert_eq!(v["speedups"].as_array().unwrap().len(), 2);
    assert!(dir.path().join("cmp.png").is_file() && dir.path().join("post.png").is_file());
    assert!(out.contains("HMC/SBI"), "{out}");
}
