"""Minting, recognising and hashing credentials (camgate.tokens)."""

from __future__ import annotations

import hashlib

import pytest

from camgate.tokens import TokenKind, derive, display_prefix, hash_token, kind_of, matches_hash, mint, new_client_id


@pytest.mark.parametrize("kind", list(TokenKind))
def test_minted_tokens_carry_their_kind_and_checksum(kind: TokenKind) -> None:
    token = mint(kind)
    assert token.startswith(f"{kind.value}_")
    assert len(token) == 53
    assert kind_of(token) is kind
    assert mint(kind) != token


def test_a_flipped_character_fails_the_checksum() -> None:
    token = mint(TokenKind.ACCESS)
    for i in (5, 20, 46, 52):
        flipped = token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1 :]
        assert kind_of(flipped) is None


@pytest.mark.parametrize("noise", ["", "cga_", "x" * 53, "cgx_" + "A" * 49, "cga-" + "A" * 49, "cga_" + "!" * 49])
def test_noise_is_not_a_token(noise: str) -> None:
    assert kind_of(noise) is None


def test_only_hashes_are_stored() -> None:
    token = mint(TokenKind.PERSONAL)
    assert hash_token(token) == hashlib.sha256(token.encode()).hexdigest()
    assert matches_hash(token, hash_token(token))
    assert not matches_hash(token + "x", hash_token(token))
    assert display_prefix(token) == token[:12]


def test_derive_is_deterministic_keyed_and_well_formed() -> None:
    a = derive(TokenKind.REFRESH, b"k1", "label")
    assert a == derive(TokenKind.REFRESH, b"k1", "label")
    assert a != derive(TokenKind.REFRESH, b"k2", "label")
    assert a != derive(TokenKind.REFRESH, b"k1", "label2")
    assert kind_of(a) is TokenKind.REFRESH


def test_client_ids_are_unguessable() -> None:
    ids = {new_client_id() for _ in range(50)}
    assert len(ids) == 50
    assert all(len(i) == 22 and i.isalnum() for i in ids)
