//! Packing a dataset as a cluster would (docs/cluster.md): four shards running at once with
//! their job-array environment — two run `docs/cluster/pack.sbatch` as Slurm array tasks, two
//! run the command of `docs/cluster/pack-indexed-job.yaml` as Kubernetes Indexed Job pods —
//! one killed part-way and re-run, then one merged summary. Every mesh must be packed exactly
//! once: nothing done is redone, nothing is missing, nothing is listed twice.

#![cfg(unix)]

use nsdf_testing::mesh::{cuboid, obj};
use nsdf_testing::TempDir;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime};

const MESHES: usize = 8;
const SHARDS: usize = 4;

/// Plumbing settings (the accuracy is not under test), passed through the scripts' NSDF_FLAGS.
const FAST: &str = "--samples 4000 --probe 200 --epochs 2 --quiet --keep-inaccurate";

/// For the shard that is killed after its first mesh: slow enough (about a second a mesh) that
/// the kill lands while it trains the second, however fast the machine packs FAST.
const SLOW: &str = "--samples 4000 --probe 200 --epochs 300 --quiet --keep-inaccurate";

const JOB_VARS: [&str; 4] = [
    "SLURM_ARRAY_TASK_ID",
    "SLURM_ARRAY_TASK_MIN",
    "SLURM_ARRAY_TASK_COUNT",
    "JOB_COMPLETION_INDEX",
];

/// `nsdf` with only the given job-array variables set (none inherited from the test's own
/// environment, which may itself be a cluster job).
fn nsdf(args: &[&str], env: &[(&str, String)]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_nsdf"));
    c.args(args);
    for v in JOB_VARS {
        c.env_remove(v);
    }
    c.envs(env.iter().map(|(k, v)| (k, v)));
    c
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The container command of the Indexed Job manifest: its `args` line.
fn indexed_job_command() -> String {
    let yaml = std::fs::read_to_string(repo().join("docs/cluster/pack-indexed-job.yaml")).unwrap();
    let line = yaml
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("- nsdf pack"))
        .expect("an `- nsdf pack ...` args line in the manifest");
    line.trim_start_matches("- ").to_string()
}

/// Shard `i` of [`SHARDS`]: 0 and 1 run the sbatch script as tasks of `--array=1-4`, 2 and 3
/// run the manifest's command as Indexed Job pods. `nsdf` is found on PATH, as there.
fn shard_job(meshes: &Path, out: &Path, i: usize, flags: &str) -> Command {
    let bin = Path::new(env!("CARGO_BIN_EXE_nsdf")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut env = vec![
        ("PATH", path),
        ("MESHES", meshes.display().to_string()),
        ("OUT", out.display().to_string()),
        ("NSDF_FLAGS", flags.to_string()),
    ];
    let mut c = if i < 2 {
        env.extend([
            ("SLURM_ARRAY_TASK_ID", (i + 1).to_string()),
            ("SLURM_ARRAY_TASK_MIN", "1".to_string()),
            ("SLURM_ARRAY_TASK_COUNT", SHARDS.to_string()),
            ("SLURM_CPUS_PER_TASK", "1".to_string()),
        ]);
        let mut c = Command::new("bash");
        c.arg(repo().join("docs/cluster/pack.sbatch"));
        c
    } else {
        env.extend([
            ("JOB_COMPLETION_INDEX", i.to_string()),
            ("SHARDS", SHARDS.to_string()),
        ]);
        let mut c = Command::new("sh");
        c.args(["-c", &indexed_job_command()]);
        c
    };
    for v in JOB_VARS {
        c.env_remove(v);
    }
    c.envs(env);
    // Its own process group, so that killing it kills nsdf under the shell too.
    std::os::unix::process::CommandExt::process_group(&mut c, 0);
    c
}

fn wait(child: Child) -> Output {
    child.wait_with_output().expect("wait for nsdf")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn mesh_name(k: usize) -> String {
    format!("m{k:02}")
}

fn modified(path: &Path) -> SystemTime {
    std::fs::metadata(path).unwrap().modified().unwrap()
}

#[test]
fn four_shards_at_once_one_killed_and_rerun_pack_every_mesh_exactly_once() {
    let tmp = TempDir::new("cluster-shards");
    let dir = tmp.path();
    let meshes = dir.join("meshes");
    let out = dir.join("out");
    std::fs::create_dir_all(&meshes).unwrap();
    for k in 0..MESHES {
        let s = 0.5 + 0.1 * k as f32;
        let m = cuboid([-s, -0.5, -0.3], [s, 0.5, 0.3], 2);
        std::fs::write(meshes.join(format!("{}.obj", mesh_name(k))), obj(&m)).unwrap();
    }
    // Shard 0 owns m00 and m04 (k mod 4 = 0).
    let first_of_shard0 = out.join("m00.nsdf");

    let mut jobs: Vec<Child> = (0..SHARDS)
        .map(|i| {
            shard_job(&meshes, &out, i, if i == 0 { SLOW } else { FAST })
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("start nsdf")
        })
        .collect();

    // Kill shard 0 as soon as its first mesh is written: it is then training its second.
    let start = Instant::now();
    while !first_of_shard0.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(300),
            "shard 0 wrote nothing in 5 minutes"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let pgid = jobs[0].id().to_string();
    let status = Command::new("kill")
        .args(["-KILL", "--", &format!("-{pgid}")])
        .status();
    assert!(
        status.unwrap().success(),
        "could not kill shard 0's process group"
    );
    let killed = wait(jobs.remove(0));
    assert!(!killed.status.success(), "shard 0 was not killed");
    for (i, job) in jobs.into_iter().enumerate() {
        let o = wait(job);
        assert!(o.status.success(), "shard {}: {}", i + 1, stderr(&o));
    }
    assert!(
        !out.join("summary-0-of-4.json").exists(),
        "a killed shard wrote a summary"
    );
    let done_before: Vec<(String, SystemTime)> = ["m00", "m04"]
        .iter()
        .map(|n| out.join(format!("{n}.nsdf")))
        .filter(|p| p.exists())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                modified(&p),
            )
        })
        .collect();
    assert!(
        done_before.len() < 2,
        "shard 0 finished before it was killed: the test exercised nothing"
    );

    // Merging now says what is missing, and fails.
    let o = nsdf(&["pack", "--summarize", out.to_str().unwrap()], &[])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("shard 0 of 4 has no summary"),
        "{}",
        stderr(&o)
    );

    // The re-run skips what the killed run finished and packs the rest.
    let o = wait(
        shard_job(&meshes, &out, 0, FAST)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    for (name, time) in &done_before {
        assert_eq!(modified(&out.join(name)), *time, "{name} was packed twice");
    }

    let o = nsdf(&["pack", "--summarize", out.to_str().unwrap()], &[])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(out.join("summary.json")).unwrap();
    let rows: serde_json::Value = serde_json::from_str(&text).unwrap();
    let rows = rows.as_array().unwrap();
    let names: Vec<&str> = rows.iter().map(|r| r["name"].as_str().unwrap()).collect();
    let want: Vec<String> = (0..MESHES)
        .map(|k| format!("{}.obj", mesh_name(k)))
        .collect();
    assert_eq!(names, want, "every mesh exactly once, sorted");
    for r in rows {
        let name = r["name"].as_str().unwrap();
        let skipped = done_before
            .iter()
            .any(|(n, _)| n.trim_end_matches(".nsdf") == name.trim_end_matches(".obj"));
        let want = if skipped { "skipped" } else { "packed" };
        assert_eq!(r["status"], want, "{r}");
        assert!(r["bytes"].as_u64().unwrap() > 1000, "{r}");
        // A skipped mesh's figures come from its file's stored statistics.
        assert!(r["sign_near"].as_f64().is_some(), "{r}");
        assert!(nsdf::Shape::open(out.join(name.replace(".obj", ".nsdf"))).is_ok());
    }
    let csv = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + MESHES);
}

#[test]
fn shard_auto_without_a_job_array_is_a_clear_error() {
    let tmp = TempDir::new("cluster-noenv");
    let dir = tmp.path();
    // Neither scheduler's variables; an Indexed Job index without the count.
    for (env, needle) in [
        (vec![], "SLURM_ARRAY_TASK_ID"),
        (vec![("JOB_COMPLETION_INDEX", "1".to_string())], "auto/N"),
    ] {
        let d = dir.to_str().unwrap();
        let o = nsdf(&["pack", d, "--out-dir", d, "--shard", "auto"], &env)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(1));
        assert!(stderr(&o).contains(needle), "{}", stderr(&o));
    }
    for bad in ["auto/0", "auto/x", "autox", "5/4"] {
        let o = nsdf(&["pack", dir.to_str().unwrap(), "--shard", bad], &[])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{bad}: {}", stderr(&o));
    }
    let o = nsdf(&["pack", "--summarize", dir.to_str().unwrap()], &[])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("no summary-I-of-N.json"),
        "{}",
        stderr(&o)
    );
}
