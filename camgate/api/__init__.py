"""The camera GraphQL API (resource server)."""
