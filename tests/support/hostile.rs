//! Hostile servers for the deadline tests, on threads of the test: each listens on 127.0.0.1 on
//! a port the kernel picks, and stops (threads joined, sockets closed) when dropped. Plus a run
//! of the binary that has a deadline of its own, so a test of a wait cannot hang CI.
#![allow(clippy::missing_panics_doc)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::os::fd::AsRawFd;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::Run;

/// How often the server threads look at the stop flag.
const POLL: Duration = Duration::from_millis(20);

/// What a TCP server does with each connection.
#[derive(Clone, Debug)]
pub(crate) enum Behaviour {
    /// Accepts, reads whatever comes, and never sends a byte.
    Silent,
    /// After the request's first bytes, sends `start` and then `filler` forever, one byte
    /// every `interval`.
    Trickle {
        /// What it sends first (one byte at a time too).
        start: Vec<u8>,
        /// What it sends after, until the peer goes away.
        filler: u8,
        /// The pause before each byte.
        interval: Duration,
    },
}

/// A TCP server (and, for DNS, a UDP socket on the same port), stopped when dropped.
pub(crate) struct Hostile {
    /// Where it listens.
    pub(crate) address: SocketAddr,
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
    /// Connections that fill a backlog (see [`Hostile::backlogged`]).
    _held: Vec<TcpStream>,
    /// A listener no thread accepts on.
    _listener: Option<TcpListener>,
}

impl Hostile {
    /// A TCP server on 127.0.0.1 that treats every connection as `behaviour` says.
    pub(crate) fn tcp(behaviour: Behaviour) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        Self::serve(listener, None, behaviour)
    }

    /// A DNS server on 127.0.0.1: over UDP every query gets a truncated answer (TC set, its ID
    /// and question), so the client asks again over TCP, where `behaviour` answers.
    pub(crate) fn dns_truncating(behaviour: Behaviour) -> Self {
        for _ in 0..100 {
            let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
            let port = udp.local_addr().unwrap().port();
            if let Ok(listener) = TcpListener::bind(("127.0.0.1", port)) {
                return Self::serve(listener, Some(udp), behaviour);
            }
        }
        panic!("no port free for both UDP and TCP on 127.0.0.1");
    }

    /// A TCP listener whose accept queue is full and never drained: the kernel drops further
    /// connection requests (SYNs), so a client's connect waits until its own timeout.
    pub(crate) fn backlogged() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        // SAFETY: `listen` on a socket this function owns; Linux takes a second `listen` as a
        // change of the backlog. A backlog of 0 queues one connection.
        let status = unsafe { libc::listen(listener.as_raw_fd(), 0) };
        assert_eq!(status, 0, "listen: {}", std::io::Error::last_os_error());
        let address = listener.local_addr().unwrap();
        let mut held = Vec::new();
        // Fill the queue until a connect no longer completes.
        while held.len() < 16 {
            match TcpStream::connect_timeout(&address, Duration::from_millis(300)) {
                Ok(stream) => held.push(stream),
                Err(_) => break,
            }
        }
        assert!(held.len() < 16, "the backlog never filled");
        Self {
            address,
            stop: Arc::new(AtomicBool::new(false)),
            threads: Vec::new(),
            _held: held,
            _listener: Some(listener),
        }
    }

    fn serve(listener: TcpListener, udp: Option<UdpSocket>, behaviour: Behaviour) -> Self {
        let address = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let mut threads = Vec::new();
        listener.set_nonblocking(true).unwrap();
        threads.push(std::thread::spawn({
            let stop = Arc::clone(&stop);
            move || {
                let mut connections = Vec::new();
                while !stop.load(Ordering::SeqCst) {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            let stop = Arc::clone(&stop);
                            let behaviour = behaviour.clone();
                            connections.push(std::thread::spawn(move || {
                                handle(stream, &behaviour, &stop);
                            }));
                        }
                        Err(_) => std::thread::sleep(POLL),
                    }
                }
                for connection in connections {
                    let _ = connection.join();
                }
            }
        }));
        if let Some(udp) = udp {
            udp.set_read_timeout(Some(POLL)).unwrap();
            threads.push(std::thread::spawn({
                let stop = Arc::clone(&stop);
                move || {
                    let mut buffer = [0_u8; 4096];
                    while !stop.load(Ordering::SeqCst) {
                        if let Ok((length, peer)) = udp.recv_from(&mut buffer)
                            && let Some(answer) = truncated_answer(&buffer[..length])
                        {
                            let _ = udp.send_to(&answer, peer);
                        }
                    }
                }
            }));
        }
        Self {
            address,
            stop,
            threads,
            _held: Vec::new(),
            _listener: None,
        }
    }
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

fn handle(mut stream: TcpStream, behaviour: &Behaviour, stop: &AtomicBool) {
    stream.set_read_timeout(Some(POLL)).unwrap();
    // Wait for the request to begin.
    let mut buffer = [0_u8; 4096];
    loop {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        match stream.read(&mut buffer) {
            Ok(0) => return,
            Ok(_) => break,
            Err(_) => {}
        }
    }
    match behaviour {
        Behaviour::Silent => {
            while !stop.load(Ordering::SeqCst) {
                if let Ok(0) = stream.read(&mut buffer) {
                    return;
                }
            }
        }
        Behaviour::Trickle {
            start,
            filler,
            interval,
        } => {
            for byte in start.iter().chain(std::iter::repeat(filler)) {
                if stop.load(Ordering::SeqCst) {
                    return;
                }
                std::thread::sleep(*interval);
                if stream.write_all(&[*byte]).is_err() {
                    return;
                }
            }
        }
    }
}

/// `query` answered with TC set and no records: its ID, flags QR and TC, its question.
fn truncated_answer(query: &[u8]) -> Option<Vec<u8>> {
    let mut end = 12;
    loop {
        let length = usize::from(*query.get(end)?);
        end += 1;
        if length == 0 {
            break;
        }
        end += length;
    }
    end += 4;
    let mut answer = query.get(..end)?.to_vec();
    answer[2] |= 0x80 | 0x02; // QR, TC
    answer[3] = 0;
    // One question, no answer, authority or additional records.
    answer[4..12].copy_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]);
    Some(answer)
}

/// Runs `command`, killing it (by its PID) if it has not ended within `deadline`: the test then
/// fails, instead of hanging.
pub(crate) fn run_with_deadline(command: &mut Command, deadline: Duration) -> Run {
    let started = Instant::now();
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        text
    });
    let err = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "still running after {deadline:?}; killed\n--- stdout\n{}--- stderr\n{}",
                out.join().unwrap(),
                err.join().unwrap()
            );
        }
        std::thread::sleep(POLL);
    };
    Run {
        code: status.code().expect("exited, not killed"),
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}
