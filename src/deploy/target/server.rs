//! What the target's servers say: the served SOA serials, polled until they are the expected
//! ones, and NOTIFY to the secondaries, each within its deadline.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::deploy::{Served, dns};

/// What the server serves, with a transport failure counted as "not served".
pub(super) fn served(server: SocketAddr, origin: &str, limit: Duration) -> Served {
    match dns::query_serial(server, origin, limit) {
        Ok(answer) => answer,
        Err(error) => Served::NotServed(error.to_string()),
    }
}

/// Polls `server` until it serves every `(origin, serial)`, or `seconds` pass.
pub(super) fn wait_for_serials(
    server: SocketAddr,
    expected: &[(&str, u32)],
    seconds: u32,
) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(u64::from(seconds));
    let mut last: Vec<Served> = vec![Served::Unknown; expected.len()];
    loop {
        // Ask again about every zone not yet confirmed, in parallel.
        let limit = deadline
            .saturating_duration_since(Instant::now())
            .clamp(Duration::from_millis(200), Duration::from_secs(2));
        last.par_iter_mut()
            .zip(expected)
            .filter(|(now, (_, serial))| **now != Served::Serial(*serial))
            .for_each(|(now, (origin, _))| *now = served(server, origin, limit));
        let all = last
            .iter()
            .zip(expected)
            .all(|(now, (_, serial))| *now == Served::Serial(*serial));
        if all {
            return Ok(());
        }
        if Instant::now() >= deadline {
            let mut message =
                format!("{server} did not serve the expected serials within {seconds}s:");
            for ((origin, serial), served) in expected.iter().zip(&last) {
                if *served != Served::Serial(*serial) {
                    let now = match served {
                        Served::Serial(now) => format!("serial {now}"),
                        Served::NotServed(why) => format!("not served ({why})"),
                        Served::Unknown => "unknown".to_owned(),
                    };
                    let _ = write!(
                        message,
                        "\n    {origin} expected serial {serial}, served {now}"
                    );
                }
            }
            return Err(message);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Sends NOTIFY for every zone to `secondary` (again every few seconds, as RFC 1996 §3.6 asks of
/// a primary that gets no answer) and waits until it serves every new serial.
pub(super) fn notify_and_wait(
    secondary: SocketAddr,
    expected: &[(&str, u32)],
    seconds: u32,
) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(u64::from(seconds));
    for (origin, serial) in expected {
        let remaining = deadline.saturating_duration_since(Instant::now());
        match dns::notify(
            secondary,
            origin,
            *serial,
            remaining.min(Duration::from_secs(5)),
        ) {
            Ok(None) => {}
            Ok(Some(code)) => {
                return Err(format!(
                    "{secondary} refused the NOTIFY for {origin} ({code})"
                ));
            }
            Err(error) => return Err(format!("NOTIFY for {origin}: {error}")),
        }
    }
    let remaining = deadline.saturating_duration_since(Instant::now());
    wait_for_serials(
        secondary,
        expected,
        remaining.as_secs().try_into().unwrap_or(u32::MAX).max(1),
    )
    .map_err(|failure| format!("after NOTIFY, {failure}"))
}

pub(super) fn describe_serials(expected: &[(&str, u32)]) -> String {
    expected
        .iter()
        .map(|(origin, serial)| format!("{origin} {serial}"))
        .collect::<Vec<_>>()
        .join(", ")
}
