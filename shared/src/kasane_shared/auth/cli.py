"""``kasane-token``: development keys and tokens (never for production keys).

    kasane-token keygen --dir .local/keys
    kasane-token mint --dir .local/keys --agency sk-houkatsu-kita --scope "consultations:read consultations:write"
"""

from __future__ import annotations

import argparse
import json
import time
import uuid
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

PRIVATE = "dev-jwt.key.pem"
PUBLIC = "dev-jwt.pub.pem"
ISSUER = "kasane-dev"
AUDIENCE = "kasane"
KEY_ID = "kasane-dev-1"


def keygen(directory: Path) -> tuple[Path, Path]:
    """Create an ES256 key pair in ``directory`` unless one is there; return its paths."""
    directory.mkdir(parents=True, exist_ok=True)
    private_path, public_path = directory / PRIVATE, directory / PUBLIC
    if private_path.exists() and public_path.exists():
        return private_path, public_path
    key = ec.generate_private_key(ec.SECP256R1())
    private_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    private_path.chmod(0o600)
    public_path.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return private_path, public_path


def mint(
    private_key_pem: bytes,
    *,
    agency: str,
    scopes: list[str],
    subject: str | None = None,
    ttl_seconds: int = 3600,
    issuer: str = ISSUER,
    audience: str = AUDIENCE,
) -> str:
    """A signed access token for ``agency`` with ``scopes``."""
    now = int(time.time())
    claims = {
        "iss": issuer,
        "aud": audience,
        "sub": subject or f"{agency}/dev-user",
        "agency": agency,
        "scope": " ".join(scopes),
        "iat": now,
        "exp": now + ttl_seconds,
        "jti": str(uuid.uuid4()),
    }
    return jwt.encode(claims, private_key_pem, algorithm="ES256", headers={"kid": KEY_ID})


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="kasane-token", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    k = sub.add_parser("keygen", help="create the development key pair")
    k.add_argument("--dir", type=Path, default=Path(".local/keys"))
    m = sub.add_parser("mint", help="print a token for an agency")
    m.add_argument("--dir", type=Path, default=Path(".local/keys"))
    m.add_argument("--agency", required=True)
    m.add_argument("--scope", default="", help="space-separated scopes")
    m.add_argument("--subject")
    m.add_argument("--ttl", type=int, default=3600)
    m.add_argument("--json", action="store_true", help="print the claims too")
    args = parser.parse_args(argv)
    if args.command == "keygen":
        private, public = keygen(args.dir)
        print(f"private key: {private}\npublic key:  {public}")
        return
    token = mint(
        (args.dir / PRIVATE).read_bytes(),
        agency=args.agency, scopes=args.scope.split(), subject=args.subject, ttl_seconds=args.ttl,
    )
    if args.json:
        print(json.dumps({"token": token, "claims": jwt.decode(token, options={"verify_signature": False})},
                         ensure_ascii=False, indent=2))
    else:
        print(token)
