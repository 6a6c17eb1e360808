//! What the benchmark reads about its own process and the machine: resident memory, CPU time,
//! load. Linux only (`/proc`); elsewhere the figures are absent.

use serde_json::{Value, json};

/// A field of `/proc/self/status` in kB (`VmRSS`, `VmHWM`), as MiB.
fn status_mib(field: &str) -> Option<f64> {
    let text = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = text.lines().find(|l| l.starts_with(field))?;
    let kb: f64 = line
        .trim_start_matches(field)
        .trim_start_matches(':')
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

/// The process's resident memory now, MiB.
pub fn rss_mib() -> Option<f64> {
    status_mib("VmRSS")
}

/// The process's peak resident memory since start or the last [`reset_peak`], MiB.
pub fn peak_rss_mib() -> Option<f64> {
    status_mib("VmHWM")
}

/// Resets the peak resident memory (`VmHWM`) to the current value; `false` when the kernel
/// refuses (then only sampled peaks are available).
pub fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// CPU time (user + system) the process has used, in ms, at the kernel's resolution of 10 ms
/// (`USER_HZ` is 100 on Linux whatever the kernel's tick).
pub fn cpu_ms() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) is in parentheses and may hold spaces: count after it.
    let after = text.get(text.rfind(')')? + 1..)?;
    let fields: Vec<&str> = after.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line: 12th and 13th after the name.
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) * 10.0)
}

/// The 1-minute load average.
pub fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The machine: CPU model and count, memory, kernel, load average.
pub fn machine() -> Value {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map(|s| s.trim().to_owned());
    let mem_gib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("MemTotal"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map(|kb| (kb / 1024.0 / 1024.0 * 10.0).round() / 10.0);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .ok()
        .map(|s| s.trim().to_owned());
    json!({
        "cpu": model,
        "cpus": std::thread::available_parallelism().map(|n| n.get()).ok(),
        "memory_gib": mem_gib,
        "kernel": kernel,
        "load_average_1m": load_average(),
    })
}

/// Samples resident memory every 250 ms until stopped, keeping the largest value: the peak of a
/// phase where the kernel's `VmHWM` cannot be reset.
pub struct RssSampler {
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<f64>,
}

impl RssSampler {
    /// Starts sampling.
    pub fn start() -> Self {
        let (stop, mut rx) = tokio::sync::watch::channel(false);
        let task = tokio::spawn(async move {
            let mut peak = rss_mib().unwrap_or(0.0);
            loop {
                tokio::select! {
                    _ = rx.changed() => break,
                    () = tokio::time::sleep(std::time::Duration::from_millis(250)) => {}
                }
                peak = peak.max(rss_mib().unwrap_or(0.0));
            }
            peak.max(rss_mib().unwrap_or(0.0))
        });
        Self { stop, task }
    }

    /// Stops sampling and returns the largest resident memory seen, MiB.
    pub async fn finish(self) -> f64 {
        let _ = self.stop.send(true);
        self.task.await.unwrap_or(0.0)
    }
}
