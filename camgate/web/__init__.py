"""HTTP: routes, pages, sessions, CSRF and security headers (Starlette)."""
