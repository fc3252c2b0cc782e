"""One module per grant type (RFC 6749 §4.1 authorization code, §6 refresh token)."""
