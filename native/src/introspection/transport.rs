//! The introspection request: one HTTP/1.1 `POST` of a form, over a kept-alive connection
//! when one is idle (RFC 9112 §9.3), else a new one. Same rules as the JWKS fetch (`fetch`):
//! https, or plain http only to loopback unless `allow_insecure_http`; no redirects; the
//! whole exchange bounded by `request_timeout`; the body capped. A connection goes back to
//! the pool only after a complete, length-delimited response that does not ask to close.
//! A reused connection that fails before any response byte (the server closed it while
//! idle) is retried once on a new connection: introspection is safe to repeat.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::Mutex;
use std::time::Instant;

use rustls::pki_types::ServerName;
use rustls::{ClientConnection, StreamOwned};

use crate::error::{Error, ErrorCode, Result};
use crate::fetch::{self, Buffered, Ctx, FetchSettings, JwksUrl, ReadFail, Scheme};

/// Idle connections kept per endpoint at most.
const MAX_IDLE: usize = 32;

/// A socket whose every wait ends at `deadline` (set anew for each request).
struct DeadlineSock {
    sock: TcpStream,
    deadline: Instant,
}

impl DeadlineSock {
    fn left(&self) -> io::Result<std::time::Duration> {
        self.deadline
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
            .ok_or_else(|| io::Error::new(io::ErrorKind::TimedOut, "deadline reached"))
    }
}

impl Read for DeadlineSock {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.left()?;
        self.sock.set_read_timeout(Some(left))?;
        self.sock.read(buf)
    }
}

impl Write for DeadlineSock {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let left = self.left()?;
        self.sock.set_write_timeout(Some(left))?;
        self.sock.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.sock.flush()
    }
}

enum Conn {
    Plain(DeadlineSock),
    Tls(Box<StreamOwned<ClientConnection, DeadlineSock>>),
}

impl Conn {
    fn set_deadline(&mut self, deadline: Instant) {
        match self {
            Conn::Plain(s) => s.deadline = deadline,
            Conn::Tls(s) => s.sock.deadline = deadline,
        }
    }
}

impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Conn::Plain(s) => s.read(buf),
            Conn::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Conn {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Conn::Plain(s) => s.write(buf),
            Conn::Tls(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Conn::Plain(s) => s.flush(),
            Conn::Tls(s) => s.flush(),
        }
    }
}

/// A form POST to one endpoint, with a pool of idle connections.
pub struct Poster {
    url: JwksUrl,
    idle: Mutex<Vec<Conn>>,
}

/// The answer: status and body (any status; the caller decides).
pub struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
}

enum Attempt {
    Done(Answer),
    /// Failed before any response byte on a reused connection: worth one more try.
    Stale(Error),
}

impl Poster {
    pub fn new(url: JwksUrl) -> Poster {
        Poster {
            url,
            idle: Mutex::new(Vec::new()),
        }
    }

    pub fn url(&self) -> &JwksUrl {
        &self.url
    }

    /// Idle connections held (tests).
    pub fn idle_connections(&self) -> usize {
        self.idle.lock().map(|v| v.len()).unwrap_or(0)
    }

    /// POSTs `form` with the extra header lines `headers` (each ending in CRLF).
    /// `keep_alive` false: a new connection, closed after the answer.
    pub fn post(
        &self,
        form: &str,
        headers: &str,
        settings: &FetchSettings,
        keep_alive: bool,
    ) -> Result<Answer> {
        let url = &self.url;
        if url.scheme == Scheme::Http && !settings.allow_insecure_http && !url.is_loopback() {
            return Err(Error::new(
                ErrorCode::JwksFetchFailed,
                format!(
                    "refusing to send a token for introspection over plain http to non-loopback \
                     host {:?}: use https, or set the option allow_insecure_http (not recommended)",
                    url.host
                ),
            ));
        }
        let deadline = Instant::now() + settings.timeout;
        let ctx = Ctx {
            url,
            deadline,
            timeout: settings.timeout,
            cancel: None,
            what: "the token introspection",
        };
        let request = format!(
            "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
             Accept: application/json\r\nUser-Agent: gopher-orch/{}\r\n{headers}\
             Content-Length: {}\r\nConnection: {}\r\n\r\n{form}",
            url.target,
            url.host_header(),
            env!("CARGO_PKG_VERSION"),
            form.len(),
            if keep_alive { "keep-alive" } else { "close" },
        );
        if keep_alive {
            let reused = self.idle.lock().ok().and_then(|mut v| v.pop());
            if let Some(mut conn) = reused {
                conn.set_deadline(deadline);
                match self.exchange(&ctx, conn, &request, settings.max_bytes, true)? {
                    Attempt::Done(answer) => return Ok(answer),
                    Attempt::Stale(_) => {}
                }
            }
        }
        let conn = self.open(&ctx, settings, deadline)?;
        match self.exchange(&ctx, conn, &request, settings.max_bytes, keep_alive)? {
            Attempt::Done(answer) => Ok(answer),
            Attempt::Stale(e) => Err(e),
        }
    }

    fn open(&self, ctx: &Ctx<'_>, settings: &FetchSettings, deadline: Instant) -> Result<Conn> {
        let addrs = ctx.resolve()?;
        let tcp = ctx.connect(&addrs)?;
        let _ = tcp.set_nodelay(true);
        let sock = DeadlineSock {
            sock: tcp,
            deadline,
        };
        match self.url.scheme {
            Scheme::Http => Ok(Conn::Plain(sock)),
            Scheme::Https => {
                let config = match &settings.tls {
                    Some(c) => c.clone(),
                    None => fetch::system_tls_config()?,
                };
                let name = ServerName::try_from(self.url.host.clone()).map_err(|_| {
                    Error::new(
                        ErrorCode::InvalidConfig,
                        format!(
                            "introspection endpoint host {:?} is not a valid TLS server name",
                            self.url.host
                        ),
                    )
                })?;
                let conn = ClientConnection::new(config, name).map_err(|e| {
                    Error::new(
                        ErrorCode::NetworkError,
                        format!("cannot start TLS with {}: {e}", self.url.host),
                    )
                })?;
                Ok(Conn::Tls(Box::new(StreamOwned::new(conn, sock))))
            }
        }
    }

    fn exchange(
        &self,
        ctx: &Ctx<'_>,
        mut conn: Conn,
        request: &str,
        max_bytes: usize,
        reused: bool,
    ) -> Result<Attempt> {
        let sent = conn
            .write_all(request.as_bytes())
            .and_then(|()| conn.flush());
        if let Err(e) = sent {
            let err = ctx.io_error("sending the request", &e);
            return Ok(if reused {
                Attempt::Stale(err)
            } else {
                return Err(err);
            });
        }
        let mut reader = Buffered {
            stream: &mut conn,
            buf: Vec::with_capacity(4096),
            pos: 0,
            eof: false,
        };
        let head = match reader.read_head() {
            Ok(h) => h,
            Err(e) => {
                let nothing = reader.buf.is_empty();
                let err = ctx.read_error(e);
                if reused && nothing {
                    return Ok(Attempt::Stale(err));
                }
                return Err(err);
            }
        };
        let head = fetch::parse_head(&head).map_err(|why| ctx.malformed(why))?;
        if (300..400).contains(&head.status) {
            return Err(Error::new(
                ErrorCode::JwksFetchFailed,
                format!(
                    "the introspection endpoint {} answered HTTP {} (redirects are not followed: \
                     configure the final URL)",
                    self.url.text, head.status
                ),
            ));
        }
        let too_large = || {
            Error::new(
                ErrorCode::JwksFetchFailed,
                format!(
                    "the introspection response from {} is larger than {max_bytes} bytes; refused",
                    self.url.text
                ),
            )
        };
        let mut reusable = !head.close;
        let body = if head.chunked {
            let body = reader.read_chunked(max_bytes).map_err(|e| match e {
                ReadFail::TooLarge => too_large(),
                other => ctx.read_error(other),
            })?;
            // Trailer section: lines up to an empty one.
            loop {
                match reader.read_line() {
                    Ok(line) if line.is_empty() => break,
                    Ok(_) => {}
                    Err(_) => {
                        reusable = false;
                        break;
                    }
                }
            }
            body
        } else if let Some(len) = head.content_length {
            if len > max_bytes as u64 {
                return Err(too_large());
            }
            reader
                .read_exact_body(len as usize)
                .map_err(|e| ctx.read_error(e))?
        } else {
            reusable = false;
            reader.read_to_close(max_bytes).map_err(|e| match e {
                ReadFail::TooLarge => too_large(),
                other => ctx.read_error(other),
            })?
        };
        // Bytes after the response (nothing was pipelined): the connection is not in step.
        if !reader.available().is_empty() {
            reusable = false;
        }
        drop(reader);
        if reusable {
            if let Ok(mut idle) = self.idle.lock() {
                if idle.len() < MAX_IDLE {
                    idle.push(conn);
                }
            }
        }
        Ok(Attempt::Done(Answer {
            status: head.status,
            body,
        }))
    }
}
