//! IO edge: the two DNS exchanges a deploy needs, over UDP with hickory-proto messages.
//!
//! [`query_serial`] asks a server for a zone's SOA and returns the serial it serves (or why it
//! does not serve the zone); [`notify`] sends an RFC 1996 NOTIFY and waits for the secondary to
//! acknowledge it. Both retry a few times within the given time, check the reply's id and
//! question (so a stray or spoofed datagram is ignored), and never block past their limit.

use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use hickory_proto::op::{Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::{DNSClass, Name, RData, Record, RecordType, rdata::SOA};

use super::Served;

/// A DNS exchange failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The zone name is not a valid DNS name (cannot happen for rendered zones).
    #[error("`{zone}` is not a DNS name")]
    Name {
        /// The zone.
        zone: String,
    },
    /// A socket operation failed.
    #[error("cannot reach {server}")]
    Socket {
        /// The server.
        server: SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// No matching answer arrived in time.
    #[error("no answer from {server} within {seconds:.1}s")]
    Timeout {
        /// The server.
        server: SocketAddr,
        /// How long we waited.
        seconds: f64,
    },
}

/// How long one attempt waits for its answer before the question is sent again.
const ATTEMPT: Duration = Duration::from_millis(700);

/// Asks `server` for the SOA of `zone` and returns what it serves: the serial of an
/// authoritative answer, or [`Served::NotServed`] with the response code otherwise.
pub fn query_serial(server: SocketAddr, zone: &str, limit: Duration) -> Result<Served, Error> {
    let name = parse_name(zone)?;
    let mut message = Message::query();
    message.add_query(Query::query(name.clone(), RecordType::SOA));
    let reply = exchange(server, &message, limit)?;
    let code = reply.metadata.response_code;
    if code != ResponseCode::NoError {
        return Ok(Served::NotServed(code.to_str().to_owned()));
    }
    if !reply.metadata.authoritative {
        return Ok(Served::NotServed("not authoritative".to_owned()));
    }
    let serial = reply.answers.iter().find_map(|record| match &record.data {
        RData::SOA(soa) if record.name == name => Some(soa.serial),
        _ => None,
    });
    Ok(serial.map_or_else(
        || Served::NotServed("no SOA in the answer".to_owned()),
        Served::Serial,
    ))
}

/// Sends an RFC 1996 NOTIFY for `zone` (with its new SOA serial as the answer-section hint,
/// §3.7) to `secondary` and waits for the acknowledgement.
///
/// The message is what a primary sends: opcode NOTIFY, AA set, one question `<zone> IN SOA`.
/// A secondary that refuses the NOTIFY (not configured for the zone, or not allowing
/// notifies from us) answers with an error code, which is returned as `Ok(Some(code))`.
pub fn notify(
    secondary: SocketAddr,
    zone: &str,
    serial: u32,
    limit: Duration,
) -> Result<Option<String>, Error> {
    let name = parse_name(zone)?;
    let mut message = Message::query();
    message.metadata.op_code = OpCode::Notify;
    message.metadata.authoritative = true;
    message.metadata.recursion_desired = false;
    message.add_query(Query::query(name.clone(), RecordType::SOA));
    // Only the serial matters to the secondary (§3.7: it may use it to skip a needless
    // refresh); the other fields are placeholders, as in BIND's and Knot's notifies.
    let hint = SOA::new(name.clone(), name.clone(), serial, 0, 0, 0, 0);
    let mut record = Record::from_rdata(name, 0, RData::SOA(hint));
    record.dns_class = DNSClass::IN;
    message.add_answer(record);
    let reply = exchange(secondary, &message, limit)?;
    let code = reply.metadata.response_code;
    Ok((code != ResponseCode::NoError).then(|| code.to_str().to_owned()))
}

fn parse_name(zone: &str) -> Result<Name, Error> {
    Name::from_ascii(zone).map_err(|_| Error::Name {
        zone: zone.to_owned(),
    })
}

/// Sends `message` to `server` until a reply with the same id, opcode and question arrives or
/// `limit` passes.
fn exchange(server: SocketAddr, message: &Message, limit: Duration) -> Result<Message, Error> {
    let socket_error = |source| Error::Socket { server, source };
    let bind_address: SocketAddr = if server.is_ipv4() {
        ([0, 0, 0, 0], 0).into()
    } else {
        ([0u16; 8], 0).into()
    };
    let socket = UdpSocket::bind(bind_address).map_err(socket_error)?;
    socket.connect(server).map_err(socket_error)?;
    let bytes = message
        .to_vec()
        .expect("a message with one question and one record always encodes");
    let started = Instant::now();
    let mut buffer = [0u8; 4096];
    loop {
        let remaining = limit.saturating_sub(started.elapsed());
        if remaining.is_zero() {
            return Err(Error::Timeout {
                server,
                seconds: limit.as_secs_f64(),
            });
        }
        // Connection refused (ICMP port unreachable) surfaces on send or recv; treat it as a
        // lost datagram and try again until the limit, so a server that is restarting counts.
        let _ = socket.send(&bytes);
        let attempt_end = Instant::now() + ATTEMPT.min(remaining);
        while let Some(wait) = attempt_end
            .checked_duration_since(Instant::now())
            .filter(|wait| !wait.is_zero())
        {
            socket.set_read_timeout(Some(wait)).map_err(socket_error)?;
            let Ok(length) = socket.recv(&mut buffer) else {
                // Timed out or refused: back to sending (after the attempt's time is up, so
                // a refusing port is not hammered).
                std::thread::sleep(attempt_end.saturating_duration_since(Instant::now()));
                break;
            };
            let Ok(reply) = Message::from_vec(&buffer[..length]) else {
                continue;
            };
            if reply.metadata.id == message.metadata.id
                && reply.metadata.message_type == MessageType::Response
                && reply.metadata.op_code == message.metadata.op_code
                && reply.queries == message.queries
            {
                return Ok(reply);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A one-shot UDP responder on loopback: answers the first datagram with `respond(query)`.
    fn responder(respond: impl FnOnce(Message) -> Message + Send + 'static) -> SocketAddr {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        let address = socket.local_addr().unwrap();
        std::thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            let (length, peer) = socket.recv_from(&mut buffer).unwrap();
            let query = Message::from_vec(&buffer[..length]).unwrap();
            let reply = respond(query);
            socket.send_to(&reply.to_vec().unwrap(), peer).unwrap();
        });
        address
    }

    fn reply_to(query: &Message) -> Message {
        let mut reply = Message::response(query.metadata.id, query.metadata.op_code);
        reply.metadata.authoritative = true;
        reply.add_queries(query.queries.clone());
        reply
    }

    #[test]
    fn reads_the_serial_of_an_authoritative_answer() {
        let server = responder(|query| {
            let mut reply = reply_to(&query);
            let name = query.queries[0].name().clone();
            let soa = SOA::new(name.clone(), name.clone(), 2_026_112_501, 1, 1, 1, 1);
            reply.add_answer(Record::from_rdata(name, 60, RData::SOA(soa)));
            reply
        });
        let answer = query_serial(server, "example.net.", Duration::from_secs(5)).unwrap();
        assert_eq!(answer, Served::Serial(2_026_112_501));
    }

    #[test]
    fn a_refusal_means_not_served() {
        let server = responder(|query| {
            let mut reply = reply_to(&query);
            reply.metadata.authoritative = false;
            reply.metadata.response_code = ResponseCode::Refused;
            reply
        });
        let answer = query_serial(server, "example.net.", Duration::from_secs(5)).unwrap();
        assert_eq!(answer, Served::NotServed("Query Refused".into()));
    }

    #[test]
    fn notify_is_an_authoritative_soa_question_with_the_serial_hint() {
        let (sender, received) = std::sync::mpsc::channel();
        let secondary = responder(move |query| {
            sender.send(query.clone()).unwrap();
            reply_to(&query)
        });
        let refused = notify(secondary, "example.net.", 42, Duration::from_secs(5)).unwrap();
        assert_eq!(refused, None);
        let sent = received.recv().unwrap();
        assert_eq!(sent.metadata.op_code, OpCode::Notify);
        assert!(sent.metadata.authoritative);
        assert_eq!(sent.queries.len(), 1);
        assert_eq!(sent.queries[0].query_type(), RecordType::SOA);
        assert_eq!(sent.queries[0].name().to_ascii(), "example.net.");
        match &sent.answers[0].data {
            RData::SOA(soa) => assert_eq!(soa.serial, 42),
            other => panic!("expected the SOA hint, got {other:?}"),
        }
    }

    #[test]
    fn silence_is_a_timeout() {
        // A bound socket that never answers.
        let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
        let error = query_serial(
            silent.local_addr().unwrap(),
            "example.net.",
            Duration::from_millis(300),
        )
        .unwrap_err();
        assert!(matches!(error, Error::Timeout { .. }), "{error}");
    }
}
