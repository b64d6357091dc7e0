//! A real loopback RFC 7662 introspection endpoint for the tests: HTTP/1.1 with keep-alive,
//! a reply chosen per request by the test (`Reply`), every request recorded (form, the
//! Authorization header) and every accepted connection counted.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// What the stub answers.
#[derive(Clone)]
pub enum Reply {
    /// 200 with this JSON body (kept-alive connection).
    Json(String),
    /// This status with a small JSON body.
    Status(u16),
    /// Wait this long, then answer with the inner reply.
    Slow(Duration, Box<Reply>),
    /// Close the connection without answering (RST by SO_LINGER 0 where possible).
    Reset,
    /// 200 with a non-JSON body.
    Garbage,
    /// 200 with a 10 MB body, sent with Content-Length.
    Huge,
}

#[derive(Clone, Debug)]
pub struct Request {
    pub form: String,
    pub authorization: Option<String>,
}

type Handler = dyn Fn(&Request) -> Reply + Send + Sync;

pub struct IntrospectionStub {
    port: u16,
    handler: Arc<Mutex<Arc<Handler>>>,
    requests: Arc<Mutex<Vec<Request>>>,
    connections: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl IntrospectionStub {
    pub fn start(handler: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> IntrospectionStub {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let stub = IntrospectionStub {
            port,
            handler: Arc::new(Mutex::new(Arc::new(handler))),
            requests: Arc::new(Mutex::new(Vec::new())),
            connections: Arc::new(AtomicUsize::new(0)),
            stop: Arc::new(AtomicBool::new(false)),
        };
        let (handler, requests, connections, stop) = (
            stub.handler.clone(),
            stub.requests.clone(),
            stub.connections.clone(),
            stub.stop.clone(),
        );
        thread::spawn(move || {
            for conn in listener.incoming() {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                connections.fetch_add(1, Ordering::Relaxed);
                let (handler, requests) = (handler.clone(), requests.clone());
                thread::spawn(move || serve(conn, handler, requests));
            }
        });
        stub
    }

    /// A fixed reply for every request.
    pub fn replying(reply: Reply) -> IntrospectionStub {
        IntrospectionStub::start(move |_| reply.clone())
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/introspect", self.port)
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn set(&self, handler: impl Fn(&Request) -> Reply + Send + Sync + 'static) {
        *self.handler.lock().unwrap() = Arc::new(handler);
    }

    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }

    pub fn request_count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }

    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::Relaxed)
    }
}

impl Drop for IntrospectionStub {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn serve(conn: TcpStream, handler: Arc<Mutex<Arc<Handler>>>, requests: Arc<Mutex<Vec<Request>>>) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(30)));
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut out = conn;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut length = 0usize;
        let mut authorization = None;
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            let (name, value) = h.split_once(':').unwrap_or((h, ""));
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            } else if name.eq_ignore_ascii_case("authorization") {
                authorization = Some(value.trim().to_owned());
            }
        }
        let mut body = vec![0u8; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let request = Request {
            form: String::from_utf8_lossy(&body).into_owned(),
            authorization,
        };
        requests.lock().unwrap().push(request.clone());
        let handler = handler.lock().unwrap().clone();
        let mut reply = handler(&request);
        while let Reply::Slow(delay, inner) = reply {
            thread::sleep(delay);
            reply = *inner;
        }
        let written = match reply {
            Reply::Json(body) => respond(&mut out, 200, body.as_bytes()),
            Reply::Status(code) => respond(&mut out, code, br#"{"error":"server_error"}"#),
            Reply::Garbage => respond(&mut out, 200, b"<html>oops</html>"),
            Reply::Huge => respond(&mut out, 200, &vec![b' '; 10 * 1024 * 1024]),
            Reply::Reset => {
                let _ = out.shutdown(Shutdown::Both);
                return;
            }
            Reply::Slow(..) => unreachable!(),
        };
        if written.is_err() {
            return;
        }
    }
}

fn respond(out: &mut TcpStream, status: u16, body: &[u8]) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    out.write_all(head.as_bytes())?;
    out.write_all(body)?;
    out.flush()
}

/// Decodes a form value (`+` and `%XX`).
pub fn form_value(form: &str, name: &str) -> Option<String> {
    form.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == name).then(|| {
            let bytes = v.as_bytes();
            let mut out = Vec::new();
            let mut i = 0;
            while i < bytes.len() {
                match bytes[i] {
                    b'+' => out.push(b' '),
                    b'%' if i + 2 < bytes.len() => {
                        let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                        out.push(u8::from_str_radix(hex, 16).unwrap());
                        i += 2;
                    }
                    b => out.push(b),
                }
                i += 1;
            }
            String::from_utf8(out).unwrap()
        })
    })
}
