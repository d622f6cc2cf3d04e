"""Certificate signing requests (PKCS#10, RFC 2986) for seal keys certified by an external CA.

A department whose seal certificate comes from the provincial digital certificate
authority gets a CSR signed by the seal's own key, held by the Signer, so the key
never leaves the key store.
"""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from keys.pki.names import SealSubject
from keys.pki.signer_keys import issuer_key
from keys.pki.signer_keys import signature_hash
from keys.signer import Signer

__all__ = ["build_seal_csr"]


def build_seal_csr(signer: Signer, subject: SealSubject) -> bytes:
    """A PEM CSR for ``signer``'s key naming ``subject``.

    It asks for the seal key usage (``digitalSignature`` + ``nonRepudiation``); the
    external CA decides what it actually certifies, and :func:`keys.pki.chain.import_chain`
    checks the result.
    """
    usage = x509.KeyUsage(
        digital_signature=True,
        content_commitment=True,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(subject.to_x509())
        .add_extension(usage, critical=True)
        .sign(issuer_key(signer), signature_hash(signer))
    )
    return csr.public_bytes(serialization.Encoding.PEM)
