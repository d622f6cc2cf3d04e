"""Cross-check the credential vectors with pycose, an independent COSE implementation.

pycose 1.1.0 cannot decode under cbor2 6 (which Tongban uses), so this runs outside the test
suite, in a separate virtual environment:

    python3 -m venv /tmp/pycose-venv
    /tmp/pycose-venv/bin/pip install "cbor2<6" pycose==1.1.0
    /tmp/pycose-venv/bin/python tests/vectors/licences/crosscheck_with_pycose.py

It verifies the EdDSA and ES256 credentials with pycose (external AAD included), re-creates
the EdDSA credential byte for byte, and checks that another AAD fails.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

from pycose.algorithms import EdDSA
from pycose.headers import KID
from pycose.headers import Algorithm
from pycose.keys import EC2Key
from pycose.keys import OKPKey
from pycose.keys.curves import P256
from pycose.keys.curves import Ed25519
from pycose.messages import Sign1Message

HERE = Path(__file__).resolve().parent
AAD = b"tongban-licence-qr:01"


def b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def main() -> None:
    keys = json.loads((HERE / "keys.json").read_text(encoding="utf-8"))
    credentials = json.loads((HERE / "credentials.json").read_text(encoding="utf-8"))
    for vector in credentials["positive"]:
        if "cose_hex" not in vector:
            continue
        jwk = keys[vector["key"]]
        message = Sign1Message.decode(bytes.fromhex(vector["cose_hex"]))
        if jwk["kty"] == "OKP":
            message.key = OKPKey(crv=Ed25519, x=b64url(jwk["x"]))
        else:
            message.key = EC2Key(crv=P256, x=b64url(jwk["x"]), y=b64url(jwk["y"]))
        message.external_aad = AAD
        assert message.verify_signature(), vector["name"]
        message.external_aad = b"tongban-licence-qr:02"
        assert not message.verify_signature(), vector["name"]
        if vector["exact"]:
            again = Sign1Message(
                phdr={Algorithm: EdDSA, KID: message.phdr[KID]},
                payload=message.payload,
                external_aad=AAD,
            )
            again.key = OKPKey(crv=Ed25519, x=b64url(jwk["x"]), d=b64url(jwk["d"]))
            assert again.encode(tag=True).hex() == vector["cose_hex"], vector["name"]
        print(f"ok: {vector['name']}")


if __name__ == "__main__":
    main()
