"""The OAuth 2.0 protocol core: plain values in, plain values (or typed errors) out.

Nothing here imports an HTTP framework or SQL: the web layer translates requests into parameter
dicts and these results back into responses, and the storage is reached through the interface
in ``oauth.storage`` (``tests/unit/oauth/test_layering.py`` keeps it so).
"""
