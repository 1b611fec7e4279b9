//! WebSocket clients for the tests: awc's client (a well-behaved browser-like peer) and a raw
//! one over a socket with a tiny receive buffer that can stop reading (a slow peer).

use std::net::SocketAddr;
use std::time::Duration;

use actix_codec::Framed;
use awc::BoxedSocket;
use awc::ws::{Codec, Frame, Message};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const WAIT: Duration = Duration::from_secs(30);

pub struct WsClient {
    framed: Framed<BoxedSocket, Codec>,
    /// Answer the server's pings, as browsers do. Off, the client looks dead to the server.
    pub answer_pings: bool,
}

impl WsClient {
    pub async fn connect(base: &str) -> Self {
        Self::connect_as(base, None).await
    }

    /// Connects with an access token, in the query string as a browser must.
    pub async fn connect_as(base: &str, token: Option<&str>) -> Self {
        let mut url = format!("{}/api/v1/ws", base.replacen("http", "ws", 1));
        if let Some(token) = token {
            url.push_str(&format!("?access_token={token}"));
        }
        let (response, framed) = awc::Client::new()
            .ws(url)
            .connect()
            .await
            .expect("WebSocket handshake");
        assert_eq!(response.status().as_u16(), 101);
        Self {
            framed,
            answer_pings: true,
        }
    }

    pub async fn send(&mut self, message: Message) {
        self.framed.send(message).await.expect("frame sent");
    }

    /// Sends a frame; `false` if the socket is already gone.
    pub async fn try_send(&mut self, message: Message) -> bool {
        self.framed.send(message).await.is_ok()
    }

    /// The messages the server sends until it closes the socket, and the reason it gave.
    pub async fn until_closed(&mut self) -> (Vec<Value>, Option<awc::ws::CloseReason>) {
        let mut messages = Vec::new();
        loop {
            match self.next_frame().await {
                Some(Frame::Text(bytes)) => {
                    messages.push(serde_json::from_slice(&bytes).expect("JSON message"))
                }
                Some(Frame::Close(reason)) => return (messages, reason),
                None => panic!("the socket ended without a close frame"),
                Some(other) => panic!("unexpected frame {other:?}"),
            }
        }
    }

    pub async fn send_json(&mut self, value: Value) {
        self.send(Message::Text(value.to_string().into())).await;
    }

    /// The next frame other than a ping (answered if `answer_pings`); `None` once the socket ended.
    pub async fn next_frame(&mut self) -> Option<Frame> {
        loop {
            let frame = tokio::time::timeout(WAIT, self.framed.next())
                .await
                .expect("the server said something in time")?
                .ok()?;
            match frame {
                Frame::Ping(payload) => {
                    if self.answer_pings {
                        self.send(Message::Pong(payload)).await;
                    }
                }
                Frame::Pong(_) => {}
                other => return Some(other),
            }
        }
    }

    /// The next JSON message; `None` once the socket is closed.
    pub async fn next_json(&mut self) -> Option<Value> {
        match self.next_frame().await? {
            Frame::Text(bytes) => Some(serde_json::from_slice(&bytes).expect("JSON message")),
            Frame::Close(_) => None,
            other => panic!("unexpected frame {other:?}"),
        }
    }

    /// Subscribes and returns the snapshot (or the error the server answered with).
    pub async fn subscribe(&mut self, job_id: &str, after_seq: Option<i64>) -> Value {
        let mut message = json!({"type": "subscribe", "job_id": job_id});
        if let Some(seq) = after_seq {
            message["after_seq"] = json!(seq);
        }
        self.send_json(message).await;
        self.next_json().await.expect("an answer to subscribe")
    }

    /// Events of `job_id` up to and including its final one.
    pub async fn events_until_final(&mut self, job_id: &str) -> Vec<Value> {
        let mut events = Vec::new();
        loop {
            let message = self.next_json().await.expect("socket open until the end");
            assert_eq!(message["type"], "event", "{message}");
            if message["job_id"] != job_id {
                continue;
            }
            let last = is_final(&message);
            events.push(message);
            if last {
                return events;
            }
        }
    }
}

/// The server closed `ws` because its sign-in session ended: with a policy-violation close
/// frame, after nothing but events of the jobs followed before (no snapshot, no answer to a
/// later subscribe), and then the connection ends.
pub async fn assert_closed_for_ended_session(ws: &mut WsClient) {
    let (messages, reason) = ws.until_closed().await;
    for message in &messages {
        assert_eq!(
            message["type"], "event",
            "served after the session ended: {message}"
        );
    }
    let reason = reason.expect("a close reason");
    assert_eq!(reason.code, awc::ws::CloseCode::Policy);
    assert_eq!(
        reason.description.as_deref(),
        Some("the session has ended: sign in again")
    );
    assert!(ws.next_frame().await.is_none(), "the connection ended");
}

pub fn is_final(event: &Value) -> bool {
    matches!(
        event["status"].as_str(),
        Some("completed" | "partial" | "failed" | "cancelled" | "rejected")
    )
}

/// A hand-rolled WebSocket client over a socket whose receive buffer is as small as the
/// kernel allows, so that the server's writes back up as soon as it stops reading.
pub struct RawWs {
    stream: tokio::net::TcpStream,
    buffer: Vec<u8>,
}

impl RawWs {
    pub async fn connect(addr: SocketAddr) -> Self {
        let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)
            .expect("socket");
        socket.set_recv_buffer_size(1024).expect("SO_RCVBUF");
        socket.connect(&addr.into()).expect("connect");
        socket.set_nonblocking(true).expect("non-blocking");
        let std_stream: std::net::TcpStream = socket.into();
        let mut raw = Self {
            stream: tokio::net::TcpStream::from_std(std_stream).expect("tokio stream"),
            buffer: Vec::new(),
        };
        let request = format!(
            "GET /api/v1/ws HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\n\
             Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
             Sec-WebSocket-Version: 13\r\n\r\n"
        );
        raw.stream
            .write_all(request.as_bytes())
            .await
            .expect("handshake sent");
        let head_end = loop {
            if let Some(at) = raw.buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                break at + 4;
            }
            raw.fill().await;
        };
        let head = String::from_utf8_lossy(&raw.buffer[..head_end]).to_string();
        assert!(head.starts_with("HTTP/1.1 101"), "{head}");
        raw.buffer.drain(..head_end);
        raw
    }

    async fn fill(&mut self) {
        let mut chunk = [0u8; 4096];
        let n = tokio::time::timeout(WAIT, self.stream.read(&mut chunk))
            .await
            .expect("bytes in time")
            .expect("read");
        assert!(n > 0, "the server closed the socket");
        self.buffer.extend_from_slice(&chunk[..n]);
    }

    /// Reads whatever arrives until the server closes the connection (or resets it); `false`
    /// if it is still open after `limit`.
    pub async fn closed_within(&mut self, limit: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + limit;
        let mut chunk = [0u8; 65536];
        loop {
            match tokio::time::timeout_at(deadline, self.stream.read(&mut chunk)).await {
                Err(_) => return false,
                Ok(Ok(0)) | Ok(Err(_)) => return true,
                Ok(Ok(_)) => {}
            }
        }
    }

    /// Sends a masked text frame, as a client must.
    pub async fn send_text(&mut self, text: &str) {
        let payload = text.as_bytes();
        let mask = [0x12u8, 0x34, 0x56, 0x78];
        let mut frame = vec![0x81u8];
        match payload.len() {
            n if n < 126 => frame.push(0x80 | n as u8),
            n => {
                frame.push(0x80 | 126);
                frame.extend_from_slice(&(n as u16).to_be_bytes());
            }
        }
        frame.extend_from_slice(&mask);
        frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        self.stream.write_all(&frame).await.expect("frame sent");
    }

    /// The next text message, skipping pings (which this client never answers).
    pub async fn next_text(&mut self) -> Value {
        loop {
            let (opcode, payload) = self.next_frame().await;
            match opcode {
                0x1 => return serde_json::from_slice(&payload).expect("JSON"),
                0x9 | 0xA => continue,
                other => panic!("unexpected opcode {other}"),
            }
        }
    }

    async fn next_frame(&mut self) -> (u8, Vec<u8>) {
        loop {
            if let Some((opcode, payload, used)) = parse_server_frame(&self.buffer) {
                self.buffer.drain(..used);
                return (opcode, payload);
            }
            self.fill().await;
        }
    }
}

/// An unmasked server frame at the start of `buf`: opcode, payload, bytes used.
fn parse_server_frame(buf: &[u8]) -> Option<(u8, Vec<u8>, usize)> {
    let (&first, rest) = buf.split_first()?;
    let (&second, rest) = rest.split_first()?;
    let (len, header) = match second & 0x7f {
        126 => (
            usize::from(u16::from_be_bytes([*rest.first()?, *rest.get(1)?])),
            4,
        ),
        127 => {
            let bytes: [u8; 8] = rest.get(..8)?.try_into().ok()?;
            (usize::try_from(u64::from_be_bytes(bytes)).ok()?, 10)
        }
        n => (usize::from(n), 2),
    };
    let payload = buf.get(header..header + len)?.to_vec();
    Some((first & 0x0f, payload, header + len))
}
