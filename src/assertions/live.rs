//! The live backend (IO edge): real DNS queries to one server, for `zonegate test --server`.
//!
//! Each query is a non-recursive (RD clear) message with EDNS(0) and a 1232-octet payload (DNS
//! flag day 2020), sent over UDP; a truncated response (TC) is asked again over TCP (RFC 7766).
//! A try that gets no matching response within the timeout is repeated, up to the configured
//! number of tries. The timeout is a deadline for the whole try, not for each read: the UDP
//! wait and the TCP exchange after a truncated answer (connect, send, every byte of the answer)
//! all end at it, so a server that trickles its answer a byte at a time cannot stretch a query
//! past tries x timeout. Responses are matched by ID and question, so a late answer to an
//! earlier try is never taken for the current one; a response that does match but cannot be
//! decoded is reported as malformed rather than waited past. The whole response is kept:
//! response code, the AA flag, and the answer, authority and additional sections, decoded (by
//! [`super::wire`]) into the same [`Answer`] type the in-memory resolver returns.
//!
//! Why not hickory-resolver: it is a stub resolver. It sets RD, caches, follows CNAMEs itself,
//! turns NXDOMAIN and NODATA into errors and does not hand back the authority and additional
//! sections or the AA flag as the server sent them, which are exactly what an assertion about
//! an authoritative server inspects. hickory-proto (already a dependency) builds the queries;
//! responses are decoded straight into the model by [`super::wire`]; the sockets are std's.
//!
//! Throughput comes from concurrency rather than pipelining: the runner evaluates assertions on
//! [`Server::concurrency`] threads, each blocking on its own socket from a shared pool, so many
//! queries are in flight at once while no thread spins.
#![allow(clippy::disallowed_methods)] // IO edge: talks to a DNS server.

use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream, UdpSocket};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use hickory_proto::op::{Edns, Message, Query};
use hickory_proto::rr as hickory;

use super::resolver::Answer;
use super::wire::Response;
use super::{Backend, QueryError};
use crate::model::name::Name;
use crate::model::record::RecordType;

/// The EDNS(0) UDP payload size advertised (DNS flag day 2020).
pub const UDP_PAYLOAD: u16 = 1232;

/// Timeouts and retries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// How long each try may take in all, UDP and TCP (at least a millisecond).
    pub timeout: Duration,
    /// How many times to send a query before giving up (at least 1).
    pub tries: usize,
    /// Queries in flight at once.
    pub concurrency: usize,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(2),
            tries: 3,
            concurrency: 32,
        }
    }
}

/// A DNS server to query.
#[derive(Debug)]
pub struct Server {
    address: SocketAddr,
    options: Options,
    /// Idle UDP sockets, connected to the server (so the kernel drops anyone else's datagrams),
    /// each with its receive buffer: allocating and zeroing 64 KiB per query cost more than
    /// the query.
    sockets: Mutex<Vec<(UdpSocket, Vec<u8>)>>,
    /// Idle TCP connections to the server: a truncated answer is asked again over TCP, and a
    /// connection carries many queries (RFC 7766 section 6.2.1), sparing both sides a
    /// handshake per query.
    connections: Mutex<Vec<TcpStream>>,
}

/// `ADDR[:PORT]` could not be understood.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a server address; expected ADDR or ADDR:PORT (e.g. 127.0.0.1:5353 or [::1]:53)"
)]
pub struct AddressError(pub String);

/// Parses `ADDR`, `ADDR:PORT`, `[V6]` or `[V6]:PORT`; the port defaults to 53.
pub fn parse_address(text: &str) -> Result<SocketAddr, AddressError> {
    let text = text.trim();
    if let Ok(address) = text.parse::<SocketAddr>() {
        return Ok(address);
    }
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, 53));
    }
    if let Some(inner) = text
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        && let Ok(ip) = inner.parse::<Ipv6Addr>()
    {
        return Ok(SocketAddr::new(IpAddr::V6(ip), 53));
    }
    Err(AddressError(text.to_owned()))
}

impl Server {
    /// A server at `address`.
    pub fn new(address: SocketAddr, options: Options) -> Self {
        Self {
            address,
            options: Options {
                // A socket refuses a zero read timeout (`set_read_timeout`).
                timeout: options.timeout.max(Duration::from_millis(1)),
                tries: options.tries.max(1),
                concurrency: options.concurrency.max(1),
            },
            sockets: Mutex::new(Vec::new()),
            connections: Mutex::new(Vec::new()),
        }
    }

    /// The server's address.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    fn server_text(&self) -> String {
        self.address.to_string()
    }

    fn io_error(&self, action: &str, error: &io::Error) -> QueryError {
        QueryError::Io {
            server: self.server_text(),
            message: format!("{action}: {error}"),
        }
    }

    fn malformed(&self, message: impl Into<String>) -> QueryError {
        QueryError::Malformed {
            server: self.server_text(),
            message: message.into(),
        }
    }

    /// Sends `name`/`record_type` and returns the decoded response.
    pub fn exchange(
        &self,
        name: &Name,
        record_type: RecordType,
    ) -> Result<Answer<'static>, QueryError> {
        let wire_name = hickory::Name::from_labels(name.labels().map(str::as_bytes))
            .map_err(|error| self.malformed(format!("cannot encode {name}: {error}")))?;
        let mut request = Message::query();
        request.metadata.recursion_desired = false;
        request.add_query(Query::query(
            wire_name,
            hickory::RecordType::from(record_type.code()),
        ));
        let mut edns = Edns::new();
        edns.set_max_payload(UDP_PAYLOAD);
        request.set_edns(edns);
        let bytes = request
            .to_vec()
            .map_err(|error| self.malformed(format!("cannot encode the query: {error}")))?;
        let expected = Expected {
            id: request.metadata.id,
            name,
            record_type,
        };
        for _ in 0..self.options.tries {
            // One deadline for the whole try: the UDP wait and any TCP exchange after it.
            let deadline = Instant::now() + self.options.timeout;
            match self.udp(&bytes, &expected, deadline)? {
                Some(Received::Truncated) => {
                    if let Some(answer) = self.tcp(&bytes, &expected, deadline)? {
                        return Ok(answer);
                    }
                }
                Some(Received::Answer(answer)) => return Ok(answer),
                None => {}
            }
        }
        Err(QueryError::Timeout {
            server: self.server_text(),
            tries: self.options.tries,
            timeout_ms: u64::try_from(self.options.timeout.as_millis()).unwrap_or(u64::MAX),
        })
    }

    /// Decodes the records of a response known to answer the query.
    fn decode(&self, response: &Response<'_>) -> Result<Answer<'static>, QueryError> {
        response
            .answer()
            .map_err(|error| self.malformed(error.to_string()))
    }

    /// One UDP try: `None` when `deadline` passes first.
    fn udp(
        &self,
        request: &[u8],
        expected: &Expected<'_>,
        deadline: Instant,
    ) -> Result<Option<Received>, QueryError> {
        let (socket, mut buffer) = match self.sockets.lock().ok().and_then(|mut idle| idle.pop()) {
            Some(idle) => idle,
            // The largest UDP payload; on the heap, as one query's worth of stack would be a lot.
            None => (self.socket()?, vec![0_u8; 65_535]),
        };
        let result = self.udp_on(&socket, &mut buffer, request, expected, deadline);
        // A socket that failed is dropped rather than reused.
        if result.is_ok()
            && let Ok(mut idle) = self.sockets.lock()
        {
            idle.push((socket, buffer));
        }
        result
    }

    fn udp_on(
        &self,
        socket: &UdpSocket,
        buffer: &mut [u8],
        request: &[u8],
        expected: &Expected<'_>,
        deadline: Instant,
    ) -> Result<Option<Received>, QueryError> {
        socket
            .send(request)
            .map_err(|error| self.io_error("send", &error))?;
        // The socket's read timeout is the whole timeout (set when it was made), and the try
        // began just before the send, so the usual query costs no system call for it; only a
        // wait resumed after a stray datagram shortens it, and puts it back after.
        let mut shortened = false;
        let received = loop {
            if shortened {
                let now = Instant::now();
                if now >= deadline {
                    break Ok(None);
                }
                if let Err(error) = socket.set_read_timeout(Some(deadline - now)) {
                    break Err(self.io_error("set timeout", &error));
                }
            }
            let length = match socket.recv(buffer) {
                Ok(length) => length,
                Err(error)
                    if matches!(
                        error.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    break Ok(None);
                }
                // ICMP port unreachable: nothing listens there (yet); count it as a lost try.
                Err(error) if error.kind() == io::ErrorKind::ConnectionRefused => {
                    std::thread::sleep(
                        deadline
                            .saturating_duration_since(Instant::now())
                            .min(Duration::from_millis(100)),
                    );
                    break Ok(None);
                }
                Err(error) => break Err(self.io_error("receive", &error)),
            };
            // Anything that is not the response to this query (a late answer to an earlier
            // try, garbage) is ignored; the deadline still holds. A truncated response's
            // sections are not read: the query goes again over TCP.
            if let Ok(response) = Response::parse(&buffer[..length])
                && expected.matches(&response)
            {
                break if response.truncated {
                    Ok(Some(Received::Truncated))
                } else {
                    self.decode(&response)
                        .map(|answer| Some(Received::Answer(answer)))
                };
            }
            shortened = true;
        };
        if shortened {
            socket
                .set_read_timeout(Some(self.options.timeout))
                .map_err(|error| self.io_error("set timeout", &error))?;
        }
        received
    }

    /// A new UDP socket connected to the server.
    fn socket(&self) -> Result<UdpSocket, QueryError> {
        let local: SocketAddr = match self.address {
            SocketAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
            SocketAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
        };
        let socket = UdpSocket::bind(local).map_err(|error| self.io_error("bind", &error))?;
        socket
            .connect(self.address)
            .map_err(|error| self.io_error("connect", &error))?;
        socket
            .set_read_timeout(Some(self.options.timeout))
            .map_err(|error| self.io_error("set timeout", &error))?;
        Ok(socket)
    }

    /// The TCP part of a try (RFC 1035 section 4.2.2 framing): `None` when `deadline` passes
    /// first. An idle connection is reused; one the server has closed meanwhile (servers close
    /// idle connections after a few seconds) fails at once and the query goes over a new one.
    /// A connection that did not deliver a whole answer is dropped, never reused: the rest of
    /// that answer would be taken for the next one's.
    fn tcp(
        &self,
        request: &[u8],
        expected: &Expected<'_>,
        deadline: Instant,
    ) -> Result<Option<Answer<'static>>, QueryError> {
        let idle = self.connections.lock().ok().and_then(|mut idle| idle.pop());
        if let Some(mut stream) = idle
            && let Ok(Some(answer)) = self.tcp_on(&mut stream, request, expected, deadline)
        {
            self.keep(stream);
            return Ok(Some(answer));
        }
        let Some(remaining) = remaining(deadline) else {
            return Ok(None);
        };
        let mut stream = match TcpStream::connect_timeout(&self.address, remaining) {
            Ok(stream) => stream,
            Err(error) if error.kind() == io::ErrorKind::TimedOut => return Ok(None),
            Err(error) => return Err(self.io_error("connect over TCP", &error)),
        };
        stream
            .set_nodelay(true)
            .map_err(|error| self.io_error("configure TCP", &error))?;
        let result = self.tcp_on(&mut stream, request, expected, deadline);
        if let Ok(Some(_)) = result {
            self.keep(stream);
        }
        result
    }

    /// Returns a connection that answered in full to the idle pool.
    fn keep(&self, stream: TcpStream) {
        if let Ok(mut idle) = self.connections.lock() {
            idle.push(stream);
        }
    }

    fn tcp_on(
        &self,
        stream: &mut TcpStream,
        request: &[u8],
        expected: &Expected<'_>,
        deadline: Instant,
    ) -> Result<Option<Answer<'static>>, QueryError> {
        let length = u16::try_from(request.len()).map_err(|_| self.malformed("query too long"))?;
        let mut framed = Vec::with_capacity(request.len() + 2);
        framed.extend_from_slice(&length.to_be_bytes());
        framed.extend_from_slice(request);
        match write_by(stream, &framed, deadline) {
            Ok(true) => {}
            Ok(false) => return Ok(None),
            Err(error) => return Err(self.io_error("send over TCP", &error)),
        }
        let mut prefix = [0_u8; 2];
        match read_by(stream, &mut prefix, deadline) {
            Ok(true) => {}
            Ok(false) => return Ok(None),
            Err(error) => return Err(self.io_error("receive over TCP", &error)),
        }
        let mut body = vec![0_u8; usize::from(u16::from_be_bytes(prefix))];
        match read_by(stream, &mut body, deadline) {
            Ok(true) => {}
            Ok(false) => return Ok(None),
            Err(error) => return Err(self.io_error("receive over TCP", &error)),
        }
        let response = Response::parse(&body)
            .map_err(|error| self.malformed(format!("cannot parse the TCP response: {error}")))?;
        if !expected.matches(&response) {
            return Err(self.malformed("the TCP response does not answer the query"));
        }
        self.decode(&response).map(Some)
    }
}

impl Backend for Server {
    fn query(&self, name: &Name, record_type: RecordType) -> Result<Answer<'_>, QueryError> {
        self.exchange(name, record_type)
    }

    fn is_live(&self) -> bool {
        true
    }

    fn concurrency(&self) -> usize {
        self.options.concurrency
    }
}

/// The time left until `deadline`, if any.
fn remaining(deadline: Instant) -> Option<Duration> {
    Some(deadline.saturating_duration_since(Instant::now())).filter(|left| !left.is_zero())
}

/// Fills `buffer` from `stream` by `deadline`, however the bytes come (a socket's read timeout
/// alone restarts with every byte): `Ok(false)` when the deadline passes first.
fn read_by(stream: &mut TcpStream, buffer: &mut [u8], deadline: Instant) -> io::Result<bool> {
    let mut filled = 0;
    while filled < buffer.len() {
        let Some(left) = remaining(deadline) else {
            return Ok(false);
        };
        stream.set_read_timeout(Some(left))?;
        match stream.read(&mut buffer[filled..]) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(read) => filled += read,
            Err(error) if timed_out(&error) => return Ok(false),
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(true)
}

/// Writes all of `bytes` to `stream` by `deadline`: `Ok(false)` when the deadline passes first.
fn write_by(stream: &mut TcpStream, bytes: &[u8], deadline: Instant) -> io::Result<bool> {
    let mut written = 0;
    while written < bytes.len() {
        let Some(left) = remaining(deadline) else {
            return Ok(false);
        };
        stream.set_write_timeout(Some(left))?;
        match stream.write(&bytes[written..]) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(count) => written += count,
            Err(error) if timed_out(&error) => return Ok(false),
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(true)
}

/// A socket timeout, as the platform reports it.
fn timed_out(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// What the response to a query must carry.
struct Expected<'a> {
    id: u16,
    name: &'a Name,
    record_type: RecordType,
}

impl Expected<'_> {
    fn matches(&self, response: &Response<'_>) -> bool {
        response.answers(self.id, self.name, self.record_type)
    }
}

/// What one UDP try brought back.
enum Received {
    /// The whole answer.
    Answer(Answer<'static>),
    /// The TC bit: the answer did not fit.
    Truncated,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_addresses_default_to_port_53() {
        let parsed = |text: &str| parse_address(text).map(|address| address.to_string());
        assert_eq!(parsed("127.0.0.1"), Ok("127.0.0.1:53".to_owned()));
        assert_eq!(parsed(" 127.0.0.1:5353 "), Ok("127.0.0.1:5353".to_owned()));
        assert_eq!(parsed("::1"), Ok("[::1]:53".to_owned()));
        assert_eq!(parsed("[::1]"), Ok("[::1]:53".to_owned()));
        assert_eq!(
            parsed("[2001:db8::53]:5300"),
            Ok("[2001:db8::53]:5300".to_owned())
        );
        // Names are not resolved: the server under test is named by address.
        assert_eq!(
            parsed("localhost"),
            Err(AddressError("localhost".to_owned()))
        );
        assert!(parsed("127.0.0.1:99999").is_err());
    }
}
