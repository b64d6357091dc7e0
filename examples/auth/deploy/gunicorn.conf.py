r"""gunicorn settings of the production recipe: the example behind nginx.

    PY_AUTH_MCP_CONFIG=/etc/weather-mcp/server.config gunicorn \
      -c examples/auth/deploy/gunicorn.conf.py -w 4 'py_auth_mcp_server.app:create_app()'

nginx (``py-auth-mcp.nginx.conf.template`` beside this file) faces the clients and hands gunicorn
complete requests over loopback; gunicorn is never bound to a public address (a few idle
connections would hold every sync worker). Command-line flags override these values.
"""

# Loopback only: clients reach gunicorn through nginx.
bind = "127.0.0.1:3001"

# One request at a time per process: cheap and predictable behind a buffering proxy (nginx
# absorbs slow clients). Give it at least one worker per core (-w).
worker_class = "sync"

# A worker silent for this long is killed and replaced (a stuck request).
timeout = 30
graceful_timeout = 30

# A header line up to 32 KiB: "Authorization: Bearer " + a token of the engine's max_token_bytes
# (16384) fits with room, so the SDK answers for every token it may accept (gunicorn's default,
# 8190, refuses a 10 KB token with an HTML 431 before the SDK sees it). nginx's
# large_client_header_buffers has the same size.
limit_request_field_size = 32768
limit_request_fields = 100
limit_request_line = 8190

# X-Forwarded-Proto/-For are believed from nginx on this host only (gunicorn's default, stated).
forwarded_allow_ips = "127.0.0.1,::1"
